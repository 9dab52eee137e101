/**
 * Downloading published dataset files: streamed to a temporary file while hashing, checked
 * against the published sha256, then renamed into place (a partial download never looks
 * complete). No network gives DATASET_UNAVAILABLE_OFFLINE, whose message the caller extends with
 * where to put the files by hand.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PilotScopeError } from '../errors.js';
import { runProgram } from '../util/process.js';

export interface DownloadOptions {
  /** Milliseconds to wait for the response headers. */
  connectTimeoutMs?: number;
  onProgress?(message: string): void;
}

export async function downloadVerified(url: string, dest: string, sha256: string, options: DownloadOptions = {}): Promise<void> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const temp = `${dest}.part-${process.pid}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(options.connectTimeoutMs ?? 30_000), redirect: 'follow' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new PilotScopeError('DATASET_UNAVAILABLE_OFFLINE', `cannot reach ${url} (${cause?.code ?? cause?.message ?? (err as Error).message})`, { url }, { cause: err });
  }
  if (!response.ok || !response.body) {
    throw new PilotScopeError('DATASET_UNAVAILABLE_OFFLINE', `${url} answered HTTP ${response.status}`, { url, status: response.status });
  }
  options.onProgress?.(`Downloading ${url}`);
  const hash = crypto.createHash('sha256');
  try {
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, fs.createWriteStream(temp));
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new PilotScopeError('DATASET_UNAVAILABLE_OFFLINE', `the download of ${url} broke off (${(err as Error).message})`, { url }, { cause: err });
  }
  const actual = hash.digest('hex');
  if (actual !== sha256) {
    fs.rmSync(temp, { force: true });
    throw new PilotScopeError(
      'DATASET_INVALID',
      `The file downloaded from ${url} has sha256 ${actual}, not the published ${sha256}; it was discarded. Retry later, or put a verified copy in place by hand.`,
      { url, expected: sha256, actual },
    );
  }
  fs.renameSync(temp, dest);
}

/** Extracts a .tar.gz holding one dump file and moves that file to `dest`. */
export async function extractSingleFile(archive: string, dest: string): Promise<void> {
  const work = `${dest}.extract-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  try {
    const result = await runProgram('tar', ['-xzf', archive, '-C', work, '--no-same-owner']);
    if (result.code !== 0) {
      throw new PilotScopeError('DATASET_INVALID', `Extracting ${archive} failed: ${result.stderr.trim()}. Delete it and download again.`);
    }
    const files = listFiles(work);
    if (files.length !== 1) {
      throw new PilotScopeError('DATASET_INVALID', `${archive} holds ${files.length} files; a single SQL dump was expected. Extract it by hand into the dataset directory as data.sql.`);
    }
    fs.renameSync(files[0]!, dest);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? listFiles(full) : e.isFile() ? [full] : [];
  });
}

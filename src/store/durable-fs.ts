/**
 * Durable file writes: temp file in the target directory, write, fsync the file, rename into
 * place, fsync the directory. A crash leaves either the old state or the new file, plus at most a
 * temp file (names start with TEMP_PREFIX) that readers ignore and the writer removes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PilotScopeError } from '../errors.js';

export const TEMP_PREFIX = '.tmp-';

let tempCounter = 0;

/** A unique temp file name carrying our pid, so leftovers of dead processes can be told apart. */
export function tempFileName(): string {
  tempCounter += 1;
  return `${TEMP_PREFIX}${process.pid}-${tempCounter}-${randomBytes(4).toString('hex')}.part`;
}

/** The pid a temp file name was created by, if it is one of ours. */
export function tempFileOwner(name: string): number | undefined {
  const m = /^\.tmp-(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export async function writeFileDurably(dir: string, finalName: string, bytes: Uint8Array): Promise<void> {
  const temp = path.join(dir, tempFileName());
  const target = path.join(dir, finalName);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw ioError(err, 'write', target);
  }
  await fsyncDir(dir);
}

export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    throw ioError(err, 'sync directory', dir);
  } finally {
    await handle?.close();
  }
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

export function ioError(err: unknown, what: string, file: string): PilotScopeError {
  if (err instanceof PilotScopeError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new PilotScopeError(
    'STORE_IO',
    `Could not ${what} ${file}: ${reason}. Check free disk space and the permissions of the data directory.`,
    { file },
    { cause: err },
  );
}

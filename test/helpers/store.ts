/** Shared helpers of the store tests (not a test file). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import type { ExecutionContext } from 'ava';

export const testDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(testDir, '..', '..');

/** A fresh temporary directory, removed when the test ends. */
export function tempDir(t: ExecutionContext, prefix = 'pilotscope-store-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function segmentFiles(tableDir: string): string[] {
  return fs.readdirSync(tableDir).filter((f) => f.startsWith('seg-')).sort();
}

/** Starts test/helpers/store-child.ts with `node --import=tsx`. */
export function spawnChild(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import=tsx', path.join(testDir, 'store-child.ts'), ...args], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs the child to completion; resolves to its stdout (rejects with its stderr on failure). */
export function runChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(args);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin!.end();
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

/** Calls onLine for each stdout line of a running child. */
export function onLines(child: ChildProcess, onLine: (line: string) => void): void {
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
}

export function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/** A small deterministic PRNG so failures can be replayed from the printed seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

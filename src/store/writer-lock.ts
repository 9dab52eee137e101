/**
 * One writer process per data directory: a lock file `writer.lock` holding the writer's pid,
 * host and process start time. A lock whose process is gone (or whose pid now belongs to a
 * different process) is stale and taken over. Readers never take the lock.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PilotScopeError } from '../errors.js';
import { fsyncDir, ioError, isErrno } from './durable-fs.js';

export const LOCK_FILE = 'writer.lock';

interface LockOwner {
  pid: number;
  host: string;
  /** Start time of the process (Linux /proc), to tell a reused pid from the lock's owner. */
  processStart: string | null;
  createdAt: string;
}

const heldLocks = new Set<WriterLock>();
let exitHookInstalled = false;

export class WriterLock {
  private released = false;

  private constructor(
    readonly file: string,
    private readonly owner: LockOwner,
  ) {}

  static async acquire(dir: string): Promise<WriterLock> {
    const file = path.join(dir, LOCK_FILE);
    const owner: LockOwner = {
      pid: process.pid,
      host: os.hostname(),
      processStart: processStartTime(process.pid),
      createdAt: new Date().toISOString(),
    };
    const text = JSON.stringify(owner);
    for (let attempt = 0; attempt < 10; attempt++) {
      if (await createExclusive(dir, file, text)) {
        await fsyncDir(dir);
        const lock = new WriterLock(file, owner);
        heldLocks.add(lock);
        installExitHook();
        return lock;
      }
      const holderText = await readIfExists(file);
      if (holderText === undefined) continue; // released meanwhile: try again
      const holder = parseOwner(holderText);
      if (holder && !isStale(holder)) throw lockedError(dir, file, holder);
      if (!holder && !(await isOldFile(file))) throw lockedError(dir, file, undefined);
      await takeOverStaleLock(dir, file, holderText);
    }
    throw new PilotScopeError('STORE_LOCKED', `Could not take the writer lock ${file}: other processes keep changing it.`, { file });
  }

  /** Removes the lock file if it is still ours. Safe to call more than once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldLocks.delete(this);
    try {
      const current = parseOwner(fs.readFileSync(this.file, 'utf8'));
      if (current && current.pid === this.owner.pid && current.createdAt === this.owner.createdAt) fs.unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}

/** Creates `file` with `text` only if it does not exist, never leaving a half-written lock. */
async function createExclusive(dir: string, file: string, text: string): Promise<boolean> {
  const temp = path.join(dir, `.tmp-lock-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fsp.writeFile(temp, text, { flag: 'wx' });
    await fsp.link(temp, file);
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    if (isErrno(err, 'EPERM') || isErrno(err, 'ENOTSUP')) return createWithOpenExclusive(file, text);
    throw ioError(err, 'create the writer lock', file);
  } finally {
    await fsp.rm(temp, { force: true });
  }
}

/** Fallback for file systems without hard links. */
async function createWithOpenExclusive(file: string, text: string): Promise<boolean> {
  try {
    await fsp.writeFile(file, text, { flag: 'wx' });
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    throw ioError(err, 'create the writer lock', file);
  }
}

/** Moves the stale lock aside; if another process replaced it meanwhile, puts that one back. */
async function takeOverStaleLock(dir: string, file: string, staleText: string): Promise<void> {
  const aside = path.join(dir, `.stale-lock-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fsp.rename(file, aside);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw ioError(err, 'remove the stale writer lock', file);
  }
  const movedText = await readIfExists(aside);
  if (movedText !== staleText && movedText !== undefined) {
    await fsp.link(aside, file).catch(() => undefined);
  }
  await fsp.rm(aside, { force: true });
}

function isStale(holder: LockOwner): boolean {
  if (holder.host !== os.hostname()) return false; // cannot check a process on another host
  if (!isAlive(holder.pid)) return true;
  const start = processStartTime(holder.pid);
  return holder.processStart !== null && start !== null && start !== holder.processStart;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks); null where /proc is unavailable. */
function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return afterName[19] ?? null;
  } catch {
    return null;
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.createdAt === 'string') {
      return { pid: v.pid, host: v.host, createdAt: v.createdAt, processStart: typeof v.processStart === 'string' ? v.processStart : null };
    }
  } catch {
    // unreadable
  }
  return undefined;
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw ioError(err, 'read the writer lock', file);
  }
}

/** An unparsable lock older than a few seconds was left by a crash, not being written now. */
async function isOldFile(file: string): Promise<boolean> {
  try {
    const st = await fsp.stat(file);
    return Date.now() - st.mtimeMs > 5000;
  } catch {
    return true;
  }
}

function lockedError(dir: string, file: string, holder: LockOwner | undefined): PilotScopeError {
  const who = holder
    ? holder.pid === process.pid && holder.host === os.hostname()
      ? `this process (pid ${holder.pid}, through another path to the same directory)`
      : `process ${holder.pid} on ${holder.host} since ${holder.createdAt}`
    : 'another process (the lock file is unreadable)';
  return new PilotScopeError(
    'STORE_LOCKED',
    `The data directory ${dir} is being written by ${who}. Only one process may write a data directory: ` +
      `stop the other writer or use another directory. If you are sure no such process is running, delete ${file}.`,
    { dir, file, holder },
  );
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lock of [...heldLocks]) lock.release();
  });
}

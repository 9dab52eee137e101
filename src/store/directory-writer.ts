/**
 * The write side of one data directory in this process: holds the writer lock, serializes every
 * write (appends, compactions, drops, repairs) and caches each table's schema, segments and next
 * row id. All DataManagers of the same directory in a process share one DirectoryWriter.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PilotScopeError, isPilotScopeError } from '../errors.js';
import { CURSORS_DIR } from './cursors.js';
import { fsyncDir, ioError, isErrno, tempFileOwner } from './durable-fs.js';
import { encodeRows, mergeSchema, type Row } from './encode.js';
import { kindOfField, type ColumnSpec } from './schema.js';
import { listTable, parseSegmentFileName, readSegment, writeSegment, type SegmentRef } from './segments.js';
import { combineSegments, toSingleBatch, unifiedSchema } from './table-reader.js';
import { tailToMerge } from './compaction-policy.js';
import { WriterLock } from './writer-lock.js';

/** Corrupt segments moved aside by repair() live here, inside the table directory. */
export const CORRUPT_DIR = 'corrupt';
const TRASH_PREFIX = '.trash-';

export interface RowIdRange {
  firstId: number;
  lastId: number;
}

export interface CompactResult {
  segmentsBefore: number;
  segmentsAfter: number;
}

export interface RepairResult {
  /** Segment files moved to `<table>/corrupt/`. */
  movedFiles: string[];
  /** Row id ranges those files held (those rows are gone from the table). */
  lostRows: Array<{ first: number; last: number }>;
}

interface TableState {
  segments: SegmentRef[];
  schema: ColumnSpec[];
  nextId: number;
  /** Set when an automatic compaction failed; it is not retried until compact()/repair(). */
  autoCompactionBroken: boolean;
}

export class DirectoryWriter {
  private static readonly byDir = new Map<string, DirectoryWriter>();

  private refs = 0;
  private lock: WriterLock | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly states = new Map<string, TableState>();

  private constructor(readonly dir: string) {}

  static attach(dir: string): DirectoryWriter {
    let writer = DirectoryWriter.byDir.get(dir);
    if (!writer) {
      writer = new DirectoryWriter(dir);
      DirectoryWriter.byDir.set(dir, writer);
    }
    writer.refs += 1;
    return writer;
  }

  /** Drops one reference; the last one waits for pending writes and releases the lock. */
  async detach(): Promise<void> {
    this.refs -= 1;
    if (this.refs > 0) return;
    await this.queue;
    if (this.refs > 0) return;
    this.lock?.release();
    this.lock = undefined;
    this.states.clear();
    DirectoryWriter.byDir.delete(this.dir);
  }

  append(table: string, rows: readonly Row[], maxSegments: number): Promise<RowIdRange | null> {
    return this.serializeTable(table, async () => {
      const st = await this.state(table);
      const schema = mergeSchema(table, st.schema, rows);
      const firstId = st.nextId;
      const lastId = firstId + rows.length - 1;
      const seg = await writeSegment(this.tableDir(table), encodeRows(table, schema, rows, firstId), firstId, lastId);
      st.segments.push(seg);
      st.schema = schema;
      st.nextId = lastId + 1;
      await this.autoCompact(table, st, maxSegments);
      return { firstId, lastId };
    });
  }

  compact(table: string): Promise<CompactResult> {
    return this.serializeTable(table, async () => {
      const st = await this.state(table);
      const segmentsBefore = st.segments.length;
      if (segmentsBefore > 1) await this.merge(table, st, 0);
      st.autoCompactionBroken = false;
      return { segmentsBefore, segmentsAfter: st.segments.length };
    });
  }

  drop(table: string): Promise<boolean> {
    return this.serialize(async () => {
      await this.ensureLock();
      this.states.delete(table);
      const trash = path.join(this.dir, `${TRASH_PREFIX}${table}-${randomBytes(4).toString('hex')}`);
      try {
        await fs.rename(this.tableDir(table), trash);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return false;
        throw ioError(err, 'drop table directory', this.tableDir(table));
      }
      await fsyncDir(this.dir);
      await fs.rm(trash, { recursive: true, force: true });
      return true;
    });
  }

  repair(table: string): Promise<RepairResult> {
    return this.serialize(async () => {
      await this.ensureLock();
      this.states.delete(table);
      const tableDir = this.tableDir(table);
      const listing = await listTable(tableDir, table);
      const result: RepairResult = { movedFiles: [], lostRows: [] };
      if (!listing) return result;
      for (const seg of listing.live) {
        try {
          await readSegment(tableDir, table, seg);
        } catch (err) {
          if (!isPilotScopeError(err, 'STORE_CORRUPT')) throw err;
          const corruptDir = path.join(tableDir, CORRUPT_DIR);
          await fs.mkdir(corruptDir, { recursive: true });
          await fs.rename(path.join(tableDir, seg.file), path.join(corruptDir, seg.file));
          result.movedFiles.push(seg.file);
          result.lostRows.push({ first: seg.first, last: seg.last });
        }
      }
      if (result.movedFiles.length > 0) await fsyncDir(tableDir);
      return result;
    });
  }

  /** Runs `fn` after every write queued before it. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Like serialize; a failure forgets the table's cached state so it is reloaded from disk. */
  private serializeTable<T>(table: string, fn: () => Promise<T>): Promise<T> {
    return this.serialize(async () => {
      try {
        return await fn();
      } catch (err) {
        this.states.delete(table);
        throw err;
      }
    });
  }

  private tableDir(table: string): string {
    return path.join(this.dir, table);
  }

  private async ensureLock(): Promise<void> {
    if (this.lock) return;
    try {
      await fs.mkdir(this.dir, { recursive: true });
    } catch (err) {
      throw ioError(err, 'create the data directory', this.dir);
    }
    this.lock = await WriterLock.acquire(this.dir);
    await this.removeLeftoverTrash();
  }

  /** The cached state of `table`, loaded (and cleaned of crash leftovers) on first use. */
  private async state(table: string): Promise<TableState> {
    await this.ensureLock();
    const cached = this.states.get(table);
    if (cached) return cached;
    const tableDir = this.tableDir(table);
    const listing = await listTable(tableDir, table);
    let st: TableState;
    if (!listing) {
      await fs.mkdir(tableDir, { recursive: true }).catch((err: unknown) => {
        throw ioError(err, 'create table directory', tableDir);
      });
      st = { segments: [], schema: [], nextId: 1, autoCompactionBroken: false };
    } else {
      // We hold the lock: temp files and superseded segments are leftovers of a crashed writer.
      for (const name of listing.temps) await fs.rm(path.join(tableDir, name), { force: true });
      for (const seg of listing.superseded) await fs.rm(path.join(tableDir, seg.file), { force: true });
      await this.removeDeadCursorTemps(tableDir);
      const newest = listing.live[listing.live.length - 1];
      const schema = newest ? schemaOf(await readSegment(tableDir, table, newest)) : [];
      const lastUsed = Math.max(newest?.last ?? 0, await this.lastIdInCorruptDir(tableDir));
      st = { segments: listing.live, schema, nextId: lastUsed + 1, autoCompactionBroken: false };
    }
    this.states.set(table, st);
    return st;
  }

  private async autoCompact(table: string, st: TableState, maxSegments: number): Promise<void> {
    if (st.autoCompactionBroken) return;
    try {
      // more than one round only after a crash left extra segments behind
      for (;;) {
        const start = tailToMerge(st.segments.map((s) => s.rows), maxSegments);
        if (start === undefined) return;
        await this.merge(table, st, start);
      }
    } catch (err) {
      // The rows were saved; a failed compaction only leaves more segments. Say so once.
      st.autoCompactionBroken = true;
      const message = err instanceof Error ? err.message : String(err);
      process.emitWarning(`Automatic compaction of table '${table}' failed and is paused for this table: ${message}`, 'PilotScopeStoreWarning');
    }
  }

  /**
   * Merges segments[start..] into one. The merged segment is committed before the originals
   * are removed; readers skip segments a wider one covers, so no row is ever seen twice or lost.
   */
  private async merge(table: string, st: TableState, start: number): Promise<void> {
    const tableDir = this.tableDir(table);
    const chosen = st.segments.slice(start);
    const tables = await Promise.all(chosen.map((s) => readSegment(tableDir, table, s)));
    const merged = toSingleBatch(combineSegments(tables, unifiedSchema(table, tables)));
    const seg = await writeSegment(tableDir, merged, chosen[0]!.first, chosen[chosen.length - 1]!.last);
    for (const old of chosen) await fs.rm(path.join(tableDir, old.file), { force: true });
    await fsyncDir(tableDir);
    st.segments = [...st.segments.slice(0, start), seg];
  }

  private async removeLeftoverTrash(): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith(TRASH_PREFIX)) await fs.rm(path.join(this.dir, name), { recursive: true, force: true });
    }
  }

  /** Cursor temp files of processes that no longer run (readers write cursors without the lock). */
  private async removeDeadCursorTemps(tableDir: string): Promise<void> {
    const dir = path.join(tableDir, CURSORS_DIR);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const pid = tempFileOwner(name);
      if (pid !== undefined && !processExists(pid)) await fs.rm(path.join(dir, name), { force: true });
    }
  }

  /** Ids of segments moved aside by repair() are never reused (a reader may have seen them). */
  private async lastIdInCorruptDir(tableDir: string): Promise<number> {
    const names = await fs.readdir(path.join(tableDir, CORRUPT_DIR)).catch(() => [] as string[]);
    return names.reduce((max, name) => Math.max(max, parseSegmentFileName(name)?.last ?? 0), 0);
  }
}

function schemaOf(t: import('apache-arrow').Table): ColumnSpec[] {
  return t.schema.fields.slice(1).map((f) => ({ name: f.name, kind: kindOfField(f)! }));
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

export function closedError(dir: string): PilotScopeError {
  return new PilotScopeError('USAGE', `This DataManager for ${dir} was closed; create a new one to use the directory again.`, { dir });
}

/**
 * DataManager: tables of collected rows (plans, sub-query cardinalities, execution times, ...)
 * stored as Arrow in a data directory.
 *
 * Layout: `<dir>/<table>/seg-*.arrow` (append-only segments, see segments.ts),
 * `<dir>/<table>/cursors/<reader>.json` (readUpdate cursors), `<dir>/writer.lock`.
 *
 * Concurrency: any number of processes may read. Writes (save, saveBatch, compact, dropTable,
 * repair) take the directory's writer lock on first use and keep it until close() or process
 * exit: one writer process per data directory; a second one gets STORE_LOCKED. Inside a process,
 * all DataManagers of one directory share one write queue, so writes never interleave.
 * A reader name belongs to one consumer at a time (two processes advancing the same reader race).
 */
import * as arrow from 'apache-arrow';
import path from 'node:path';
import fs from 'node:fs/promises';
import { PilotScopeError } from '../errors.js';
import type { TimeStatistic } from '../timing/index.js';
import { ROW_ID, checkReaderName, checkTableName } from './names.js';
import type { Row } from './encode.js';
import { tableToRows } from './decode.js';
import type { ColumnSpec } from './schema.js';
import { listTable } from './segments.js';
import { readCursor, writeCursor } from './cursors.js';
import { combineSegments, readLiveSegments, unifiedSchema } from './table-reader.js';
import { DirectoryWriter, closedError, type CompactResult, type RepairResult, type RowIdRange } from './directory-writer.js';
import { writeTableFile, type ExportFormat, type ParquetExportOptions } from './export-files.js';
import { ioError, isErrno } from './durable-fs.js';

export interface DataManagerOptions {
  /** Automatic compaction keeps at most this many segments per table (default 32, minimum 2). */
  maxSegments?: number;
  /** Every operation is timed under the stage 'store' here. */
  timer?: TimeStatistic;
}

export interface ReadOptions {
  /** Only these columns (the row id column is always included). */
  columns?: readonly string[];
}

export interface ReadAllOptions extends ReadOptions {
  /** Also move this reader's readUpdate cursor to the last row read (upstream read_all did). */
  markRead?: string;
}

export interface ExportOptions extends ParquetExportOptions {
  /** Include the pilot_data_id column (default true). */
  rowId?: boolean;
}

const DEFAULT_MAX_SEGMENTS = 32;

export class DataManager {
  readonly dir: string;
  private readonly maxSegments: number;
  private readonly timer: TimeStatistic | undefined;
  private writer: DirectoryWriter | undefined;
  private closed = false;

  constructor(dir: string, options: DataManagerOptions = {}) {
    if (typeof dir !== 'string' || dir.length === 0) {
      throw new PilotScopeError('STORE_INVALID_INPUT', 'DataManager needs the path of a data directory (a non-empty string).', { dir });
    }
    const maxSegments = options.maxSegments ?? DEFAULT_MAX_SEGMENTS;
    if (!Number.isInteger(maxSegments) || maxSegments < 2) {
      throw new PilotScopeError('STORE_INVALID_INPUT', `maxSegments must be an integer >= 2 (got ${maxSegments}).`, { maxSegments });
    }
    this.dir = path.resolve(dir);
    this.maxSegments = maxSegments;
    this.timer = options.timer;
  }

  /** Appends one row; resolves to its row id. */
  async save(table: string, row: Row): Promise<number> {
    const range = await this.saveBatch(table, [row]);
    return range!.firstId;
  }

  /**
   * Appends rows as one durable segment (all or nothing); resolves to their row ids, or null for
   * an empty batch. Column kinds are inferred from the values (see schema.ts).
   */
  saveBatch(table: string, rows: readonly Row[]): Promise<RowIdRange | null> {
    return this.timed(async () => {
      checkTableName(table);
      if (!Array.isArray(rows)) {
        throw new PilotScopeError('STORE_INVALID_INPUT', `saveBatch('${table}', rows): rows must be an array of objects.`, { table });
      }
      if (rows.length === 0) return null;
      return this.writeSide().append(table, rows, this.maxSegments);
    });
  }

  /** All rows in insertion order (row id ascending); [] for a table that does not exist. */
  readAll(table: string, options: ReadAllOptions = {}): Promise<Row[]> {
    return this.timed(async () => {
      const t = await this.readTable(table, 0, options.columns);
      if (options.markRead !== undefined) {
        checkReaderName(options.markRead);
        const last = lastRowId(t);
        if (last > 0) await writeCursor(this.tableDir(table), options.markRead, last);
      }
      return tableToRows(t);
    });
  }

  /** All rows as one Arrow table (one record batch per segment; compact() first for one chunk). */
  readAllTable(table: string, options: ReadOptions = {}): Promise<arrow.Table> {
    return this.timed(() => this.readTable(table, 0, options.columns));
  }

  /**
   * Rows saved since `reader` last called readUpdate (or readAll with markRead), remembered
   * across processes. The cursor moves when the rows are returned (at-most-once delivery).
   */
  readUpdate(table: string, reader = 'default', options: ReadOptions = {}): Promise<Row[]> {
    return this.timed(async () => tableToRows(await this.readUpdateInternal(table, reader, options)));
  }

  /** Like readUpdate, as an Arrow table. */
  readUpdateTable(table: string, reader = 'default', options: ReadOptions = {}): Promise<arrow.Table> {
    return this.timed(() => this.readUpdateInternal(table, reader, options));
  }

  /** Names of the tables holding rows, sorted. */
  tables(): Promise<string[]> {
    return this.timed(async () => {
      let names: string[];
      try {
        names = await fs.readdir(this.dir);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return [];
        throw ioError(err, 'list the data directory', this.dir);
      }
      const found: string[] = [];
      for (const name of names.sort()) {
        if (!isTableName(name)) continue;
        const listing = await listTable(this.tableDir(name), name);
        if (listing && listing.live.length > 0) found.push(name);
      }
      return found;
    });
  }

  /** Number of rows (0 for a table that does not exist). Reads only file names. */
  count(table: string): Promise<number> {
    return this.timed(async () => {
      const listing = await listTable(this.tableDir(checkTableName(table)), table);
      return listing ? listing.live.reduce((n, s) => n + s.rows, 0) : 0;
    });
  }

  /** Columns and their kinds (without the row id); [] for a table that does not exist. */
  schema(table: string): Promise<ColumnSpec[]> {
    return this.timed(async () => {
      const { tables } = await readLiveSegments(this.tableDir(checkTableName(table)), table);
      return unifiedSchema(table, tables);
    });
  }

  /** Removes a table with its cursors; resolves to false if it did not exist. */
  dropTable(table: string): Promise<boolean> {
    return this.timed(() => this.writeSide().drop(checkTableName(table)));
  }

  /** Merges all segments of a table into one (atomically; readers never see a partial state). */
  compact(table: string): Promise<CompactResult> {
    return this.timed(() => this.writeSide().compact(checkTableName(table)));
  }

  /** Moves corrupt segments of a table to `<table>/corrupt/` so the rest can be read again. */
  repair(table: string): Promise<RepairResult> {
    return this.timed(() => this.writeSide().repair(checkTableName(table)));
  }

  /** Writes a whole table to a Parquet or Arrow IPC file; resolves to the number of rows. */
  exportTable(table: string, file: string, format: ExportFormat, options: ExportOptions = {}): Promise<number> {
    return this.timed(async () => {
      let t = await this.readTable(table, 0, undefined);
      if (options.rowId === false) t = t.select(t.schema.fields.slice(1).map((f) => f.name));
      await writeTableFile(t, file, format, options);
      return t.numRows;
    });
  }

  /** Waits for pending writes and releases the writer lock (if this process holds it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const writer = this.writer;
    this.writer = undefined;
    await writer?.detach();
  }

  private async readUpdateInternal(table: string, reader: string, options: ReadOptions): Promise<arrow.Table> {
    checkReaderName(reader);
    const tableDir = this.tableDir(checkTableName(table));
    const after = await readCursor(tableDir, table, reader);
    const t = await this.readTable(table, after, options.columns);
    const last = lastRowId(t);
    if (last > after) await writeCursor(tableDir, reader, last);
    return t;
  }

  private async readTable(table: string, afterId: number, columns: readonly string[] | undefined): Promise<arrow.Table> {
    this.checkOpen();
    const { tables } = await readLiveSegments(this.tableDir(checkTableName(table)), table, afterId);
    const t = combineSegments(tables, unifiedSchema(table, tables), afterId);
    return columns ? project(t, table, columns) : t;
  }

  private writeSide(): DirectoryWriter {
    this.checkOpen();
    this.writer ??= DirectoryWriter.attach(this.dir);
    return this.writer;
  }

  private tableDir(table: string): string {
    return path.join(this.dir, table);
  }

  private checkOpen(): void {
    if (this.closed) throw closedError(this.dir);
  }

  private timed<T>(fn: () => Promise<T>): Promise<T> {
    return this.timer ? this.timer.time('store', fn) : fn();
  }
}

function isTableName(name: string): boolean {
  try {
    checkTableName(name);
    return true;
  } catch {
    return false;
  }
}

function lastRowId(t: arrow.Table): number {
  if (t.numRows === 0) return 0;
  return Number(t.getChildAt(0)!.get(t.numRows - 1));
}

function project(t: arrow.Table, table: string, columns: readonly string[]): arrow.Table {
  if (!Array.isArray(columns)) {
    throw new PilotScopeError('STORE_INVALID_INPUT', `columns must be an array of column names.`, { table });
  }
  const have = new Set(t.schema.fields.map((f) => f.name));
  const missing = columns.filter((c) => !have.has(c));
  if (missing.length > 0 && t.numRows > 0) {
    throw new PilotScopeError(
      'STORE_INVALID_INPUT',
      `Table '${table}' has no column ${missing.map((c) => `'${c}'`).join(', ')}; its columns are: ${[...have].join(', ')}.`,
      { table, missing },
    );
  }
  const names = [ROW_ID, ...columns.filter((c) => c !== ROW_ID && have.has(c))];
  return t.select(names);
}

/**
 * Engine-neutral description of a dataset: where its data comes from (a SQL dump, a schema plus
 * CSV/Parquet files per table, generated row streams, or an existing database used as is), and
 * its workload. Engines implement `DatasetLoader`; nothing here knows which database it feeds.
 */
import type { Readable } from 'node:stream';

export type ColumnType = 'smallint' | 'integer' | 'bigint' | 'double' | 'numeric' | 'boolean' | 'text' | 'date' | 'timestamp';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** Defaults to true. */
  nullable?: boolean;
}

export interface ForeignKeySpec {
  columns: string[];
  table: string;
  references: string[];
}

export interface TableSchema {
  name: string;
  columns: ColumnSpec[];
  primaryKey?: string[];
  foreignKeys?: ForeignKeySpec[];
  /** Secondary indexes (each on the listed columns, in order). */
  indexes?: { name: string; columns: string[] }[];
}

/**
 * One table's rows. `rows` streams are PostgreSQL COPY text format: one row per line, columns
 * separated by a tab, NULL written as \N, backslash escapes for tab/newline/backslash (the same
 * as a tab-separated file, readable by any engine). Each call to `open()` starts from the first
 * row and yields the same bytes.
 */
export type TableData =
  | { format: 'csv'; file: string }
  | { format: 'parquet'; file: string }
  | { format: 'rows'; open(): Readable; rowCount: number };

export type DatasetData =
  /** A PostgreSQL plain-format dump (schema, COPY blocks, constraints), as upstream ships. */
  | { kind: 'sql-dump'; file: string }
  /** `schema.sql` (PostgreSQL DDL: tables, keys, indexes) plus one data file per table. */
  | { kind: 'tables'; schemaFile: string; tables: { name: string; data: TableData }[] }
  /** Generated data: the schema as column types plus row streams (keys and indexes are added after the rows). */
  | { kind: 'generated'; schema: TableSchema[]; tables: { name: string; data: TableData & { format: 'rows' } }[] }
  /** Use an existing database as is; nothing is loaded. */
  | { kind: 'existing-database'; database: string };

export interface Workload {
  train: string[];
  test: string[];
  /** Things the caller should print (e.g. "test.sql missing: split train.sql by template"). */
  notices: string[];
}

export interface Dataset {
  /** Registry name (e.g. stats_tiny, synthetic). */
  name: string;
  /** The database the data lives in (named after the dataset). */
  database: string;
  /**
   * Identifies the data (file checksums, generator version and parameters). A database loaded
   * from another fingerprint is reloaded.
   */
  fingerprint: string;
  data: DatasetData;
  /** Where the data came from, for people. */
  source: string;
  /** The training and test queries. */
  workload(): Promise<Workload>;
  /** Notices gathered while locating the dataset (downloads, checksum mismatches). */
  notices: string[];
}

export interface LoadOptions {
  /** Reload even when the database already holds this dataset. */
  force?: boolean;
  /** Progress messages for people (stderr). */
  onProgress?(message: string): void;
}

export interface LoadResult {
  dataset: string;
  database: string;
  engine: string;
  /** Nothing was loaded (already complete, or an existing database used as is). */
  skipped: boolean;
  /** Why it was skipped, or what was redone (e.g. an interrupted earlier load). */
  reason?: string;
  /** Rows per table (user tables of the database). */
  tables: { name: string; rows: number }[];
  /** True when `tables` holds exact counts (after a load); false: the planner's estimates (skipped loads, existing databases). */
  rowsExact: boolean;
  seconds: number;
  notices: string[];
}

/** Loads datasets into one engine. PostgreSQL: adapters/postgres/loader.ts. */
export interface DatasetLoader {
  readonly engine: string;
  load(dataset: Dataset, options?: LoadOptions): Promise<LoadResult>;
}

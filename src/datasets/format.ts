/**
 * The dataset directory format (documented in src/datasets/README.md):
 *
 *   dataset.json         optional manifest: {"description", "database", "source"}
 *   data.sql             a plain SQL dump (schema + COPY blocks), loaded with psql
 *     or schema.sql      CREATE TABLE statements (keys, indexes) ...
 *        <table>.csv     ... plus one CSV file (header row naming the columns) or
 *        <table>.parquet     Parquet file per table
 *   train.sql            training queries, separated by ;
 *   test.sql             test queries (optional: a seeded split of train.sql by template otherwise)
 *
 * A manifest (or registry entry) naming a `database` means "use that existing database as is":
 * no data files are needed and none are loaded.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PilotScopeError, isPilotScopeError } from '../errors.js';
import { splitStatements } from '../sql/statements.js';
import { lex } from './sql-normalize.js';
import { DEFAULT_SPLIT_SEED, DEFAULT_TRAIN_RATIO, splitByTemplate } from './split.js';
import type { Dataset, DatasetData, TableData, Workload } from './types.js';

export const MANIFEST_FILE = 'dataset.json';
export const DATA_FILE = 'data.sql';
export const SCHEMA_FILE = 'schema.sql';
export const TRAIN_FILE = 'train.sql';
export const TEST_FILE = 'test.sql';

export interface DatasetManifest {
  description?: string;
  /** Use this existing database as is (a production database, for instance). */
  database?: string;
  /** Where the data or workload came from (free-form, e.g. the log that extract-queries read). */
  source?: Record<string, unknown>;
}

const NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/** Dataset names double as database names: lower-case letters, digits and _, starting with a letter. */
export function checkDatasetName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new PilotScopeError('USAGE', `"${name}" is not a valid dataset name: use lower-case letters, digits and _ (starting with a letter, at most 63 characters), e.g. prod_orders.`);
  }
}

export function checkDatabaseName(name: string): void {
  if (name.length === 0 || name.length > 63 || name.includes('\0')) {
    throw new PilotScopeError('USAGE', `"${name}" is not a valid database name (1 to 63 characters).`);
  }
}

export function readManifest(dir: string): DatasetManifest | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PilotScopeError('DATASET_INVALID', `${file} is not valid JSON (${(err as Error).message}). Fix it or remove it.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PilotScopeError('DATASET_INVALID', `${file} must hold a JSON object such as {"description": "...", "database": "..."}.`);
  }
  const m = parsed as Record<string, unknown>;
  for (const key of ['description', 'database'] as const) {
    if (m[key] !== undefined && typeof m[key] !== 'string') {
      throw new PilotScopeError('DATASET_INVALID', `"${key}" in ${file} must be a string.`);
    }
  }
  if (typeof m.database === 'string') checkDatabaseName(m.database);
  return m as DatasetManifest;
}

/** Table names created by a schema script, in order (unquoted names lower-cased). */
export function createdTables(schemaSql: string): string[] {
  const names: string[] = [];
  for (const statement of splitStatements(schemaSql)) {
    const words = lex(statement).tokens;
    const lower = words.map((t) => t.value);
    let i = 0;
    if (lower[i] !== 'create') continue;
    i++;
    while (['unlogged', 'temp', 'temporary', 'global', 'local'].includes(lower[i] ?? '')) i++;
    if (lower[i] !== 'table') continue;
    i++;
    if (lower[i] === 'if' && lower[i + 1] === 'not' && lower[i + 2] === 'exists') i += 3;
    let name = words[i];
    while (words[i + 1]?.value === '.' && words[i + 2]) {
      i += 2;
      name = words[i];
    }
    if (!name) continue;
    names.push(name.value);
  }
  return names;
}

/** What a directory holds, checked; `database` (from the registry) overrides the manifest's. */
export function inspectDatasetDir(dir: string, database?: string): { data: DatasetData; manifest?: DatasetManifest } {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new PilotScopeError('DATASET_NOT_FOUND', `${dir} is not a directory. Give the directory holding the dataset's files (data.sql or schema.sql plus table files, train.sql, test.sql).`);
  }
  const manifest = readManifest(dir);
  const existing = database ?? manifest?.database;
  const result = (data: DatasetData) => ({ data, ...(manifest ? { manifest } : {}) });
  if (existing) return result({ kind: 'existing-database', database: existing });
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (has(DATA_FILE) && has(SCHEMA_FILE)) {
    throw new PilotScopeError('DATASET_INVALID', `${dir} has both ${DATA_FILE} and ${SCHEMA_FILE}; keep one: ${DATA_FILE} for a SQL dump, or ${SCHEMA_FILE} with one CSV/Parquet file per table.`);
  }
  if (has(DATA_FILE)) return result({ kind: 'sql-dump', file: path.join(dir, DATA_FILE) });
  if (has(SCHEMA_FILE)) return result(tablesData(dir));
  throw new PilotScopeError(
    'DATASET_INVALID',
    `${dir} holds no data: add ${DATA_FILE} (a SQL dump) or ${SCHEMA_FILE} plus <table>.csv / <table>.parquet files, ` +
      'or register it with --database <name> to use an existing database as is.',
  );
}

function tablesData(dir: string): DatasetData {
  const schemaFile = path.join(dir, SCHEMA_FILE);
  const tables = createdTables(fs.readFileSync(schemaFile, 'utf8'));
  if (tables.length === 0) {
    throw new PilotScopeError('DATASET_INVALID', `${schemaFile} creates no table. It must hold CREATE TABLE statements for the tables whose <table>.csv or <table>.parquet files sit beside it.`);
  }
  const files = fs.readdirSync(dir);
  const dataFiles = files.filter((f) => /\.(csv|parquet)$/i.test(f));
  const byTable = new Map<string, TableData>();
  for (const f of dataFiles) {
    const table = f.replace(/\.(csv|parquet)$/i, '');
    if (!tables.includes(table)) {
      throw new PilotScopeError('DATASET_INVALID', `${path.join(dir, f)} matches no table created by ${SCHEMA_FILE} (tables: ${tables.join(', ')}). Rename it to <table>.csv/.parquet or remove it.`);
    }
    if (byTable.has(table)) {
      throw new PilotScopeError('DATASET_INVALID', `Table ${table} has both a CSV and a Parquet file in ${dir}; keep one.`);
    }
    const format = f.toLowerCase().endsWith('.csv') ? 'csv' : 'parquet';
    byTable.set(table, { format, file: path.join(dir, f) });
  }
  return {
    kind: 'tables',
    schemaFile,
    tables: tables.filter((t) => byTable.has(t)).map((name) => ({ name, data: byTable.get(name)! })),
  };
}

/** The files whose content defines the loaded data. */
export function dataFiles(data: DatasetData): string[] {
  if (data.kind === 'sql-dump') return [data.file];
  if (data.kind === 'tables') return [data.schemaFile, ...data.tables.map((t) => (t.data.format === 'rows' ? '' : t.data.file)).filter(Boolean)];
  return [];
}

/** sha256 over the names and contents of the files, streamed. */
export async function fingerprintFiles(files: readonly string[]): Promise<string> {
  const outer = crypto.createHash('sha256');
  for (const file of files) {
    outer.update(`${path.basename(file)}\0${await sha256File(file)}\n`);
  }
  return outer.digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Reads a statements file (`;`-separated, lexer-aware). */
export function readStatements(file: string): string[] {
  try {
    return splitStatements(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (!isPilotScopeError(err, 'SQL_PARSE_ERROR')) throw err;
    throw new PilotScopeError('DATASET_INVALID', `${file} cannot be split into statements: ${err.message}. Fix the SQL there (an unterminated string or comment, usually).`);
  }
}

/** train.sql and test.sql of a directory; without test.sql, a seeded split of train.sql by template. */
export function readWorkloadDir(dir: string, name: string): Workload {
  const trainFile = path.join(dir, TRAIN_FILE);
  const testFile = path.join(dir, TEST_FILE);
  if (!fs.existsSync(trainFile)) {
    throw new PilotScopeError('DATASET_INVALID', `Dataset "${name}" has no ${TRAIN_FILE} in ${dir}. Add its training queries there, separated by ';'.`);
  }
  const train = readStatements(trainFile);
  if (fs.existsSync(testFile)) return { train, test: readStatements(testFile), notices: [] };
  const split = splitByTemplate(train, { trainRatio: DEFAULT_TRAIN_RATIO, seed: DEFAULT_SPLIT_SEED });
  const notices = [
    `Dataset "${name}" has no ${TEST_FILE}: split ${TRAIN_FILE} by query template (seed ${DEFAULT_SPLIT_SEED}, ratio ${DEFAULT_TRAIN_RATIO}): ` +
      `${split.train.length} training and ${split.test.length} test queries from ${split.templates.length} templates.`,
  ];
  if (split.warning) notices.push(split.warning);
  return { train: split.train, test: split.test, notices };
}

/** A dataset backed by a directory in the dataset format. */
export async function directoryDataset(name: string, dir: string, options: { database?: string; notices?: string[]; source?: string } = {}): Promise<Dataset> {
  const { data, manifest } = inspectDatasetDir(dir, options.database);
  const fingerprint = data.kind === 'existing-database' ? `existing:${data.database}` : await fingerprintFiles(dataFiles(data));
  return {
    name,
    database: data.kind === 'existing-database' ? data.database : name,
    fingerprint,
    data,
    source: options.source ?? (manifest?.description ? `${dir} (${manifest.description})` : dir),
    notices: options.notices ?? [],
    async workload() {
      return readWorkloadDir(dir, name);
    },
  };
}

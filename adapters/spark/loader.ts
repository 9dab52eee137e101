/**
 * Loading tables into Spark: each table is created as a managed Parquet table in the dataset's
 * database from a CSV file, a Parquet file or rows in COPY text format (what SQL dumps hold),
 * then `ANALYZE TABLE ... COMPUTE STATISTICS FOR ALL COLUMNS` gives the cost-based optimizer
 * row counts and column statistics.
 *
 * Two ways in:
 * - 'file': the server reads the file itself (the local server, or a cluster that sees the same
 *   path). COPY text rows are first written to a Parquet file.
 * - 'insert': the rows are read here and sent as INSERT ... VALUES batches, for servers that
 *   cannot see our files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PilotScopeError } from '../../src/errors.js';
import { quoteIdentifier, SparkConnection, type SparkEndpoint } from './client.js';
import { splitDump, type ColumnDef, type ColumnTypeName } from './pg-dump.js';
import { copyRows, csvRecords, csvRows, parquetRows, writeParquet, type Value } from './row-files.js';

export type SparkTableData =
  /** With `header`, the first record names the columns, in any order; columns it leaves out are NULL. */
  | { format: 'csv'; file: string; header?: boolean; delimiter?: string }
  | { format: 'parquet'; file: string }
  /** PostgreSQL COPY text format: tab-separated, \N for NULL, backslash escapes. */
  | { format: 'copy-text'; file: string };

export interface SparkTableSpec {
  name: string;
  columns: ColumnDef[];
  data: SparkTableData;
}

export interface LoadedTable {
  name: string;
  rows: number;
  seconds: number;
}

export interface SparkLoaderOptions {
  /** The database (Spark schema) to create the tables in; created when missing. */
  database: string;
  /** How rows reach the server (default: 'file' for a server on this machine, else 'insert'). */
  mode?: 'file' | 'insert';
  /** Where converted files go (default: a temporary directory, removed afterwards). */
  scratchDir?: string;
  onProgress?(message: string): void;
}

const SPARK_TYPE: Record<ColumnTypeName, string> = {
  smallint: 'SMALLINT',
  integer: 'INT',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  numeric: 'DOUBLE',
  boolean: 'BOOLEAN',
  text: 'STRING',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
};

const INSERT_BATCH_ROWS = 2000;

export class SparkLoader {
  readonly mode: 'file' | 'insert';

  constructor(private readonly endpoint: SparkEndpoint, private readonly options: SparkLoaderOptions) {
    this.mode = options.mode ?? (isLocalHost(endpoint.host) ? 'file' : 'insert');
  }

  /** Creates (or replaces) each table, fills it and computes its statistics. */
  async loadTables(tables: readonly SparkTableSpec[]): Promise<LoadedTable[]> {
    const connection = await SparkConnection.open(this.endpoint);
    const scratch = this.options.scratchDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-spark-load-'));
    try {
      await connection.execute(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(this.options.database)}`);
      const loaded: LoadedTable[] = [];
      for (const table of tables) loaded.push(await this.loadTable(connection, table, scratch));
      return loaded;
    } finally {
      await connection.close();
      if (this.options.scratchDir === undefined) fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** Loads every table of a PostgreSQL plain-format dump (CREATE TABLE + COPY blocks). */
  async loadDump(file: string): Promise<LoadedTable[]> {
    const scratch = this.options.scratchDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-spark-dump-'));
    try {
      this.options.onProgress?.(`reading ${path.basename(file)}`);
      const tables = await splitDump(file, scratch);
      return await new SparkLoader(this.endpoint, { ...this.options, mode: this.mode, scratchDir: scratch }).loadTables(
        tables.map((t) => ({ name: t.name, columns: t.columns, data: { format: 'copy-text', file: t.rowsFile } })),
      );
    } finally {
      if (this.options.scratchDir === undefined) fs.rmSync(scratch, { recursive: true, force: true });
    }
  }

  private async loadTable(connection: SparkConnection, table: SparkTableSpec, scratch: string): Promise<LoadedTable> {
    const started = performance.now();
    if (table.columns.length === 0) throw new PilotScopeError('DATASET_INVALID', `Table ${table.name} has no columns.`);
    if (!fs.existsSync(table.data.file)) throw new PilotScopeError('DATASET_NOT_FOUND', `The data file of table ${table.name} does not exist: ${table.data.file}.`);
    const target = `${quoteIdentifier(this.options.database)}.${quoteIdentifier(table.name)}`;
    this.options.onProgress?.(`loading ${table.name}`);
    await connection.execute(`DROP TABLE IF EXISTS ${target}`);
    if (this.mode === 'file') await this.loadFromFile(connection, table, target, scratch);
    else await this.loadByInsert(connection, table, target);
    this.options.onProgress?.(`analyzing ${table.name}`);
    await connection.execute(`ANALYZE TABLE ${target} COMPUTE STATISTICS FOR ALL COLUMNS`);
    const counted = await connection.execute(`SELECT count(*) AS n FROM ${target}`, { fetch: true });
    return { name: table.name, rows: Number(counted.rows[0]?.n ?? 0), seconds: (performance.now() - started) / 1000 };
  }

  private async loadFromFile(connection: SparkConnection, table: SparkTableSpec, target: string, scratch: string): Promise<void> {
    const { data } = table;
    let source: string;
    let present = table.columns;
    if (data.format === 'csv') {
      present = await csvColumns(table, data);
      const view = quoteIdentifier(`pilotscope_load_${table.name}`);
      const schema = present.map((c) => `${quoteIdentifier(c.name)} ${SPARK_TYPE[c.type]}`).join(', ');
      const options = [
        `path ${stringLiteral(path.resolve(data.file))}`,
        `header ${stringLiteral(String(data.header ?? false))}`,
        `sep ${stringLiteral(data.delimiter ?? ',')}`,
        `escape '"'`,
        `mode 'FAILFAST'`,
        // Parse dates and timestamps the way PostgreSQL writes them.
        `timestampFormat 'yyyy-MM-dd HH:mm:ss[.SSSSSS][XXX]'`,
      ].join(', ');
      await connection.execute(`CREATE OR REPLACE TEMPORARY VIEW ${view} (${schema}) USING csv OPTIONS (${options})`);
      source = view;
    } else {
      let file = data.file;
      if (data.format === 'copy-text') {
        file = path.join(scratch, `${table.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.parquet`);
        await writeParquet(file, table.columns, copyRows(data.file, table.columns));
      }
      source = `parquet.${quoteIdentifier(path.resolve(file))}`;
    }
    const select = table.columns
      .map((c) => `CAST(${present.includes(c) ? quoteIdentifier(c.name) : 'NULL'} AS ${SPARK_TYPE[c.type]}) AS ${quoteIdentifier(c.name)}`)
      .join(', ');
    try {
      await connection.execute(`CREATE TABLE ${target} USING parquet AS SELECT ${select} FROM ${source}`);
    } catch (err) {
      throw loadError(err, table);
    }
  }

  private async loadByInsert(connection: SparkConnection, table: SparkTableSpec, target: string): Promise<void> {
    const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${SPARK_TYPE[c.type]}`).join(', ');
    await connection.execute(`CREATE TABLE ${target} (${columns}) USING parquet`);
    const { data } = table;
    const present = data.format === 'csv' ? await csvColumns(table, data) : table.columns;
    const rows =
      data.format === 'csv' ? csvRows(data.file, present, { header: data.header ?? false, delimiter: data.delimiter ?? ',' })
      : data.format === 'parquet' ? parquetRows(data.file, table.columns)
      : copyRows(data.file, table.columns);
    const names = `(${present.map((c) => quoteIdentifier(c.name)).join(', ')})`;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      try {
        await connection.execute(`INSERT INTO ${target} ${names} VALUES ${batch.join(', ')}`);
      } catch (err) {
        throw loadError(err, table);
      }
      batch = [];
    };
    for await (const row of rows) {
      batch.push(`(${row.map((v, i) => valueLiteral(v, present[i]!.type)).join(', ')})`);
      if (batch.length >= INSERT_BATCH_ROWS) await flush();
    }
    await flush();
  }
}

/** The table's columns in the order of the CSV file: as its header names them, else the table's order. */
async function csvColumns(table: SparkTableSpec, data: Extract<SparkTableData, { format: 'csv' }>): Promise<ColumnDef[]> {
  if (!data.header) return table.columns;
  let header: string[] | undefined;
  for await (const record of csvRecords(data.file, data.delimiter ?? ',')) {
    header = record;
    break;
  }
  if (!header) throw new PilotScopeError('DATASET_INVALID', `${data.file} is empty; a CSV table file starts with a line naming the columns.`);
  return header.map((name) => {
    const column = table.columns.find((c) => c.name === name.trim());
    if (!column) {
      throw new PilotScopeError('DATASET_INVALID', `The header of ${data.file} names "${name}", which is not a column of table ${table.name} (columns: ${table.columns.map((c) => c.name).join(', ')}).`);
    }
    return column;
  });
}

function loadError(err: unknown, table: SparkTableSpec): unknown {
  if (!(err instanceof PilotScopeError) || err.code !== 'QUERY_ERROR') return err;
  return new PilotScopeError('DATASET_INVALID', `Loading table ${table.name} from ${table.data.file} failed: ${err.message.replace(/^Spark rejected the statement: /, '')}`, { table: table.name }, { cause: err });
}

function valueLiteral(value: Value, type: ColumnTypeName): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'bigint') return `${value}L`;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return "CAST('NaN' AS DOUBLE)";
    if (!Number.isFinite(value)) return `CAST('${value > 0 ? 'Infinity' : '-Infinity'}' AS DOUBLE)`;
    return type === 'double' || type === 'numeric' ? `CAST(${value} AS DOUBLE)` : String(value);
  }
  if (type === 'date') return `DATE ${stringLiteral(value)}`;
  if (type === 'timestamp') return `TIMESTAMP ${stringLiteral(value)}`;
  return stringLiteral(value);
}

/** A Spark string literal: backslash escapes are on by default, so both quotes and backslashes are escaped. */
export function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

function isLocalHost(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1';
}

/**
 * The Spark DatasetLoader: each dataset loads into its own Spark database (named like the
 * dataset's database). A load ends by writing a completion marker into the database's properties
 * (the dataset's name and fingerprint), so a complete load is skipped next time, and a database
 * without the marker (a load killed midway) or with another fingerprint is dropped and loaded again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Settings } from '../../src/config/settings.js';
import type { Dataset, DatasetLoader, LoadOptions, LoadResult, TableData } from '../../src/datasets/types.js';
import { PilotScopeError } from '../../src/errors.js';
import { quoteIdentifier, SparkConnection, type SparkEndpoint } from './client.js';
import { resolveSparkTarget } from './connection.js';
import { parseCreateTables } from './ddl.js';
import { SparkLoader, stringLiteral, type SparkTableSpec } from './loader.js';
import type { ColumnDef } from './pg-dump.js';

const MARKER_DATASET = 'pilotscope.dataset';
const MARKER_FINGERPRINT = 'pilotscope.fingerprint';
const MARKER_LOADED_AT = 'pilotscope.loadedAt';

export interface SparkDatasetMarker {
  dataset: string;
  fingerprint: string;
  loadedAt: string;
}

export class SparkDatasetLoader implements DatasetLoader {
  readonly engine = 'spark';

  constructor(private readonly settings: Settings, private endpoint?: SparkEndpoint) {}

  async load(dataset: Dataset, options: LoadOptions = {}): Promise<LoadResult> {
    const started = Date.now();
    const endpoint = (this.endpoint ??= (await resolveSparkTarget(this.settings)).endpoint);
    const progress = options.onProgress ?? (() => undefined);
    const notices = [...dataset.notices];
    const result = (skipped: boolean, reason: string | undefined, tables: LoadResult['tables'], rowsExact: boolean): LoadResult => ({
      dataset: dataset.name,
      database: dataset.database,
      engine: this.engine,
      skipped,
      ...(reason ? { reason } : {}),
      tables,
      rowsExact,
      seconds: (Date.now() - started) / 1000,
      notices,
    });

    const connection = await SparkConnection.open(endpoint);
    try {
      if (dataset.data.kind === 'existing-database') {
        const database = dataset.data.database;
        if (!(await databaseExists(connection, database))) {
          throw new PilotScopeError('DATASET_INVALID', `Dataset "${dataset.name}" uses the existing database "${database}", which does not exist on ${endpoint.description}.`);
        }
        return result(true, `uses the existing database "${database}" as is`, await tableEstimates(connection, database), false);
      }
      let reason: string | undefined;
      if (await databaseExists(connection, dataset.database)) {
        const marker = await readMarker(connection, dataset.database);
        if (marker?.fingerprint === dataset.fingerprint && !options.force) {
          return result(true, `database "${dataset.database}" already holds ${dataset.name} (loaded ${marker.loadedAt}); use --force to reload`, await tableEstimates(connection, dataset.database), false);
        }
        reason = options.force
          ? 'reloaded because --force was given'
          : marker
            ? `reloaded: the database held other data (${marker.dataset}, ${marker.fingerprint})`
            : 'reloaded: an earlier load did not finish (no completion marker)';
        progress(`Dropping database "${dataset.database}" (${reason.replace(/^reloaded: /, '')}).`);
        await connection.execute(`DROP DATABASE ${quoteIdentifier(dataset.database)} CASCADE`);
      }
      await connection.execute(`CREATE DATABASE ${quoteIdentifier(dataset.database)}`);
      const loaded = await this.loadData(endpoint, dataset, progress);
      await connection.execute(
        `ALTER DATABASE ${quoteIdentifier(dataset.database)} SET DBPROPERTIES (` +
          `'${MARKER_DATASET}' = ${stringLiteral(dataset.name)}, '${MARKER_FINGERPRINT}' = ${stringLiteral(dataset.fingerprint)}, '${MARKER_LOADED_AT}' = ${stringLiteral(new Date().toISOString())})`,
      );
      return result(false, reason, loaded.map((t) => ({ name: t.name, rows: t.rows })).sort((a, b) => a.name.localeCompare(b.name)), true);
    } finally {
      await connection.close();
    }
  }

  /** The completion marker of a dataset's database: undefined when the database is absent, null when incomplete. */
  async marker(database: string): Promise<SparkDatasetMarker | null | undefined> {
    const endpoint = (this.endpoint ??= (await resolveSparkTarget(this.settings)).endpoint);
    const connection = await SparkConnection.open(endpoint);
    try {
      return (await databaseExists(connection, database)) ? await readMarker(connection, database) : undefined;
    } finally {
      await connection.close();
    }
  }

  private async loadData(endpoint: SparkEndpoint, dataset: Dataset, progress: (m: string) => void) {
    const loader = new SparkLoader(endpoint, { database: dataset.database, onProgress: (m) => progress(`  ${m}`) });
    const data = dataset.data;
    if (data.kind === 'sql-dump') {
      progress(`Loading ${data.file} into Spark database "${dataset.database}".`);
      return loader.loadDump(data.file);
    }
    if (data.kind === 'existing-database') return [];
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-spark-dataset-'));
    try {
      let columnsOf: (table: string) => ColumnDef[];
      if (data.kind === 'tables') {
        const created = parseCreateTables(fs.readFileSync(data.schemaFile, 'utf8'), data.schemaFile);
        columnsOf = (table) => {
          const found = created.find((t) => t.name === table);
          if (!found) throw new PilotScopeError('DATASET_INVALID', `${data.schemaFile} does not create table ${table}.`);
          return found.columns;
        };
      } else {
        columnsOf = (table) => data.schema.find((t) => t.name === table)!.columns.map((c) => ({ name: c.name, type: c.type }));
      }
      const specs: SparkTableSpec[] = [];
      for (const table of data.tables) specs.push({ name: table.name, columns: columnsOf(table.name), data: await tableSource(table.name, table.data, scratch) });
      progress(`Loading ${specs.length} tables into Spark database "${dataset.database}".`);
      return await loader.loadTables(specs);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
}

/** CSV files of a dataset start with a header naming the columns; row streams are written to a file first. */
async function tableSource(table: string, data: TableData, scratch: string): Promise<SparkTableSpec['data']> {
  if (data.format === 'csv') return { format: 'csv', file: data.file, header: true };
  if (data.format === 'parquet') return { format: 'parquet', file: data.file };
  const file = path.join(scratch, `${table.replace(/[^A-Za-z0-9_.-]/g, '_')}.copy`);
  await pipeline(data.open(), fs.createWriteStream(file));
  return { format: 'copy-text', file };
}

async function databaseExists(connection: SparkConnection, database: string): Promise<boolean> {
  const { rows } = await connection.execute('SHOW DATABASES', { fetch: true });
  return rows.some((r) => String(Object.values(r)[0]) === database);
}

/** Reads the marker from DESCRIBE DATABASE EXTENDED's "Properties" row: ((key,value), (key,value)). */
async function readMarker(connection: SparkConnection, database: string): Promise<SparkDatasetMarker | null> {
  const { rows } = await connection.execute(`DESCRIBE DATABASE EXTENDED ${quoteIdentifier(database)}`, { fetch: true });
  const properties = String(rows.find((r) => String(r.info_name).toLowerCase() === 'properties')?.info_value ?? '');
  const value = (key: string) => new RegExp(`\\(${key.replace(/\./g, '\\.')},([^)]*)\\)`).exec(properties)?.[1];
  const dataset = value(MARKER_DATASET);
  const fingerprint = value(MARKER_FINGERPRINT);
  if (dataset === undefined || fingerprint === undefined) return null;
  return { dataset, fingerprint, loadedAt: value(MARKER_LOADED_AT) ?? '' };
}

/** Row counts from the statistics ANALYZE stored (no table scans); 0 where a table has none. */
async function tableEstimates(connection: SparkConnection, database: string): Promise<LoadResult['tables']> {
  const { rows } = await connection.execute(`SHOW TABLES IN ${quoteIdentifier(database)}`, { fetch: true });
  const out: LoadResult['tables'] = [];
  for (const row of rows.filter((r) => r.isTemporary !== true)) {
    const name = String(row.tableName);
    const described = await connection.execute(`DESCRIBE TABLE EXTENDED ${quoteIdentifier(database)}.${quoteIdentifier(name)}`, { fetch: true });
    const statistics = String(described.rows.find((r) => String(r.col_name) === 'Statistics')?.data_type ?? '');
    out.push({ name, rows: Number(/(\d+) rows/.exec(statistics)?.[1] ?? 0) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

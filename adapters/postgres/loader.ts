/**
 * The PostgreSQL DatasetLoader. Each dataset loads into its own database. A load ends by writing
 * a completion marker (a comment on the database holding the dataset's fingerprint), so:
 * - a database whose marker matches is complete: loading again is skipped (unless forced);
 * - a database without it (a load killed midway) or with another fingerprint is dropped and
 *   loaded again.
 * Concurrent loads of the same database are serialized with an advisory lock.
 */
import type pg from 'pg';
import { PilotScopeError } from '../../src/errors.js';
import type { Settings } from '../../src/config/settings.js';
import type { Dataset, DatasetLoader, LoadOptions, LoadResult, TableData } from '../../src/datasets/types.js';
import { connect, quoteIdent, resolveServer, type ServerTarget } from './connection.js';
import { constraintSql, createTableSql } from './load-ddl.js';
import { copyCsvFile, copyParquetFile, copyTextRows } from './load-copy.js';
import { loadDumpWithPsql } from './load-dump.js';
import fs from 'node:fs';

const MARKER_PREFIX = 'pilotscope-dataset ';

export interface DatasetMarker {
  dataset: string;
  fingerprint: string;
  loadedAt: string;
}

export class PostgresDatasetLoader implements DatasetLoader {
  readonly engine = 'postgresql';
  private target?: ServerTarget;

  constructor(private readonly settings: Settings, target?: ServerTarget) {
    if (target) this.target = target;
  }

  async server(): Promise<ServerTarget> {
    return (this.target ??= await resolveServer(this.settings));
  }

  async load(dataset: Dataset, options: LoadOptions = {}): Promise<LoadResult> {
    const started = Date.now();
    const target = await this.server();
    const progress = options.onProgress ?? (() => undefined);
    const notices = [...dataset.notices];
    const result = (skipped: boolean, reason: string | undefined, tables: LoadResult['tables']): LoadResult => ({
      dataset: dataset.name,
      database: dataset.database,
      engine: this.engine,
      skipped,
      ...(reason ? { reason } : {}),
      tables,
      rowsExact: !skipped,
      seconds: (Date.now() - started) / 1000,
      notices,
    });

    if (dataset.data.kind === 'existing-database') {
      const admin = await connect(target, 'postgres');
      try {
        if ((await databaseState(admin, dataset.data.database)) === undefined) {
          throw new PilotScopeError(
            'DATASET_INVALID',
            `Dataset "${dataset.name}" uses the existing database "${dataset.data.database}", which does not exist on ${target.description}. ` +
              'Point it at the right server (PG* variables or the config file) or re-register it with the right --database.',
          );
        }
      } finally {
        await admin.end();
      }
      return result(true, `uses the existing database "${dataset.data.database}" as is`, await tableEstimates(target, dataset.data.database));
    }

    const admin = await connect(target, 'postgres');
    try {
      await admin.query('SELECT pg_advisory_lock(hashtext($1))', [`pilotscope-dataset:${dataset.database}`]);
      const state = await databaseState(admin, dataset.database);
      let reason: string | undefined;
      if (state !== undefined) {
        const marker = parseMarker(state);
        if (marker?.fingerprint === dataset.fingerprint && !options.force) {
          return result(true, `database "${dataset.database}" already holds ${dataset.name} (loaded ${marker.loadedAt}); use --force to reload`, await tableEstimates(target, dataset.database));
        }
        reason = options.force
          ? 'reloaded because --force was given'
          : marker
            ? `reloaded: the database held other data (${marker.dataset}, ${marker.fingerprint})`
            : 'reloaded: an earlier load did not finish (no completion marker)';
        progress(`Dropping database "${dataset.database}" (${reason.replace(/^reloaded: /, '')}).`);
        await admin.query(`DROP DATABASE ${quoteIdent(dataset.database)} WITH (FORCE)`);
      }
      await admin.query(`CREATE DATABASE ${quoteIdent(dataset.database)}`);
      await this.loadData(target, dataset, progress, notices);
      const marker: DatasetMarker = { dataset: dataset.name, fingerprint: dataset.fingerprint, loadedAt: new Date().toISOString() };
      await admin.query(`COMMENT ON DATABASE ${quoteIdent(dataset.database)} IS ${admin.escapeLiteral(MARKER_PREFIX + JSON.stringify(marker))}`);
      return result(false, reason, await tableCounts(target, dataset.database));
    } finally {
      await admin.end().catch(() => undefined);
    }
  }

  /** The completion marker of a dataset's database: undefined when absent, null when incomplete. */
  async marker(database: string): Promise<DatasetMarker | null | undefined> {
    const admin = await connect(await this.server(), 'postgres');
    try {
      const state = await databaseState(admin, database);
      return state === undefined ? undefined : parseMarker(state);
    } finally {
      await admin.end();
    }
  }

  private async loadData(target: ServerTarget, dataset: Dataset, progress: (m: string) => void, notices: string[]): Promise<void> {
    const data = dataset.data;
    if (data.kind === 'sql-dump') {
      progress(`Loading ${data.file} into "${dataset.database}" with psql.`);
      const { tolerated } = await loadDumpWithPsql(target, dataset.database, data.file);
      if (tolerated.length) notices.push(`Ignored ${tolerated.length} ownership error(s) from the dump (e.g. ${tolerated[0]}).`);
      await analyze(target, dataset.database, progress);
      return;
    }
    const client = await connect(target, dataset.database);
    try {
      if (data.kind === 'tables') {
        await client.query(fs.readFileSync(data.schemaFile, 'utf8'));
        for (const table of data.tables) await copyTable(client, table.name, table.data, progress);
      } else if (data.kind === 'generated') {
        for (const table of data.schema) await client.query(createTableSql(table));
        for (const table of data.tables) await copyTable(client, table.name, table.data, progress);
        progress('Adding primary keys, indexes and foreign keys.');
        for (const statement of constraintSql(data.schema)) await client.query(statement);
      }
    } catch (err) {
      throw loadError(err, dataset);
    } finally {
      await client.end().catch(() => undefined);
    }
    await analyze(target, dataset.database, progress);
  }
}

async function copyTable(client: pg.Client, table: string, data: TableData, progress: (m: string) => void): Promise<void> {
  const started = Date.now();
  let rows: number;
  if (data.format === 'rows') rows = await copyTextRows(client, table, data.open());
  else if (data.format === 'csv') rows = await copyCsvFile(client, table, data.file);
  else rows = await copyParquetFile(client, table, data.file);
  progress(`  ${table}: ${rows} rows (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

function loadError(err: unknown, dataset: Dataset): PilotScopeError {
  if (err instanceof PilotScopeError) return err;
  const e = err as { message?: string; code?: string; where?: string };
  return new PilotScopeError(
    'DATASET_INVALID',
    `Loading dataset "${dataset.name}" into "${dataset.database}" failed: ${e.message ?? String(err)}${e.where ? ` (${e.where})` : ''}. ` +
      'Check that the data files match schema.sql; the incomplete database is replaced on the next load.',
    { database: dataset.database, sqlState: e.code },
    { cause: err },
  );
}

async function analyze(target: ServerTarget, database: string, progress: (m: string) => void): Promise<void> {
  progress('ANALYZE');
  const client = await connect(target, database);
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

/** The database's comment ('' when none), or undefined when the database does not exist. */
async function databaseState(admin: pg.Client, database: string): Promise<string | undefined> {
  const r = await admin.query<{ comment: string | null }>(
    "SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1",
    [database],
  );
  return r.rowCount ? r.rows[0]!.comment ?? '' : undefined;
}

function parseMarker(comment: string): DatasetMarker | null {
  if (!comment.startsWith(MARKER_PREFIX)) return null;
  try {
    const marker = JSON.parse(comment.slice(MARKER_PREFIX.length)) as DatasetMarker;
    return typeof marker.fingerprint === 'string' ? marker : null;
  } catch {
    return null;
  }
}

/** The planner's row counts (pg_class.reltuples, kept by ANALYZE) of the user tables: no table scans. */
export async function tableEstimates(target: ServerTarget, database: string): Promise<{ name: string; rows: number }[]> {
  const client = await connect(target, database);
  try {
    const r = await client.query<{ schema: string; name: string; rows: string }>(
      `SELECT n.nspname AS schema, c.relname AS name, greatest(c.reltuples, 0)::bigint AS rows
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        ORDER BY n.nspname, c.relname`,
    );
    return r.rows.map((x) => ({ name: x.schema === 'public' ? x.name : `${x.schema}.${x.name}`, rows: Number(x.rows) }));
  } finally {
    await client.end();
  }
}

/** Exact row counts of the database's user tables. */
export async function tableCounts(target: ServerTarget, database: string): Promise<{ name: string; rows: number }[]> {
  const client = await connect(target, database);
  try {
    const tables = await client.query<{ schemaname: string; tablename: string }>(
      "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY schemaname, tablename",
    );
    const counts: { name: string; rows: number }[] = [];
    for (const { schemaname, tablename } of tables.rows) {
      const r = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(schemaname)}.${quoteIdent(tablename)}`);
      counts.push({ name: schemaname === 'public' ? tablename : `${schemaname}.${tablename}`, rows: Number(r.rows[0]!.n) });
    }
    return counts;
  } finally {
    await client.end();
  }
}

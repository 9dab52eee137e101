/**
 * Loading datasets into a real (embedded) PostgreSQL: the shared stats_tiny / imdb_tiny dumps,
 * CSV + Parquet table files, existing databases, idempotent reloads and interrupted loads.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parquetWriteFile } from 'hyparquet-writer';
import { loadSettings } from '../src/config/settings.js';
import { EmbeddedPostgres } from '../adapters/postgres/cluster.js';
import { connect, resolveServer, type ServerTarget } from '../adapters/postgres/connection.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { syntheticDataset } from '../src/datasets/synthetic/index.js';
import { templateOf } from '../src/datasets/sql-normalize.js';
import { isPilotScopeError } from '../src/errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sharedDatasets = path.resolve(repoRoot, '../shared/datasets');
const home = fs.mkdtempSync(path.join('/tmp', 'pilotscope-ds-load-'));
fs.chmodSync(home, 0o755);
const settings = loadSettings({ home }, { PILOTSCOPE_HOME: home });
let target: ServerTarget;

test.before(async () => {
  target = await resolveServer(settings);
});

test.after.always(async () => {
  await new EmbeddedPostgres(home).stop();
  fs.rmSync(home, { recursive: true, force: true });
});

/** Rows per table in a pg_dump file: the lines of each COPY block. */
function dumpRowCounts(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let table: string | undefined;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (table) {
      if (line === '\\.') table = undefined;
      else counts[table]!++;
      continue;
    }
    const m = /^COPY (?:public\.)?(\w+) .* FROM stdin;$/.exec(line);
    if (m) {
      table = m[1]!;
      counts[table] = 0;
    }
  }
  return counts;
}

async function query<T>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = await connect(target, database);
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

for (const name of ['stats_tiny', 'imdb_tiny']) {
  test.serial(`${name} from the shared directory loads with the dump's row counts, and loading again is skipped`, async (t) => {
    const registry = new DatasetRegistry(home);
    registry.add(name, path.join(sharedDatasets, name));
    const loader = new PostgresDatasetLoader(settings, target);
    const first = await loader.load(await registry.open(name));
    t.false(first.skipped);
    t.is(first.database, name);
    const expected = dumpRowCounts(path.join(sharedDatasets, name, 'data.sql'));
    t.true(Object.keys(expected).length >= 8);
    t.deepEqual(Object.fromEntries(first.tables.map((x) => [x.name, x.rows])), expected);
    const analyzed = await query<{ n: string }>(name, "SELECT count(*) AS n FROM pg_stat_user_tables WHERE last_analyze IS NULL AND last_autoanalyze IS NULL AND n_live_tup > 0");
    t.is(Number(analyzed[0]!.n), 0, 'every table was analyzed');

    const second = await loader.load(await registry.open(name));
    t.true(second.skipped);
    t.regex(second.reason ?? '', /already holds/);
    t.deepEqual(second.tables, first.tables, 'planner estimates equal the exact counts on these small analyzed tables');
    t.true(first.rowsExact);
    t.false(second.rowsExact);
  });
}

test.serial('a database left without a completion marker is dropped and loaded again', async (t) => {
  const registry = new DatasetRegistry(home);
  registry.add('stats_tiny', path.join(sharedDatasets, 'stats_tiny'));
  const loader = new PostgresDatasetLoader(settings, target);
  const admin = await connect(target, 'postgres');
  await admin.query('DROP DATABASE IF EXISTS stats_tiny WITH (FORCE)');
  await admin.query('CREATE DATABASE stats_tiny');
  await admin.end();
  await query('stats_tiny', 'CREATE TABLE users (id integer); INSERT INTO users VALUES (1)');
  t.is(await loader.marker('stats_tiny'), null);

  const result = await loader.load(await registry.open('stats_tiny'));
  t.false(result.skipped);
  t.regex(result.reason ?? '', /did not finish/);
  t.is(result.tables.find((x) => x.name === 'users')?.rows, dumpRowCounts(path.join(sharedDatasets, 'stats_tiny', 'data.sql')).users);
  t.truthy(await loader.marker('stats_tiny'));

  const forced = await loader.load(await registry.open('stats_tiny'), { force: true });
  t.false(forced.skipped);
  t.regex(forced.reason ?? '', /--force/);
});

test.serial('a load killed midway (SIGKILL during COPY) is detected and redone', async (t) => {
  const params = { scale: 0.5, seed: 11 };
  const dataset = syntheticDataset(params);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'dataset', 'load', 'synthetic', '--scale', '0.5', '--seed', '11'], {
    cwd: repoRoot,
    env: { ...process.env, PILOTSCOPE_HOME: home },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  let killedDuringCopy = false;
  for (let i = 0; i < 3000 && child.exitCode === null; i++) {
    const copying = await query<{ n: string }>('postgres', "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY%' AND state = 'active'", [dataset.database]);
    if (Number(copying[0]!.n) > 0) {
      child.kill('SIGKILL');
      killedDuringCopy = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await exited;
  t.true(killedDuringCopy, 'the child was caught while copying');

  const loader = new PostgresDatasetLoader(settings, target);
  t.is(await loader.marker(dataset.database), null, 'the interrupted database has no completion marker');
  const result = await loader.load(dataset);
  t.false(result.skipped);
  t.regex(result.reason ?? '', /did not finish/);
  const expected = Object.fromEntries(dataset.data.kind === 'generated' ? dataset.data.tables.map((x) => [x.name, x.data.rowCount]) : []);
  t.deepEqual(Object.fromEntries(result.tables.map((x) => [x.name, x.rows])), expected);
});

test.serial('schema.sql with CSV and Parquet table files loads through COPY, values intact', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-ds-tables-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(
    path.join(dir, 'schema.sql'),
    `-- two tables; the key is checked while copying
     CREATE TABLE owners (id integer PRIMARY KEY, name text, note text);
     CREATE TABLE "things" (id bigint PRIMARY KEY, owner_id integer REFERENCES owners (id), label text, weight double precision, flag boolean);`,
  );
  fs.writeFileSync(path.join(dir, 'owners.csv'), 'name,id,note\n"Smith, Jo",1,"said ""hi""\nand left"\nplain,2,\n');
  const n = 2500;
  const ids = Array.from({ length: n }, (_, i) => BigInt(i + 1));
  parquetWriteFile({
    filename: path.join(dir, 'things.parquet'),
    columnData: [
      { name: 'id', data: ids, type: 'INT64' },
      { name: 'owner_id', data: ids.map((_, i) => (i % 3 === 0 ? null : (i % 2) + 1)), type: 'INT32', nullable: true },
      { name: 'label', data: ids.map((_, i) => (i === 7 ? 'tab\there\\back\nline' : `thing ${i}`)), type: 'STRING' },
      { name: 'weight', data: ids.map((_, i) => i / 4), type: 'DOUBLE' },
      { name: 'flag', data: ids.map((_, i) => i % 2 === 0), type: 'BOOLEAN' },
    ],
    rowGroupSize: 1000,
  });
  fs.writeFileSync(path.join(dir, 'train.sql'), 'select count(*) from things where weight > 1;\nselect count(*) from owners;');
  const registry = new DatasetRegistry(home);
  registry.add('files_demo', dir);
  const result = await new PostgresDatasetLoader(settings, target).load(await registry.open('files_demo'));
  t.deepEqual(result.tables, [{ name: 'owners', rows: 2 }, { name: 'things', rows: n }]);
  const owners = await query<{ id: number; name: string; note: string | null }>('files_demo', 'SELECT id, name, note FROM owners ORDER BY id');
  t.deepEqual(owners, [{ id: 1, name: 'Smith, Jo', note: 'said "hi"\nand left' }, { id: 2, name: 'plain', note: null }]);
  const things = await query<Record<string, unknown>>('files_demo', 'SELECT id, owner_id, label, weight, flag FROM things WHERE id IN (1, 2, 8, 2500) ORDER BY id');
  t.deepEqual(things, [
    { id: '1', owner_id: null, label: 'thing 0', weight: 0, flag: true },
    { id: '2', owner_id: 2, label: 'thing 1', weight: 0.25, flag: false },
    { id: '8', owner_id: 2, label: 'tab\there\\back\nline', weight: 1.75, flag: false },
    { id: '2500', owner_id: null, label: 'thing 2499', weight: 624.75, flag: false },
  ]);
  const workload = await (await registry.open('files_demo')).workload();
  t.is(workload.train.length + workload.test.length, 2);
});

test.serial('a bad CSV file fails the load with a clear error and leaves no completion marker', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-ds-bad-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'schema.sql'), 'CREATE TABLE t (id integer, v integer);');
  fs.writeFileSync(path.join(dir, 't.csv'), 'id,v\n1,2\n2,not-a-number\n');
  const registry = new DatasetRegistry(home);
  registry.add('bad_demo', dir);
  const loader = new PostgresDatasetLoader(settings, target);
  const err = await t.throwsAsync(loader.load(await registry.open('bad_demo')));
  t.true(isPilotScopeError(err, 'DATASET_INVALID'));
  t.regex(err!.message, /not-a-number/);
  t.is(await loader.marker('bad_demo'), null);
});

test.serial('a dataset registered with --database uses that existing database as is', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-ds-prod-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'train.sql'), 'select count(*) from users where reputation > 10;');
  fs.writeFileSync(path.join(dir, 'test.sql'), 'select count(*) from posts;');
  const registry = new DatasetRegistry(home);
  registry.add('prod', dir, { database: 'stats_tiny' });
  const dataset = await registry.open('prod');
  t.is(dataset.database, 'stats_tiny');
  const loader = new PostgresDatasetLoader(settings, target);
  const result = await loader.load(dataset);
  t.true(result.skipped);
  t.regex(result.reason ?? '', /existing database "stats_tiny"/);
  t.true(result.tables.some((x) => x.name === 'users' && x.rows > 0));
  t.deepEqual((await dataset.workload()).test, ['select count(*) from posts']);

  fs.writeFileSync(path.join(dir, 'dataset.json'), JSON.stringify({ database: 'no_such_db' }));
  registry.add('prod_missing', dir);
  const err = await t.throwsAsync(loader.load(await registry.open('prod_missing')));
  t.true(isPilotScopeError(err, 'DATASET_INVALID'));
  t.regex(err!.message, /no_such_db.*does not exist/);
});

test.serial('the shared stats_tiny has no test.sql: the workload is a seeded split by template, with a notice', async (t) => {
  const registry = new DatasetRegistry(home);
  registry.add('stats_tiny', path.join(sharedDatasets, 'stats_tiny'));
  const w1 = await (await registry.open('stats_tiny')).workload();
  const w2 = await (await registry.open('stats_tiny')).workload();
  t.deepEqual(w1, w2);
  t.is(w1.train.length + w1.test.length, 1000);
  t.true(w1.test.length > 100 && w1.test.length < 300, `test size ${w1.test.length}`);
  t.regex(w1.notices.join('\n'), /no test\.sql: split train\.sql by query template \(seed 42/);
  const trainTemplates = new Set(w1.train.map(templateOf));
  t.true(w1.test.every((q) => !trainTemplates.has(templateOf(q))));
  // Every query of the split runs against the loaded data.
  const client = await connect(target, 'stats_tiny');
  try {
    for (const q of w1.test.slice(0, 20)) await client.query(`EXPLAIN ${q}`);
  } finally {
    await client.end();
  }
  t.pass();
});

/**
 * extract-queries against logs written by a real PostgreSQL 15: stderr, csvlog and jsonlog at
 * once (logging_collector), a workload run through psql (multi-line statements, comments,
 * semicolons in literals, multi-statement strings, catalog queries, a failing query) and through
 * the pg client with bind parameters (extended protocol), in log_statement and
 * log_min_duration_statement modes; then damaged copies of those logs.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadSettings } from '../src/config/settings.js';
import { EmbeddedPostgres } from '../adapters/postgres/cluster.js';
import { connect, resolveServer, type ServerTarget } from '../adapters/postgres/connection.js';
import { pgBinaries } from '../adapters/postgres/binaries.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { extractQueries, type ExtractSummary } from '../src/datasets/logs/extract.js';
import { parseCsvRecord, prefixPattern } from '../src/datasets/logs/formats.js';
import { bindParameters, parseParameters } from '../src/datasets/logs/statements.js';
import { lex } from '../src/datasets/sql-normalize.js';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { readStatements } from '../src/datasets/format.js';
import { isPilotScopeError } from '../src/errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const home = fs.mkdtempSync(path.join('/tmp', 'pilotscope-extract-'));
fs.chmodSync(home, 0o755);
const work = path.join(home, 'work');
fs.mkdirSync(work);
const settings = loadSettings({ home }, { PILOTSCOPE_HOME: home });
const cluster = () => new EmbeddedPostgres(home);
let target: ServerTarget;
/** Log files per phase and format. */
const logs: Record<'statement' | 'duration', Record<'stderr' | 'csvlog' | 'jsonlog', string>> = { statement: {} as never, duration: {} as never };

const PHASE1_PREFIX = '%m [%p] %q%u@%d ';
const PHASE2_PREFIX = '%t [%p]: user=%u,db=%d,app=%a,client=%h ';

/** What phase 1 must keep (normalized), with execution counts. */
const PHASE1_KEPT: Record<string, number> = {
  "SELECT i.name, o.qty FROM items i JOIN orders o ON o.item_id = i.id WHERE i.price > 5 AND i.name <> 'semi;colon -- not a comment'": 1,
  'SELECT count(*) FROM items WHERE name = $q$dollar; quoted$q$': 1,
  'WITH cheap AS ( SELECT * FROM items WHERE price < 20 ) SELECT count(*) FROM cheap': 1,
  'select count(*) from orders where qty > 1': 3,
  'select count(*) from orders where qty > 2': 1,
  'select count(*) from items': 1,
  'select max(price) from items': 1,
  "select count(*) from items where price > '10' and name <> 'it''s'": 2,
  "select * from orders where item_id = '3'": 1,
  "select count(*) from items where name = coalesce(NULL::text, name)": 1,
  "select count(*) from items where name = 'multi\nline value'": 1,
  "select 'phase1-done' from items limit 1": 1,
};

function psql(database: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const { host, port, user } = cluster().connectionParams(database);
  const r = spawnSync(pgBinaries().program('psql'), ['-X', '-q', '-h', host, '-p', String(port), '-U', user, '-d', database, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
}

async function admin(sql: string): Promise<void> {
  const client = await connect(target, 'postgres');
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function logDir(): string {
  return path.join(cluster().paths.dataDir, 'log');
}

function newestLogs(): Record<'stderr' | 'csvlog' | 'jsonlog', string> {
  const files = fs.readdirSync(logDir()).sort();
  const last = (ext: string) => path.join(logDir(), files.filter((f) => f.endsWith(ext)).at(-1)!);
  return { stderr: last('.log'), csvlog: last('.csv'), jsonlog: last('.json') };
}

async function waitForText(file: string, text: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(text)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${text} never appeared in ${file}`);
}

async function rotate(): Promise<void> {
  const before = new Set(fs.existsSync(logDir()) ? fs.readdirSync(logDir()) : []);
  await new Promise((r) => setTimeout(r, 1100)); // log_filename has one-second resolution
  await admin('SELECT pg_rotate_logfile()');
  for (let i = 0; i < 100 && fs.readdirSync(logDir()).filter((f) => !before.has(f)).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
}

test.before(async () => {
  target = await resolveServer(settings);
  for (const sql of [
    'ALTER SYSTEM SET logging_collector = on',
    "ALTER SYSTEM SET log_destination = 'stderr,csvlog,jsonlog'",
    "ALTER SYSTEM SET log_filename = 'postgresql-%Y%m%d-%H%M%S.log'",
    "ALTER SYSTEM SET log_statement = 'all'",
    'ALTER SYSTEM SET log_min_duration_statement = -1',
    `ALTER SYSTEM SET log_line_prefix = '${PHASE1_PREFIX}'`,
    'ALTER SYSTEM SET log_rotation_size = 0',
  ]) await admin(sql);
  await cluster().restart();
  await admin('CREATE DATABASE shop');
  const setup = await connect(target, 'shop');
  await setup.query("CREATE TABLE items (id int PRIMARY KEY, name text, price numeric); CREATE TABLE orders (id int PRIMARY KEY, item_id int REFERENCES items, qty int)");
  await setup.query("INSERT INTO items SELECT g, 'item ' || g, g * 3 FROM generate_series(1, 20) g; INSERT INTO orders SELECT g, 1 + g % 20, g % 5 FROM generate_series(1, 100) g");
  await setup.end();
  await rotate();

  // Phase 1: log_statement = all, Debian's prefix.
  const script = path.join(work, 'workload.sql');
  fs.writeFileSync(
    script,
    `-- a report; with a semicolon in this comment;
SELECT i.name, o.qty
  FROM items i
  JOIN orders o ON o.item_id = i.id   /* join; on the key */
 WHERE i.price > 5
   AND i.name <> 'semi;colon -- not a comment';
SELECT count(*) FROM items WHERE name = $q$dollar; quoted$q$;
WITH cheap AS (
  SELECT * FROM items WHERE price < 20
) SELECT count(*) FROM cheap;
select count(*) from orders where qty > 1;
select count(*) from orders where qty > 1;
select count(*) from orders where qty > 1;
select count(*) from orders where qty > 2;
select * from pg_class limit 1;
select relname from pg_stat_user_tables;
select 1;
insert into orders values (1000, 1, 1);
with moved as (delete from orders where id = 1000 returning *) insert into orders select * from moved;
select * from no_such_table;
/*pilotscope {"anchor": {}} pilotscope*/ select count(*) from items;
`,
  );
  psql('shop', ['-f', script]);
  psql('shop', ['-c', 'select count(*) from items; select max(price) from items']);
  const client = new pg.Client(cluster().connectionParams('shop'));
  await client.connect();
  await client.query('select count(*) from items where price > $1 and name <> $2', [10, "it's"]);
  await client.query('select count(*) from items where price > $1 and name <> $2', [10, "it's"]);
  await client.query({ name: 'by_item', text: 'select * from orders where item_id = $1', values: [3] });
  await client.query('select count(*) from items where name = coalesce($1::text, name)', [null]);
  await client.query('select count(*) from items where name = $1', ['multi\nline value']);
  await client.query("select 'phase1-done' from items limit 1");
  await client.end();
  logs.statement = newestLogs();
  for (const f of Object.values(logs.statement)) await waitForText(f, 'phase1-done');

  // Phase 2: log_min_duration_statement = 0 only, another prefix, new files.
  await admin("ALTER SYSTEM SET log_statement = 'none'");
  await admin('ALTER SYSTEM SET log_min_duration_statement = 0');
  await admin(`ALTER SYSTEM SET log_line_prefix = '${PHASE2_PREFIX}'`);
  await admin('SELECT pg_reload_conf()');
  await rotate();
  psql('shop', ['-c', 'select count(*) from orders where qty > 3']);
  psql('shop', ['-c', 'select count(*) from orders where qty > 4'], { PGAPPNAME: 'pilotscope-collector' });
  const client2 = new pg.Client(cluster().connectionParams('shop'));
  await client2.connect();
  await client2.query('select count(*) from orders o join items i on i.id = o.item_id where i.price < $1', [30]);
  await client2.query("select 'phase2-done' from items limit 1");
  await client2.end();
  logs.duration = newestLogs();
  for (const f of Object.values(logs.duration)) await waitForText(f, 'phase2-done');
});

test.after.always(async () => {
  await cluster().stop();
  fs.rmSync(home, { recursive: true, force: true });
});

async function extract(input: string, name: string, extra: Partial<Parameters<typeof extractQueries>[0]> = {}): Promise<ExtractSummary> {
  const summary = await extractQueries({ input, output: path.join(work, name), ...extra });
  if (summary.train + summary.test !== kept(name).length) throw new Error('summary and files disagree');
  return summary;
}

/** The statements an extraction wrote (train then test), sorted. */
function kept(name: string): string[] {
  const dir = path.join(work, name);
  return [...readStatements(path.join(dir, 'train.sql')), ...readStatements(path.join(dir, 'test.sql'))].sort();
}

for (const format of ['stderr', 'csvlog', 'jsonlog'] as const) {
  test.serial(`phase 1 (log_statement = all) read from ${format}: the right statements, parameters bound, the rest skipped by reason`, async (t) => {
    const summary = await extract(logs.statement[format], `p1-${format}`);
    t.is(summary.format, format);
    if (format === 'stderr') t.is(summary.logLinePrefix, PHASE1_PREFIX);
    t.deepEqual(kept(`p1-${format}`), Object.keys(PHASE1_KEPT).sort());
    t.is(summary.executionsKept, Object.values(PHASE1_KEPT).reduce((a, b) => a + b, 0));
    t.is(summary.database, 'shop');
    t.true(summary.skipped['catalog or monitoring query']! >= 2);
    t.true(summary.skipped['no table (e.g. SELECT 1)']! >= 1);
    t.true(summary.skipped['not a SELECT']! >= 2);
    t.is(summary.skipped['statement failed (ERROR follows)'], 1);
    t.is(summary.skipped["pilotscope's own statement"], 1);
    const qty = summary.templateList.find((x) => x.template === 'select count(*) from orders where qty > ?');
    t.deepEqual(qty && { executions: qty.executions, statements: qty.statements }, { executions: 4, statements: 2 });
    t.is(summary.train + summary.test, summary.distinctStatements);
    t.true(summary.train > 0 && summary.test > 0);
  });
}

test.serial('the three formats give the same statements and the same split', async (t) => {
  const read = (f: string) => ({ train: readStatements(path.join(work, f, 'train.sql')), test: readStatements(path.join(work, f, 'test.sql')) });
  t.deepEqual(read('p1-csvlog'), read('p1-stderr'));
  t.deepEqual(read('p1-jsonlog'), read('p1-stderr'));
});

for (const format of ['stderr', 'csvlog', 'jsonlog'] as const) {
  test.serial(`phase 2 (log_min_duration_statement = 0) read from ${format}: duration lines, parse/bind/execute steps`, async (t) => {
    const summary = await extract(logs.duration[format], `p2-${format}`, format === 'stderr' ? { logLinePrefix: PHASE2_PREFIX } : {});
    t.deepEqual(kept(`p2-${format}`), [
      "select 'phase2-done' from items limit 1",
      "select count(*) from orders o join items i on i.id = o.item_id where i.price < '30'",
      'select count(*) from orders where qty > 3',
    ]);
    t.true(summary.skipped['parse/bind step (counted at execute)']! >= 2);
    t.is(summary.skipped["pilotscope's own statement"], 1, 'application_name pilotscope-collector');
    t.is(summary.database, 'shop');
  });
}

test.serial('the phase 2 stderr prefix is inferred too', async (t) => {
  const summary = await extract(logs.duration.stderr, 'p2-inferred');
  t.is(summary.logLinePrefix, PHASE2_PREFIX);
  t.is(summary.distinctStatements, 3);
});

test.serial('damaged logs: garbage and truncated lines are counted and skipped, never fatal', async (t) => {
  const clean: Record<string, ExtractSummary> = {};
  const cleanKept = async (format: 'stderr' | 'csvlog' | 'jsonlog') => {
    clean[format] = await extract(logs.statement[format], `clean-${format}`);
    return kept(`clean-${format}`);
  };
  const more = (summary: ExtractSummary, format: string, reason: string) => (summary.skipped[reason] ?? 0) - (clean[format]!.skipped[reason] ?? 0);
  const damaged = (format: 'stderr' | 'csvlog' | 'jsonlog', ext: string, middle: string, tail: string) => {
    const lines = fs.readFileSync(logs.statement[format], 'utf8').split('\n');
    let at = Math.floor(lines.length / 2);
    while (!/^(\d{4}-|\{)/.test(lines[at]!)) at++; // between two messages
    const file = path.join(work, `damaged.${ext}`);
    fs.writeFileSync(file, [...lines.slice(0, at), middle, ...lines.slice(at)].join('\n') + tail);
    return file;
  };

  const stderrFile = damaged('stderr', 'log', 'garbage that is no log line at all\n\tan orphan continuation', '2026-01-01 00:00:00.000 UTC [99] postgres@shop LOG:  statement: select count(*) from ite');
  const s = await extract(stderrFile, 'damaged-stderr');
  t.deepEqual(kept('damaged-stderr'), await cleanKept('stderr'));
  t.is(more(s, 'stderr', 'unreadable line (no log_line_prefix and severity)'), 1);
  t.is(more(s, 'stderr', 'continuation line without a message'), 1);
  t.is(more(s, 'stderr', 'truncated at the end of the file'), 1);

  const csvFile = damaged('csvlog', 'csv', 'this,is,"not a record', '2026-01-01 00:00:00.000 UTC,"postgres","shop",99,"[local]",65a.1,1,"idle",2026-01-01 00:00:00 UTC,3/4,0,LOG,00000,"statement: select count(*) from items where');
  const c = await extract(csvFile, 'damaged-csv');
  t.deepEqual(kept('damaged-csv'), await cleanKept('csvlog'));
  t.is(more(c, 'csvlog', 'unreadable csvlog record'), 1);
  t.is(more(c, 'csvlog', 'truncated at the end of the file'), 1);

  const jsonFile = damaged('jsonlog', 'json', 'not json at all', '{"timestamp":"2026-01-01","error_severity":"LOG","message":"statement: select 1 from items"');
  const j = await extract(jsonFile, 'damaged-json');
  t.deepEqual(kept('damaged-json'), await cleanKept('jsonlog'));
  t.is(more(j, 'jsonlog', 'unreadable jsonlog line'), 1);
  t.is(more(j, 'jsonlog', 'truncated at the end of the file'), 1);
});

test.serial('a log with no usable statement writes the summary and fails with advice', async (t) => {
  const file = path.join(work, 'empty.log');
  fs.writeFileSync(file, '2026-01-01 00:00:00.000 UTC [1] LOG:  database system is ready to accept connections\n');
  const err = await t.throwsAsync(extractQueries({ input: file, output: path.join(work, 'empty-out') }));
  t.true(isPilotScopeError(err, 'DATASET_INVALID'));
  t.regex(err!.message, /log_statement/);
  t.true(fs.existsSync(path.join(work, 'empty-out', 'summary.json')));
  const missing = await t.throwsAsync(extractQueries({ input: path.join(work, 'nope.log'), output: path.join(work, 'x') }));
  t.true(isPilotScopeError(missing, 'USAGE'));
});

test.serial('the CLI writes a dataset that registers against the existing database and runs', async (t) => {
  const output = path.join(work, 'prod');
  const cli = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/main.ts'), 'extract-queries', '--input', logs.statement.csvlog, '--output', output, '--seed', '5'], {
    cwd: repoRoot,
    env: { ...process.env, PILOTSCOPE_HOME: home },
    encoding: 'utf8',
  });
  t.is(cli.status, 0, cli.stderr);
  t.regex(cli.stdout, /Kept \d+ executions of 12 distinct statements/);
  t.regex(cli.stdout, /statement failed \(ERROR follows\)/);
  const manifest = JSON.parse(fs.readFileSync(path.join(output, 'dataset.json'), 'utf8'));
  t.is(manifest.database, 'shop');
  const registry = new DatasetRegistry(home);
  registry.add('prod', output);
  const dataset = await registry.open('prod');
  const result = await new PostgresDatasetLoader(settings, target).load(dataset);
  t.true(result.skipped);
  const { train, test: testQueries } = await dataset.workload();
  const client = await connect(target, 'shop');
  try {
    for (const q of [...train, ...testQueries]) await client.query(q);
  } finally {
    await client.end();
  }
  t.is(train.length + testQueries.length, 12);
});

test('DETAIL parameters parse with quoting, NULLs and newlines, and bind outside literals only', (t) => {
  const params = parseParameters("parameters: $1 = '10', $2 = 'it''s, here', $3 = NULL, $4 = 'two\nlines'")!;
  t.deepEqual([...params.entries()], [[1, "'10'"], [2, "'it''s, here'"], [3, 'NULL'], [4, "'two\nlines'"]]);
  t.is(bindParameters(lex("select '$1', $1 /* $2 */, $2 from t where c = $3"), params), "select '$1', '10' /* $2 */, 'it''s, here' from t where c = NULL");
  t.is(bindParameters(lex('select $5'), params), undefined);
  t.is(parseParameters('no parameters here'), undefined);
});

test('prefix patterns and CSV records', (t) => {
  const re = new RegExp(`^${prefixPattern('%m [%p] %q%u@%d ')}`);
  t.deepEqual({ ...re.exec('2026-01-02 03:04:05.678 UTC [42] alice@shop LOG:  x')!.groups }, { pid: '42', user: 'alice', db: 'shop' });
  t.truthy(re.exec('2026-01-02 03:04:05.678 UTC [42] LOG:  checkpoint starting'));
  t.deepEqual(parseCsvRecord('a,"b,c","d ""q""\nx",,e'), ['a', 'b,c', 'd "q"\nx', '', 'e']);
  t.is(parseCsvRecord('a,"unterminated'), undefined);
});

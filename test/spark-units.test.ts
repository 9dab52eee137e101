/** Spark adapter pieces that need no running Spark: server-manager refusals, statements, settings, errors, dumps, files. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { SparkConfig } from '../adapters/spark/config.js';
import { resolveSparkTarget } from '../adapters/spark/connection.js';
import { cleanSparkMessage } from '../adapters/spark/errors.js';
import { sparkInstallation } from '../adapters/spark/installation.js';
import { stringLiteral } from '../adapters/spark/loader.js';
import { decodeCopyField, splitDump } from '../adapters/spark/pg-dump.js';
import { csvRecords, parquetRows, writeParquet, type Value } from '../adapters/spark/row-files.js';
import { LocalSparkServer } from '../adapters/spark/server.js';
import { settingName, settingValue } from '../adapters/spark/settings.js';
import { withComment } from '../adapters/spark/statement.js';
import { singleStatement } from '../src/sql/index.js';
import { loadSettings } from '../src/config/settings.js';
import { isPilotScopeError } from '../src/errors.js';
import { sharedDataset } from './helpers/paths.js';

const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

test('the local server refuses a port in use before launching anything', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  const home = tempDir('pilotscope-spark-port-');
  try {
    const server = new LocalSparkServer(home, { port });
    const err = await t.throwsAsync(server.start());
    t.true(isPilotScopeError(err, 'DB_PORT_IN_USE'));
    t.regex(err!.message, new RegExp(`Port ${port} is already in use .*pilotscope spark start --port <n>`));
    t.false(fs.existsSync(server.paths.pidFile));
  } finally {
    blocker.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('stopping a server that is not running is harmless and clears a stale pid file', async (t) => {
  const home = tempDir('pilotscope-spark-stale-');
  try {
    const server = new LocalSparkServer(home);
    t.deepEqual(await server.stop(), { wasRunning: false, killed: false });
    fs.mkdirSync(server.paths.root, { recursive: true });
    // Our own pid: alive, but not a Thrift Server of this state directory.
    fs.writeFileSync(server.paths.pidFile, `${process.pid}\n`);
    t.is(server.status().stalePid, process.pid);
    t.false(server.status().running);
    t.deepEqual(await server.stop(), { wasRunning: false, killed: false, removedStalePid: process.pid });
    t.false(fs.existsSync(server.paths.pidFile));
    const err = t.throws(() => server.endpoint());
    t.regex(err!.message, /never been started\. Start it with `pilotscope spark start`/);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('a missing Spark says how to install it', (t) => {
  const err = t.throws(() => sparkInstallation({ ...process.env, SPARK_HOME: path.join(os.tmpdir(), 'no-such-spark-home') }));
  t.true(isPilotScopeError(err, 'SETUP_MISSING'));
  t.regex(err!.message, /spark-hive-thriftserver/);
  const noPython = t.throws(() => sparkInstallation({ PATH: process.env.PATH, PYTHON: 'no-such-python-3' }));
  t.regex(noPython!.message, /npm run setup:spark/);
});

test('a configured server is used as is; the local one is resolved without starting when asked', async (t) => {
  const home = tempDir('pilotscope-spark-target-');
  try {
    const external = loadSettings({ home }, { PILOTSCOPE_HOME: home, PILOTSCOPE_SPARK_HOST: 'spark.example', PILOTSCOPE_SPARK_PORT: '10016' });
    const target = await resolveSparkTarget(external);
    t.like(target.endpoint, { host: 'spark.example', port: 10016, auth: 'none', tls: false });
    t.is(target.local, undefined);
    t.regex(target.endpoint.unreachableHint, /spark\.host/);
    const config = new SparkConfig({ home, host: 'other.example', port: 10001, auth: 'nosasl', db: 'stats_tiny' });
    t.like(config.settings().spark, { host: 'other.example', port: 10001, auth: 'nosasl' });
    t.is(config.db, 'stats_tiny');
    const local = loadSettings({ home }, { PILOTSCOPE_HOME: home });
    const err = await t.throwsAsync(resolveSparkTarget(local, { start: false }));
    t.regex(err!.message, /never been started/);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('hint comments go right after SELECT; other comments before the statement', (t) => {
  t.is(withComment('SELECT count(*) FROM t', '/*+ BROADCAST(t) */'), 'SELECT /*+ BROADCAST(t) */ count(*) FROM t');
  t.is(withComment('-- note\n (select 1)', '/*+ MERGE(x) */'), '-- note\n (select /*+ MERGE(x) */ 1)');
  t.is(withComment('select 1', 'tagged run'), '/* tagged run */ select 1');
  t.is(withComment('select 1', '-- line'), '-- line\nselect 1');
  t.is(withComment('select 1', 'evil */ drop'), '/* evil * / drop */ select 1');
  const err = t.throws(() => withComment('with x as (select 1) select * from x', '/*+ BROADCAST(x) */'));
  t.regex(err!.message, /needs a statement that starts with SELECT/);
});

test('one statement per request', (t) => {
  t.is(singleStatement(' select 1 ; ', 'spark'), 'select 1');
  t.is(singleStatement("select ';' as s", 'spark'), "select ';' as s");
  const err = t.throws(() => singleStatement('select 1; select 2'));
  t.regex(err!.message, /holds 2/);
  t.throws(() => singleStatement(' ; '), { message: /empty/ });
});

test('setting names and values cannot smuggle statements', (t) => {
  t.is(settingName('spark.sql.shuffle.partitions'), 'spark.sql.shuffle.partitions');
  t.throws(() => settingName('x; DROP TABLE t'), { message: /not a valid Spark setting name/ });
  t.throws(() => settingName('spark.sql.x=1'));
  t.is(settingValue('k', true), 'true');
  t.is(settingValue('k', 10), '10');
  t.throws(() => settingValue('k', '1; DROP TABLE t'), { message: /may not contain a line break or ';'/ });
});

test("Spark's error text without wrappers, stack or plan dump", (t) => {
  const analysis =
    "org.apache.hive.service.cli.HiveSQLException: Error running query: [UNRESOLVED_COLUMN.WITH_SUGGESTION] org.apache.spark.sql.AnalysisException: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `nosuch` cannot be resolved. Did you mean one of the following? [`a`, `b`].; line 1 pos 7;\n'Project ['nosuch]\n+- SubqueryAlias spark_catalog.default.t1\n\n\tat org.apache.spark.sql.hive.thriftserver.HiveThriftServerErrors$.runningQueryError(HiveThriftServerErrors.scala:43)\n\tat java.base/java.lang.Thread.run(Thread.java:840)";
  t.is(cleanSparkMessage(analysis), '[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column or function parameter with name `nosuch` cannot be resolved. Did you mean one of the following? [`a`, `b`].; line 1 pos 7;');
  const parse = "org.apache.hive.service.cli.HiveSQLException: Error running query: [PARSE_SYNTAX_ERROR] org.apache.spark.sql.catalyst.parser.ParseException: \n[PARSE_SYNTAX_ERROR] Syntax error at or near 'selec'.(line 1, pos 0)\n\n== SQL ==\nselec 1\n^^^\n\n\tat org.apache.spark.sql.catalyst.parser.ParseException.withCommand(ParseDriver.scala:257)";
  t.is(cleanSparkMessage(parse), "[PARSE_SYNTAX_ERROR] Syntax error at or near 'selec'.(line 1, pos 0)\n\n== SQL ==\nselec 1\n^^^");
  const legacy = 'org.apache.hive.service.cli.HiveSQLException: Error running query: [_LEGACY_ERROR_TEMP_1325] org.apache.spark.sql.AnalysisException: Cannot modify the value of a static config: spark.sql.warehouse.dir.\n\tat x.y(Z.scala:1)';
  t.is(cleanSparkMessage(legacy), 'Cannot modify the value of a static config: spark.sql.warehouse.dir.');
});

test('the stats_tiny dump splits into its tables with their types and rows', async (t) => {
  const dir = tempDir('pilotscope-dump-');
  try {
    const file = path.join(sharedDataset('stats_tiny'), 'data.sql');
    const tables = await splitDump(file, dir);
    t.deepEqual(tables.map((x) => x.name).sort(), ['badges', 'comments', 'posthistory', 'postlinks', 'posts', 'tags', 'users', 'votes']);
    const comments = tables.find((x) => x.name === 'comments')!;
    t.deepEqual(comments.columns, [
      { name: 'id', type: 'integer' },
      { name: 'postid', type: 'integer' },
      { name: 'score', type: 'smallint' },
      { name: 'creationdate', type: 'integer' },
      { name: 'userid', type: 'integer' },
    ]);
    // Row counts: the lines of each COPY block, counted independently of the reader.
    const text = fs.readFileSync(file, 'utf8');
    for (const table of tables) {
      const block = new RegExp(`COPY public\\.${table.name} \\([^)]*\\) FROM stdin;\\n([\\s\\S]*?)\\n\\\\\\.`).exec(text)!;
      t.is(table.rowCount, block[1]!.split('\n').length, table.name);
      t.is(fs.readFileSync(table.rowsFile, 'utf8').split('\n').length - 1, table.rowCount);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a cut-short dump and unknown types are clear errors', async (t) => {
  const dir = tempDir('pilotscope-dump-bad-');
  try {
    const cut = path.join(dir, 'cut.sql');
    fs.writeFileSync(cut, 'CREATE TABLE public.t (\n    a integer\n);\nCOPY public.t (a) FROM stdin;\n1\n2\n');
    const err = await t.throwsAsync(splitDump(cut, path.join(dir, 'out1')));
    t.regex(err!.message, /no terminating "\\\." line/);
    const weird = path.join(dir, 'weird.sql');
    fs.writeFileSync(weird, 'CREATE TABLE public.t (\n    a tsvector\n);\n');
    const typeErr = await t.throwsAsync(splitDump(weird, path.join(dir, 'out2')));
    t.true(isPilotScopeError(typeErr, 'DATASET_INVALID'));
    t.regex(typeErr!.message, /column type "tsvector" of table t is not supported/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('COPY text escapes and CSV quoting', async (t) => {
  t.is(decodeCopyField('\\N'), null);
  t.is(decodeCopyField('a\\tb\\nc\\\\d'), 'a\tb\nc\\d');
  t.is(decodeCopyField('\\101\\x42'), 'AB');
  const dir = tempDir('pilotscope-csv-');
  try {
    const file = path.join(dir, 'x.csv');
    fs.writeFileSync(file, 'a,"b, with comma","say ""hi"""\r\n1,,"line\nbreak"\n');
    const records: string[][] = [];
    for await (const r of csvRecords(file)) records.push(r);
    t.deepEqual(records, [['a', 'b, with comma', 'say "hi"'], ['1', '', 'line\nbreak']]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('rows written to Parquet read back the same, NULLs and 64-bit integers included', async (t) => {
  const dir = tempDir('pilotscope-parquet-');
  try {
    const columns = [
      { name: 'i', type: 'integer' as const },
      { name: 'big', type: 'bigint' as const },
      { name: 'x', type: 'double' as const },
      { name: 'ok', type: 'boolean' as const },
      { name: 's', type: 'text' as const },
      { name: 'd', type: 'date' as const },
    ];
    const rows: Value[][] = Array.from({ length: 120_001 }, (_, n) => [n, BigInt(n) * 10_000_000_000n, n / 4, n % 2 === 0, n % 7 === 0 ? null : `v${n}`, '2020-01-02']);
    async function* source() {
      yield* rows;
    }
    const file = path.join(dir, 'x.parquet');
    t.is(await writeParquet(file, columns, source()), rows.length);
    let n = 0;
    for await (const row of parquetRows(file, columns)) {
      if (n % 9973 === 0 || n === rows.length - 1) t.deepEqual(row, rows[n]);
      n++;
    }
    t.is(n, rows.length);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Spark string literals escape quotes and backslashes', (t) => {
  t.is(stringLiteral("it's a \\ path\n"), "'it\\'s a \\\\ path\\n'");
});

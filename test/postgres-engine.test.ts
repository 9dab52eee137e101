import test from 'ava';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { PilotDataInteractor } from '../src/interactor/data-interactor.js';
import { isPilotScopeError } from '../src/errors.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';
import { loadSharedDump } from './helpers/load-dump.js';

let server: TestServer;
let engine: PostgresEngine;

const Q = 'select count(*) from votes as v, badges as b, users as u where u.id = v.userid and v.userid = b.userid and u.downvotes>=0 and u.downvotes<=0';

test.before(async () => {
  server = await startTestServer();
  await loadSharedDump(server, 'stats_tiny');
  engine = await PostgresEngine.open({ target: server.target, database: 'stats_tiny', timeoutMs: 60_000, parallelism: 4 });
});

test.after.always(async () => {
  await engine?.close();
  await server?.stop();
});

test('execution time and plan come back from one request (EXPLAIN ANALYZE)', async (t) => {
  const data = await engine.run({ sql: Q, pull: { executionTime: true, physicalPlan: true, estimatedCost: true } });
  t.is(data.status, 'ok');
  t.true(data.executionTime! > 0 && data.executionTime! < 60);
  t.is((data.physicalPlan as { 'Node Type': string })['Node Type'], 'Aggregate');
  t.true(data.estimatedCost! > 0);
  t.is(data.planTree!.nodeType, 'Aggregate');
  t.true(data.planTree!.children.length > 0);
  t.is(data.records, undefined);
});

test('records with server-side execution time', async (t) => {
  const data = await engine.run({ sql: 'select id, reputation from users order by id limit 3;', pull: { records: true, executionTime: true } });
  const ids = data.records!.map((r) => r.id as number);
  t.is(ids.length, 3);
  t.deepEqual([...ids].sort((a, b) => a - b), ids);
  t.true(data.executionTime! >= 0);
});

test('plan-only pulls do not execute the statement', async (t) => {
  const data = await engine.run({ sql: 'select pg_sleep(5), count(*) from users', pull: { estimatedCost: true }, timeoutMs: 2000 });
  t.is(data.status, 'ok');
  t.true(data.estimatedCost! > 0);
  t.is(data.executionTime, undefined);
});

test('a statement timeout is a typed result and the connection stays usable', async (t) => {
  engine.setParallelism(1);
  const slow = await engine.run({ sql: 'select pg_sleep(3)', pull: { executionTime: true }, timeoutMs: 100 });
  t.is(slow.status, 'timeout');
  const after = await engine.run({ sql: 'select 1 as one', pull: { records: true } });
  t.deepEqual(after.records, [{ one: 1 }]);
  engine.setParallelism(4);
});

test('a query error is a QUERY_ERROR and leaves the connection usable', async (t) => {
  engine.setParallelism(1);
  const err = await t.throwsAsync(engine.run({ sql: 'select nosuchcolumn from users', pull: { records: true } }));
  t.true(isPilotScopeError(err, 'QUERY_ERROR'));
  t.regex(err!.message, /nosuchcolumn/);
  const after = await engine.run({ sql: 'select 2 as two', pull: { records: true } });
  t.deepEqual(after.records, [{ two: 2 }]);
  engine.setParallelism(4);
});

test('session settings apply to one statement only', async (t) => {
  const on = await engine.run({ sql: "select current_setting('enable_hashjoin') as v", push: { settings: { enable_hashjoin: false } }, pull: { records: true } });
  t.is(on.records![0]!.v, 'off');
  const off = await engine.run({ sql: "select current_setting('enable_hashjoin') as v", pull: { records: true } });
  t.is(off.records![0]!.v, 'on');
});

test('bad setting names are refused before anything is sent', async (t) => {
  const err = await t.throwsAsync(engine.run({ sql: 'select 1', push: { settings: { 'x; drop table users': 1 } } }));
  t.true(isPilotScopeError(err, 'QUERY_ERROR'));
  const users = await engine.run({ sql: 'select count(*)::int as n from users', pull: { records: true } });
  t.true((users.records![0]!.n as number) > 0);
});

test('buffer cache pull lists the relations read', async (t) => {
  const data = await engine.run({ sql: 'select count(*) from posts', pull: { executionTime: true, buffercache: true } });
  t.true((data.buffercache!.posts ?? 0) > 0);
});

test('schema: tables, kinds, exact row counts and ranges', async (t) => {
  const schema = await engine.schema();
  const users = schema.tables.find((tb) => tb.name === 'users')!;
  t.truthy(users);
  const counted = await engine.run({ sql: 'select count(*)::int as n, min(reputation) as lo, max(reputation) as hi from users', pull: { records: true } });
  t.is(users.rowCount, Number(counted.records![0]!.n));
  const rep = users.columns.find((c) => c.name === 'reputation')!;
  t.is(rep.kind, 'integer');
  t.is(rep.min, Number(counted.records![0]!.lo));
  t.is(rep.max, Number(counted.records![0]!.hi));
});

test('executeParallel keeps input order and isolates failures', async (t) => {
  const interactor = new PilotDataInteractor(engine);
  interactor.pullRecord();
  const sqls = Array.from({ length: 12 }, (_, i) => (i === 5 ? 'select broken from nowhere' : `select ${i} as i, pg_sleep(${(12 - i) * 0.01})`));
  const results = await interactor.executeParallel(sqls, 4);
  t.is(results.length, 12);
  results.forEach((r, i) => {
    if (i === 5) {
      t.is(r.status, 'rejected');
      if (r.status === 'rejected') t.is(r.reason.code, 'QUERY_ERROR');
    } else {
      t.is(r.status, 'fulfilled');
      if (r.status === 'fulfilled') t.is(r.value.records![0]!.i, i);
    }
  });
});

test('operators outside the capabilities fail before any SQL is sent', async (t) => {
  const sent: string[] = [];
  const limited = Object.create(engine, {
    name: { value: 'TestEngine' },
    capabilities: { value: { ...engine.capabilities, operators: new Set(['pullRecord']) } },
    run: { value: (request: { sql: string }) => { sent.push(request.sql); return engine.run(request); } },
  }) as PostgresEngine;
  const interactor = new PilotDataInteractor(limited);
  interactor.pullBuffercache();
  const err = await t.throwsAsync(interactor.execute('select 1'));
  t.true(isPilotScopeError(err, 'ENGINE_UNSUPPORTED_OPERATOR'));
  t.regex(err!.message, /pullBuffercache is not supported by TestEngine/);
  t.deepEqual(sent, []);
});

test('one statement per request: several are refused, trailing semicolons and comments are fine', async (t) => {
  const err = await t.throwsAsync(engine.run({ sql: 'select 1; select 2', pull: { records: true } }));
  t.true(isPilotScopeError(err, 'QUERY_ERROR'));
  t.regex(err!.message, /holds 2/);
  const ok = await engine.run({ sql: "select ';' as s; -- trailing comment\n;", pull: { records: true } });
  t.deepEqual(ok.records, [{ s: ';' }]);
});

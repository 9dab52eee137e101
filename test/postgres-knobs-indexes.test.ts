import test from 'ava';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { isPilotScopeError } from '../src/errors.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';
import { loadSharedDump } from './helpers/load-dump.js';

let server: TestServer;
let engine: PostgresEngine;

test.before(async () => {
  server = await startTestServer();
  await loadSharedDump(server, 'stats_tiny');
  engine = await PostgresEngine.open({ target: server.target, database: 'stats_tiny', timeoutMs: 60_000, parallelism: 3 });
});

test.after.always(async () => {
  await engine?.close();
  await server?.stop();
});

async function setting(name: string): Promise<string> {
  const data = await engine.run({ sql: `select current_setting('${name}') as v`, pull: { records: true } });
  return data.records![0]!.v as string;
}

test.serial('a reload knob applies to every pooled connection; reset restores it', async (t) => {
  const before = await setting('random_page_cost');
  const change = await engine.setKnobs({ random_page_cost: 1.5 });
  t.is(change.method, 'reload');
  const seen = await Promise.all([1, 2, 3, 4, 5, 6].map(() => setting('random_page_cost')));
  t.deepEqual(seen, ['1.5', '1.5', '1.5', '1.5', '1.5', '1.5']);
  await engine.resetKnobs();
  t.is(await setting('random_page_cost'), before);
});

test.serial('a restart knob restarts the embedded server and the engine reconnects', async (t) => {
  const pidBefore = server.cluster.runningPid();
  const change = await engine.setKnobs({ shared_buffers: '64MB' });
  t.is(change.method, 'restart');
  t.not(server.cluster.runningPid(), pidBefore);
  t.is(await setting('shared_buffers'), '64MB');
  await engine.resetKnobs();
  t.is(await setting('shared_buffers'), '128MB');
});

test.serial('a configuration the server cannot start with is rolled back and the server runs again', async (t) => {
  const err = await t.throwsAsync(engine.setKnobs({ shared_buffers: '200GB' }));
  t.true(isPilotScopeError(err, 'DB_START_FAILED'), String(err));
  t.regex(err!.message, /previous settings were restored/);
  t.truthy(server.cluster.runningPid());
  t.is(await setting('shared_buffers'), '128MB');
});

test.serial('unknown and fixed knobs are refused with a clear message', async (t) => {
  const typo = await t.throwsAsync(engine.setKnobs({ work_men: '4MB' }));
  t.regex(typo!.message, /"work_men" is not a PostgreSQL setting \(did you mean "work_mem"\?\)/);
  const fixed = await t.throwsAsync(engine.setKnobs({ block_size: 4096 }));
  t.regex(fixed!.message, /cannot be tuned/);
  const bad = await t.throwsAsync(engine.setKnobs({ work_mem: 'lots' }));
  t.true(isPilotScopeError(bad, 'QUERY_ERROR'));
  t.is(await setting('work_mem'), '4MB');
});

const FILTER = 'select count(*) from comments c where c.score = 7';

function usesIndex(plan: unknown): boolean {
  return JSON.stringify(plan).includes('Index');
}

test.serial('hypothetical indexes change plans only for the planner, on every pooled connection', async (t) => {
  const before = await engine.run({ sql: FILTER, pull: { physicalPlan: true } });
  t.false(usesIndex(before.physicalPlan));
  await engine.setIndexes([{ table: 'comments', columns: ['score'] }], { hypothetical: true });
  const plans = await Promise.all([1, 2, 3, 4].map(() => engine.run({ sql: FILTER, pull: { physicalPlan: true } })));
  for (const p of plans) t.regex(JSON.stringify(p.physicalPlan), /<\d+>btree_comments_score/);
  const real = await engine.run({ sql: "select count(*) as n from pg_indexes where tablename = 'comments' and indexdef like '%(score)%'", pull: { records: true } });
  t.is(Number(real.records![0]!.n), 0, 'no real index was built');
  await engine.setIndexes([], { hypothetical: true });
  t.false(usesIndex((await engine.run({ sql: FILTER, pull: { physicalPlan: true } })).physicalPlan));
});

test.serial('real indexes are built; dropping others is remembered and restorable', async (t) => {
  await engine.setIndexes([{ table: 'comments', columns: ['score'] }]);
  t.true(usesIndex((await engine.run({ sql: FILTER, pull: { physicalPlan: true } })).physicalPlan));
  const count = async () => Number((await engine.run({ sql: "select count(*) as n from pg_indexes where schemaname = 'public'", pull: { records: true } })).records![0]!.n);
  const withAll = await count();
  await engine.setIndexes([{ table: 'comments', columns: ['score'] }], { dropOthers: true });
  const afterDrop = await count();
  t.true(afterDrop < withAll, `${afterDrop} < ${withAll}`);
  const restored = await engine.restoreDroppedIndexes();
  t.true(restored.length > 0);
  t.is(await count(), withAll);
});

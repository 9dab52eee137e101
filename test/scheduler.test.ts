import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { PilotScheduler } from '../src/scheduler/scheduler.js';
import { PeriodicEvent, PretrainingEvent } from '../src/scheduler/events.js';
import type { QueryHandler } from '../src/scheduler/types.js';
import { DataManager } from '../src/store/index.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';
import { loadSharedDump } from './helpers/load-dump.js';

let server: TestServer;
let engine: PostgresEngine;
const JOIN = 'select count(*) from posts p, users u where p.owneruserid = u.id and u.reputation > 10';

test.before(async () => {
  server = await startTestServer();
  await loadSharedDump(server, 'stats_tiny');
  engine = await PostgresEngine.open({ target: server.target, database: 'stats_tiny', timeoutMs: 60_000, parallelism: 2 });
});

test.after.always(async () => {
  await engine?.close();
  await server?.stop();
});

function newStore(): DataManager {
  return new DataManager(fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-sched-')));
}

function joinTypes(plan: unknown): string[] {
  const out: string[] = [];
  const walk = (n: { 'Node Type': string; Plans?: unknown[] }) => {
    out.push(n['Node Type']);
    (n.Plans ?? []).forEach((c) => walk(c as typeof n));
  };
  walk(plan as { 'Node Type': string });
  return out;
}

test('a handler decides what to push; the required pulls are stored one row per query', async (t) => {
  const store = newStore();
  const noHash: QueryHandler = {
    name: 'no-hash-join',
    async decide(sql) {
      return sql.includes('users') ? { push: { settings: { enable_hashjoin: false } }, details: { pushed: 'enable_hashjoin=off' } } : { fallback: 'not a users query' };
    },
  };
  const scheduler = new PilotScheduler({ engine, store }).registerHandlers(noHash).registerRequiredData('runs', { executionTime: true, physicalPlan: true, estimatedCost: true });
  const joined = await scheduler.execute(JOIN);
  t.false(joinTypes(joined.data.physicalPlan).includes('Hash Join'));
  t.deepEqual(joined.handlers, [{ name: 'no-hash-join', details: { pushed: 'enable_hashjoin=off' } }]);
  const other = await scheduler.execute('select count(*) from posts');
  t.is(other.handlers[0]!.fallback, 'not a users query');
  await scheduler.flush();
  const rows = await store.readAll('runs');
  t.is(rows.length, 2);
  t.is(rows[0]!.sql, JOIN);
  t.true((rows[0]!.execution_time as number) > 0);
  t.is((rows[0]!.physical_plan as { 'Node Type': string })['Node Type'], 'Aggregate');
  t.is(rows[1]!.fallback, 'no-hash-join: not a users query');
  t.true(joined.overheadTime >= 0 && joined.overheadTime < joined.endToEndTime);
  t.true(scheduler.timers.stats('engine')!.count === 2);
  await store.close();
});

test('handler engine calls count as database time, not as middleware overhead', async (t) => {
  const store = newStore();
  const heavy: QueryHandler = {
    name: 'explains-first',
    async decide(sql, ctx) {
      await ctx.engine.run({ sql: 'select pg_sleep(0.2)', pull: { executionTime: true } });
      return { details: { looked: sql.length } };
    },
  };
  const scheduler = new PilotScheduler({ engine, store }).registerHandlers(heavy);
  const outcome = await scheduler.execute('select 1');
  // Database time accounted for = end-to-end - overhead: it includes the handler's 0.2 s sleep.
  t.true(outcome.endToEndTime - outcome.overheadTime >= 0.2, `overhead ${outcome.overheadTime}s of ${outcome.endToEndTime}s should exclude the handler's 0.2s server time`);
  await store.close();
});

test('pretraining runs once at init; periodic events fire every N finished queries', async (t) => {
  const store = newStore();
  const calls: string[] = [];
  const pretraining = new PretrainingEvent({
    enableCollection: true,
    enableTraining: true,
    collect: async (ctx) => {
      calls.push('collect');
      await ctx.store.save('collected', { n: 1 });
    },
    train: async (ctx) => {
      calls.push(`train:${(await ctx.store.readAll('collected')).length}`);
    },
  });
  const periodic = new PeriodicEvent({ name: 'update', interval: 2, run: async (_ctx, recent) => void calls.push(`update:${recent.length}`) });
  const scheduler = new PilotScheduler({ engine, store }).registerEvents(pretraining, periodic);
  await scheduler.init();
  await scheduler.init();
  for (let i = 0; i < 5; i++) await scheduler.execute(`select ${i}`);
  t.deepEqual(calls, ['collect', 'train:1', 'update:2', 'update:2']);
  t.is(scheduler.timers.stats('collection')!.count, 1);
  await store.close();
});

test('a timed-out query is stored with its status and fires no query-finished event', async (t) => {
  const store = newStore();
  let finished = 0;
  const scheduler = new PilotScheduler({ engine, store, timeoutMs: 100 })
    .registerEvents(new PeriodicEvent({ name: 'count', interval: 1, run: async () => void finished++ }))
    .registerRequiredData('runs', { executionTime: true });
  const outcome = await scheduler.execute('select pg_sleep(2)');
  t.is(outcome.data.status, 'timeout');
  t.is(finished, 0);
  await scheduler.flush();
  t.is((await store.readAll('runs'))[0]!.status, 'timeout');
  await store.close();
});

test('stored rows are written behind the queries, in order, and a write failure surfaces', async (t) => {
  const store = newStore();
  const scheduler = new PilotScheduler({ engine, store }).registerRequiredData('runs', { executionTime: true });
  for (let i = 0; i < 8; i++) await scheduler.execute(`select ${i} as v`);
  await scheduler.flush();
  t.deepEqual((await store.readAll('runs')).map((r) => r.sql), Array.from({ length: 8 }, (_, i) => `select ${i} as v`));
  await store.close();
  const broken = new PilotScheduler({
    engine,
    store: { ...store, saveBatch: async () => Promise.reject(new Error('disk full')) } as unknown as DataManager,
  }).registerRequiredData('runs', { executionTime: true });
  await broken.execute('select 1');
  await t.throwsAsync(broken.flush(), { message: 'disk full' });
});

/**
 * MSCN end to end on a real PostgreSQL with the pilotscope extension and stats_tiny: true
 * cardinality collection, training, a test split with pushed estimates that demonstrably reach
 * the planner, fallbacks, the quality report, model reuse from the registry, periodic updates.
 */
import test from 'ava';
import { mscn } from '../src/algorithms/mscn/index.js';
import { resolveParams } from '../src/algorithms/params.js';
import { relSetKey } from '../src/engine/relset-key.js';
import type { PlanNode } from '../src/engine/types.js';
import { isPilotScopeError } from '../src/errors.js';
import { ModelRegistry } from '../src/models/index.js';
import { analyze, enumerateRelationSets } from '../src/sql/index.js';
import { sample, startAlgorithmFixture, type AlgorithmFixture } from './helpers/algorithms.js';

let fx: AlgorithmFixture;
let train: string[];
let testQueries: string[];

const OUTER_JOIN = 'select count(*) from users as u left join badges as b on b.userid = u.id where u.reputation > 100';
const JOINS = new Set(['Nested Loop', 'Hash Join', 'Merge Join']);

test.before(async () => {
  fx = await startAlgorithmFixture([{ name: 'stats_tiny' }]);
  const { workload } = fx.datasets.get('stats_tiny')!;
  train = sample(workload.train, 40, 3);
  testQueries = sample(workload.test, 16, 1);
});

test.after.always(async () => {
  await fx?.close();
});

const params = (given: Record<string, unknown>) => resolveParams('mscn', mscn.params, { num_epoch: 25, collection_timeout_ms: 30000, ...given });

/** The topmost join node and the aliases below it, unless the plan is parallel (rows per worker). */
function topJoin(plan: PlanNode): { node: PlanNode; key: string } | undefined {
  let parallel = false;
  const aliases = (n: PlanNode): string[] => {
    if (n.nodeType.startsWith('Gather') || n.nodeType.startsWith('Parallel')) parallel = true;
    return [...(n.alias !== undefined && n.relationName !== undefined ? [n.alias] : []), ...n.children.flatMap(aliases)];
  };
  const find = (n: PlanNode): PlanNode | undefined => (JOINS.has(n.nodeType) ? n : n.children.map(find).find(Boolean));
  const node = find(plan);
  if (!node) return undefined;
  const key = relSetKey(aliases(plan));
  return parallel ? undefined : { node, key };
}

test.serial('MSCN collects every relation set, trains, and its pushed estimates are what the planner uses', async (t) => {
  const ctx = fx.context('stats_tiny', train);
  const run = await mscn.create(params({}), ctx);
  await run.scheduler.init();

  // Collection: one row per (query, relation set), each a true count.
  const rows = await ctx.store.readAll('mscn_cards_stats_tiny');
  const expectedSets = train.reduce((n, q) => n + enumerateRelationSets(analyze(q)).sets.length, 0);
  t.is(rows.length, expectedSets);
  t.is(new Set(rows.map((r) => `${r.query}\u0000${r.relset}`)).size, rows.length, 'no duplicate (query, relation set)');
  t.true(rows.every((r) => r.censored === false && typeof r.card === 'number'));
  const engine = fx.datasets.get('stats_tiny')!.engine;
  for (const row of sample(rows, 5, 2)) {
    const counted = await engine.run({ sql: String(row.subquery), pull: { records: true } });
    t.is(Number(Object.values(counted.records![0]!)[0]), row.card as number, `true count of ${row.subquery}`);
  }

  // The model is in the registry with its metadata.
  const info = run.model()!;
  t.is(info.algorithm, 'mscn');
  t.is(info.trainedOn, 'stats_tiny');
  t.is(info.trainingSamples, expectedSets);
  t.true(info.validation!.qerror_median! >= 1);
  const stored = await new ModelRegistry(ctx.home).list({ algorithm: 'mscn' });
  t.deepEqual(stored.map((m) => m.id), [info.id]);

  let checkedPlans = 0;
  for (const sql of [...testQueries, OUTER_JOIN]) {
    const outcome = await run.scheduler.execute(sql);
    t.is(outcome.data.status, 'ok');
    const handler = outcome.handlers.find((h) => h.name === 'mscn')!;
    if (sql === OUTER_JOIN) {
      t.regex(handler.fallback!, /cannot represent it .*outer-join/);
      t.is(outcome.data.pushReport, undefined, 'nothing pushed for a fallback');
      continue;
    }
    t.is(handler.fallback, undefined);
    const cards = handler.details!.pushedCards as Record<string, number>;
    const sets = enumerateRelationSets(analyze(sql)).sets;
    t.deepEqual(Object.keys(cards).sort(), sets.map((s) => s.key).sort(), 'every relation set is pushed');
    t.deepEqual(outcome.data.pushReport!.notApplied, []);
    const top = outcome.data.relSets!.filter((r) => r.level === 1);
    t.is(top.length, sets.length, 'the planner built exactly the enumerated sets');
    for (const r of top) {
      t.true(r.pushed);
      t.is(r.rows, cards[r.key], `planner rows of ${r.key}`);
    }
    // The executed plan's top join carries the pushed estimate of the whole join.
    const join = topJoin(outcome.data.planTree!);
    if (join) {
      t.is(join.node.rows, cards[join.key], `plan rows of the top join ${join.key}`);
      checkedPlans++;
    }
  }
  t.true(checkedPlans >= testQueries.length / 2, `${checkedPlans} plans checked`);

  const quality = (await run.quality!()) as Record<string, any>;
  t.is(quality.model, info.id);
  t.is(quality.queries, testQueries.length + 1);
  t.is(quality.fallbackQueries, 1);
  t.deepEqual(quality.fallbacks, { 'unsupported: outer-join': 1 });
  t.is(quality.pushes.notAppliedTotal, 0);
  t.is(quality.pushes.rowMismatches, 0);
  t.is(quality.pushes.plannerSetsNotPushed, 0);
  t.is(quality.relationSets.evaluated, quality.relationSets.pushed);
  for (const who of ['mscn', 'postgresql']) {
    const d = quality.qerror[who];
    t.is(d.count, quality.relationSets.evaluated);
    t.true(d.median >= 1 && d.median <= d.p90 && d.p90 <= d.p95 && d.p95 <= d.p99 && d.p99 <= d.max);
  }
  t.log(`q-error median/p95: MSCN ${quality.qerror.mscn.median.toFixed(2)}/${quality.qerror.mscn.p95.toFixed(1)}, PostgreSQL ${quality.qerror.postgresql.median.toFixed(2)}/${quality.qerror.postgresql.p95.toFixed(1)}`);
  // Trained on true counts, MSCN is far better than PostgreSQL's independence assumptions here.
  t.true(quality.qerror.mscn.median < quality.qerror.postgresql.median);
});

test.serial('a later run reuses collected data and registry models: latest, by id, and a clear error for an unknown id', async (t) => {
  const ctx = fx.context('stats_tiny', train);
  const first = await mscn.create(params({ num_collection: 20 }), ctx);
  await first.scheduler.init();
  const firstId = first.model()!.id;

  const again = await mscn.create(params({}), ctx);
  await again.scheduler.init();
  const collection = ((await again.quality!()) as any).collection;
  t.is(collection.reused, 20, 'the first 20 queries were not collected again');
  t.is(collection.collected, 20);
  const rows = await ctx.store.readAll('mscn_cards_stats_tiny');
  t.is(new Set(rows.map((r) => `${r.query}\u0000${r.relset}`)).size, rows.length, 'still no duplicates');

  const latest = await mscn.create(params({ model: 'latest' }), ctx);
  await latest.scheduler.init();
  t.is(latest.model()!.id, again.model()!.id);
  t.is(ctx.timers.stats('training')!.count, 2, 'reusing a model trains nothing');
  const byId = await mscn.create(params({ model: firstId }), ctx);
  await byId.scheduler.init();
  t.is(byId.model()!.id, firstId);
  // The same model gives the same estimates.
  const sql = testQueries[0]!;
  const a = (await byId.scheduler.execute(sql)).handlers[0]!.details!.pushedCards;
  const b = (await first.scheduler.execute(sql)).handlers[0]!.details!.pushedCards;
  t.deepEqual(a, b);

  const missing = await mscn.create(params({ model: 'mscn-stats_tiny-20200101t000000000-0000' }), ctx);
  const err = await t.throwsAsync(missing.scheduler.init());
  t.true(isPilotScopeError(err, 'MODEL_NOT_FOUND'), String(err));
  t.true(err!.message.includes(firstId), 'names the models that exist');
});

test.serial('periodic updates fine-tune on what was collected since the last update and register each version', async (t) => {
  const ctx = fx.context('stats_tiny', train);
  const run = await mscn.create(params({ num_collection: 20, update_interval: 4, update_epochs: 3 }), ctx);
  await run.scheduler.init();
  const initial = run.model()!.id;
  const queries = testQueries.slice(0, 9);
  const ids: string[] = [];
  for (const sql of queries) {
    await run.scheduler.execute(sql);
    ids.push(run.model()!.id);
  }
  // Updates fire after the 4th and the 8th query.
  t.is(ids[2], initial);
  t.not(ids[3], initial);
  t.is(ids[4], ids[3]);
  t.not(ids[7], ids[3]);
  t.is(ids[8], ids[7]);
  const registry = new ModelRegistry(ctx.home);
  const second = await registry.resolve(ids[3]!);
  const third = await registry.resolve(ids[7]!);
  t.is(second.parent, initial);
  t.is(third.parent, second.id);
  const updateRows = await ctx.store.readAll('mscn_updates_stats_tiny');
  const sets = (qs: string[]) => qs.reduce((n, q) => n + enumerateRelationSets(analyze(q)).sets.length, 0);
  t.is(updateRows.length, sets([...new Set(queries.slice(0, 8))]), 'the relation sets of the 8 queries before the updates');
  t.is(second.trainingSamples, sets([...new Set(queries.slice(0, 4))]), 'the first update trains on its 4 queries only');
  t.is(third.trainingSamples, sets([...new Set(queries.slice(4, 8))]), 'the second on what came after');
  const quality = (await run.quality!()) as any;
  t.deepEqual(quality.updates.map((u: any) => u.after), [4, 8]);
});

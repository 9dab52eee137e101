/**
 * Lero on a real PostgreSQL with the pilotscope extension and stats_tiny: distinct candidate
 * plans, restored rows, censored collection, pairwise training, and executed plans that are the
 * chosen candidates.
 */
import test from 'ava';
import { lero } from '../src/algorithms/lero/index.js';
import { planCandidates, swingVectors } from '../src/algorithms/lero/candidates.js';
import { collectPlans } from '../src/algorithms/lero/collect.js';
import { planSignature } from '../src/algorithms/lero/plans.js';
import { resolveParams } from '../src/algorithms/params.js';
import { relSetKey } from '../src/engine/relset-key.js';
import type { PlanNode } from '../src/engine/types.js';
import { isPilotScopeError } from '../src/errors.js';
import { ModelRegistry } from '../src/models/index.js';
import { sample, startAlgorithmFixture, type AlgorithmFixture } from './helpers/algorithms.js';

let fx: AlgorithmFixture;
let train: string[];
let testQueries: string[];

test.before(async () => {
  fx = await startAlgorithmFixture([{ name: 'stats_tiny' }]);
  const { workload } = fx.datasets.get('stats_tiny')!;
  // Queries with at least three relations give several distinct plans.
  const joins = (q: string) => (q.match(/\bas\b/gi) ?? []).length;
  train = sample(workload.train.filter((q) => joins(q) >= 3), 30, 1);
  testQueries = sample(workload.test.filter((q) => joins(q) >= 3), 12, 0);
});

test.after.always(async () => {
  await fx?.close();
});

const engine = () => fx.datasets.get('stats_tiny')!.engine;
const JOINS = new Set(['Nested Loop', 'Hash Join', 'Merge Join']);

function joinNodes(plan: PlanNode, out: Array<{ node: PlanNode; key: string }> = []): string[] {
  const aliases = [...(plan.alias !== undefined && plan.relationName !== undefined ? [plan.alias] : []), ...plan.children.flatMap((c) => joinNodes(c, out))];
  if (JOINS.has(plan.nodeType)) out.push({ node: plan, key: relSetKey(aliases) });
  return aliases;
}

test('candidates are distinct plans, the default first, each reproducible from its cards, with the original rows restored', async (t) => {
  let swungSeen = 0;
  for (const sql of train.slice(0, 6)) {
    const result = await planCandidates(engine(), sql, [0.01, 0.1, 10, 100], 2);
    if (!result.ok) return t.fail(result.reason);
    const { candidates, original, generated } = result.set;
    const signatures = candidates.map((c) => c.signature);
    t.is(new Set(signatures).size, signatures.length, 'no duplicate plans');
    t.true(candidates.length <= generated);
    t.is(candidates[0]!.label, 'default');
    t.is(candidates[0]!.cards, undefined);
    const plain = await engine().run({ sql, pull: { physicalPlan: true } });
    t.is(planSignature(plain.planTree!), candidates[0]!.signature, 'the default is the plan PostgreSQL makes unassisted');
    for (const c of candidates.slice(1)) {
      const again = await engine().run({ sql, push: { cards: c.cards! }, pull: { physicalPlan: true } });
      t.is(planSignature(again.planTree!), c.signature);
      // Every join node of the restored plan carries the planner's original estimate, not the swung one.
      const nodes: Array<{ node: PlanNode; key: string }> = [];
      joinNodes(c.features as PlanNode, nodes);
      const swung: Array<{ node: PlanNode; key: string }> = [];
      joinNodes(c.plan, swung);
      for (const [i, { node, key }] of nodes.entries()) {
        if (c.cards![key] !== original[key]) swungSeen++;
        if (node.rows === swung[i]!.node.rows && c.cards![key] !== original[key]) t.fail(`row of ${key} not restored`);
        if (!JSON.stringify(c.plan).includes('Gather')) t.is(node.rows, Math.max(1, Math.round(original[key]!)), `restored rows of ${key}`);
      }
    }
  }
  t.true(swungSeen > 0, 'some candidates had swung join rows to restore');
});

test('swing vectors scale one join size at a time, keyed by relation set, floored at 1', (t) => {
  const set = (aliases: string[], rows: number) => ({ key: relSetKey(aliases), aliases, relations: aliases, kind: aliases.length > 1 ? ('join' as const) : ('base' as const), level: 1, rows, plannerRows: rows, pushed: false });
  const vectors = swingVectors([set(['a'], 10), set(['b'], 20), set(['c'], 5), set(['a', 'b'], 50), set(['b', 'c'], 3), set(['a', 'b', 'c'], 40)], [0.01, 10]);
  t.deepEqual(vectors.map((v) => v.label), ['default', '3 relations x0.01', '3 relations x10', '2 relations x0.01', '2 relations x10']);
  t.deepEqual(vectors[1]!.cards, { a: 10, b: 20, c: 5, 'a,b': 50, 'b,c': 3, 'a,b,c': 1 });
  t.deepEqual(vectors[4]!.cards, { a: 10, b: 20, c: 5, 'a,b': 500, 'b,c': 30, 'a,b,c': 40 });
});

test('a candidate that times out is stored as censored, not dropped, and not run again', async (t) => {
  const ctx = fx.context('stats_tiny', train);
  const queries = train.slice(0, 4);
  const options = { engine: engine(), store: ctx.store, table: 'lero_plans_t', queries, factors: [0.01, 100], timeoutMs: 1, slowFactor: 0, parallelism: 2 };
  const first = await collectPlans(options);
  t.true(first.censored > 0);
  const rows = await ctx.store.readAll('lero_plans_t');
  t.is(rows.length, first.rows);
  const censored = rows.filter((r) => r.censored === true);
  t.is(censored.length, first.censored);
  t.true(censored.every((r) => r.latency === 0.001 && typeof r.plan === 'object'));
  const second = await collectPlans(options);
  t.is(second.reused, queries.length);
  t.is(second.executed, 0);
  t.is((await ctx.store.readAll('lero_plans_t')).length, rows.length);
});

test.serial('Lero collects, trains pairwise, and the executed plan is always the chosen candidate', async (t) => {
  const ctx = fx.context('stats_tiny', train);
  const run = await lero.create(resolveParams('lero', lero.params, { num_epoch: 20, collection_timeout_ms: 30000 }), ctx);
  await run.scheduler.init();
  const info = run.model()!;
  t.is(info.algorithm, 'lero');
  t.true(info.trainingSamples! >= train.length * 2);
  t.deepEqual((await new ModelRegistry(ctx.home).list()).map((m) => m.id), [info.id]);
  const rows = await ctx.store.readAll('lero_plans_stats_tiny');
  const byQuery = new Map<string, Set<string>>();
  for (const r of rows) {
    const s = byQuery.get(String(r.query)) ?? new Set<string>();
    t.false(s.has(String(r.signature)), 'each stored plan of a query is distinct');
    byQuery.set(String(r.query), s.add(String(r.signature)));
    t.true(r.censored === true || (typeof r.latency === 'number' && r.latency > 0));
  }

  let deviating = 0;
  for (const sql of testQueries) {
    const outcome = await run.scheduler.execute(sql);
    t.is(outcome.data.status, 'ok');
    const handler = outcome.handlers.find((h) => h.name === 'lero')!;
    if (handler.fallback) continue;
    t.true(handler.details!.planMatched as boolean, `executed plan of ${sql} is the chosen one`);
    if (handler.details!.chosen !== 'default') {
      deviating++;
      t.deepEqual(outcome.data.pushReport!.notApplied, [], 'the chosen cards all reached the planner');
    } else t.is(outcome.data.pushReport, undefined, 'the default plan needs no push');
  }
  const quality = (await run.quality!()) as any;
  t.is(quality.executedPlanMismatches, 0);
  t.is(quality.executedPlanChecked, quality.assistedQueries);
  t.is(quality.nonDefaultChoices, deviating);
  t.is(quality.deviations.measured, deviating);
  t.is(quality.deviations.faster + quality.deviations.slower <= deviating, true);
  t.true(Number.isFinite(quality.deviations.secondsWon));
  t.log(`non-default choices ${deviating}/${quality.assistedQueries}, seconds won ${quality.deviations.secondsWon.toFixed(4)}, held-out pair accuracy ${quality.training.validationPairAccuracy}`);
});

test('bad swing factors are a clear parameter error', async (t) => {
  const ctx = fx.context('stats_tiny', train);
  const err = await t.throwsAsync(lero.create(resolveParams('lero', lero.params, { swing_factors: '0.1,1,x' }), ctx));
  t.true(isPilotScopeError(err, 'EXPERIMENT_INVALID'));
  t.regex(err!.message, /swing_factors/);
});

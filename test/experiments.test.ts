/** Experiment building blocks without a database: schema, plans, names, statistics, plans' true rows, splits, grids, best points, progress lines. */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { baseline } from '../src/algorithms/baseline.js';
import type { Algorithm } from '../src/algorithms/types.js';
import type { PlanNode } from '../src/engine/types.js';
import { isPilotScopeError } from '../src/errors.js';
import { parseDatasetArg, datasetLabel } from '../src/experiments/names.js';
import { checkPlan, planFromDocument, planFromFlags } from '../src/experiments/plan.js';
import { actualRowsByRelSet, cardinalityRows, planSignature } from '../src/experiments/plans.js';
import { experimentSchemaText } from '../src/experiments/schema.js';
import { percentile, percentiles, qError } from '../src/experiments/statistics.js';
import { bestPoint, gridPoints, typedGrid, type SweepPointResult } from '../src/experiments/sweep.js';
import { validationSplit } from '../src/experiments/workload.js';
import { progressLine, formatDuration } from '../src/cli/progress.js';
import { sessionKnobs } from './helpers/experiment-algorithms.js';
import { REPO_ROOT } from './helpers/paths.js';

const algorithms = new Map<string, Algorithm>([['baseline', baseline], ['knob', sessionKnobs]]);
const env = { algorithms, engine: { kind: 'postgresql', prepare: async () => {}, open: async () => { throw new Error('no engine in unit tests'); } }, datasets: { open: async () => { throw new Error('unused'); }, names: () => ['stats_tiny', 'synthetic'] } };

test('the published schema file is the schema object (regenerate with node --import=tsx src/experiments/publish-schema.ts)', (t) => {
  t.is(fs.readFileSync(path.join(REPO_ROOT, 'docs', 'experiment.schema.json'), 'utf8'), experimentSchemaText());
});

test('experiment files: errors name the field, list what is allowed, and resolve paths against the file', (t) => {
  const error = t.throws(() => planFromDocument({ experiments: [{ name: 'a b', algorithm: 'mscn', dataset: { name: 'synthetic', scale: -1 }, params: { x: [1] } }], comparison: { metrics: ['speed'] } }, '/tmp'));
  t.true(isPilotScopeError(error, 'EXPERIMENT_INVALID'));
  t.regex(error!.message, /"experiments\[0\]\.name": "a b" does not match the pattern/);
  t.regex(error!.message, /"experiments\[0\]\.dataset\.scale": must be > 0, got -1/);
  t.regex(error!.message, /"experiments\[0\]\.params\.x": expected a string or a number or a boolean, got an array/);
  t.regex(error!.message, /"comparison\.metrics\[0\]": must be one of "total_time"/);
  t.regex(t.throws(() => planFromDocument({ comparison: {} }, '/tmp'))!.message, /"experiments": is required/);

  const plan = planFromDocument(
    {
      db_config: { engine: 'postgresql', timeout_ms: 5000 },
      defaults: { limit: 7, params: { num_epoch: 5 } },
      experiments: [{ name: 'm', algorithm: 'mscn', dataset: 'stats_tiny', workload: { file: 'q.sql' }, params: { training_data_file: 'train.sql', num_epoch: 9 } }],
      sweeps: [{ algorithm: 'mscn', dataset: { name: 'synthetic', scale: 0.01, seed: 3 }, grid: { num_epoch: [1, 2] }, rerun_best: true }],
      comparison: { baseline: true, output_dir: 'out' },
    },
    '/data/exp',
  );
  t.deepEqual(plan.experiments.map((e) => e.name), ['baseline_stats_tiny', 'm']);
  const m = plan.experiments[1]!;
  t.deepEqual(m.params, { num_epoch: 9, training_data_file: '/data/exp/train.sql' });
  t.deepEqual(m.workload, { file: '/data/exp/q.sql' });
  t.is(m.limit, 7);
  t.is(m.timeoutMs, 5000);
  t.deepEqual(plan.experiments[0]!.workload, { file: '/data/exp/q.sql' }, 'the added baseline runs the same workload');
  t.is(plan.sweeps[0]!.name, 'sweep_mscn_synthetic_sf0_01_s3');
  t.is(plan.sweeps[0]!.evaluateOn, 'validation');
  t.is(plan.comparison.output, '/data/exp/out');
  t.is(plan.comparison.reportFile, '/data/exp/out/report.html');
});

test('flags: every algorithm on every dataset, baselines first with --compare, unknown names rejected before anything runs', (t) => {
  const plan = planFromFlags({ algorithms: ['knob'], datasets: [{ name: 'stats_tiny' }, { name: 'synthetic', scale: 0.01, seed: 7 }], compare: true, set: { enable_nestloop: 'false' } });
  t.deepEqual(plan.experiments.map((e) => e.name), ['baseline_stats_tiny', 'baseline_synthetic_sf0_01_s7', 'knob_stats_tiny', 'knob_synthetic_sf0_01_s7']);
  t.deepEqual(plan.experiments[0]!.params, {}, 'baseline gets no algorithm parameters');
  t.true(plan.comparison.report);
  t.notThrows(() => checkPlan(plan, env));
  const unknownAlgo = t.throws(() => checkPlan(planFromFlags({ algorithms: ['lero'], datasets: [{ name: 'stats_tiny' }] }), env));
  t.regex(unknownAlgo!.message, /there is no algorithm "lero"\. Available: baseline, knob/);
  const unknownData = t.throws(() => checkPlan(planFromFlags({ algorithms: ['knob'], datasets: [{ name: 'imdb' }] }), env));
  t.regex(unknownData!.message, /there is no dataset "imdb"\. Known: stats_tiny, synthetic/);
  const badParam = t.throws(() => checkPlan(planFromFlags({ algorithms: ['knob'], datasets: [{ name: 'stats_tiny' }], set: { enable_nestloop: 'maybe' } }), env));
  t.regex(badParam!.message, /knob parameter "enable_nestloop" expects true or false, got "maybe"/);
  t.throws(() => planFromFlags({ algorithms: ['knob', 'knob'], datasets: [{ name: 'stats_tiny' }] }), { message: /Two experiments or sweeps are named "knob_stats_tiny"/ });
});

test('dataset arguments and labels', (t) => {
  t.deepEqual(parseDatasetArg('synthetic:0.01:7'), { name: 'synthetic', scale: 0.01, seed: 7 });
  t.deepEqual(parseDatasetArg('synthetic', 0.5), { name: 'synthetic', scale: 0.5 });
  t.is(datasetLabel({ name: 'synthetic', scale: 0.01, seed: 7 }), 'synthetic_sf0_01_s7');
  t.throws(() => parseDatasetArg('synthetic:big'), { message: /must be a number > 0/ });
  t.throws(() => parseDatasetArg('a:1:2:3'), { message: /is not a dataset/ });
});

test('statistics: interpolated percentiles and q-error floored at one row', (t) => {
  t.is(percentile([1, 2, 3, 4], 50), 2.5);
  t.is(percentile([10], 95), 10);
  const p = percentiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])!;
  t.deepEqual([p.count, p.median, p.max], [10, 5.5, 10]);
  for (const [got, want] of [[p.p90, 9.1], [p.p95, 9.55], [p.p99, 9.91]] as const) t.true(Math.abs(got - want) < 1e-9, `${got} ~ ${want}`);
  t.is(percentiles([]), null);
  t.is(qError(10, 100), 10);
  t.is(qError(0, 0), 1);
  t.is(qError(500, 0), 500);
});

const node = (nodeType: string, children: PlanNode[] = [], extra: Partial<PlanNode> = {}): PlanNode => ({ nodeType, rows: 1, width: 1, children, ...extra });

test('true rows come from scans and joins of the executed plan, not from parameterized or truncated parts', (t) => {
  const plan = node('Aggregate', [
    node('Hash Join', [
      node('Nested Loop', [node('Seq Scan', [], { alias: 'u', relationName: 'users', actualRows: 40 }), node('Index Scan', [], { alias: 'p', relationName: 'posts', actualRows: 300 })], { actualRows: 300 }),
      node('Hash', [node('Bitmap Heap Scan', [node('Bitmap Index Scan', [], { actualRows: 77 })], { alias: 'c', relationName: 'comments', actualRows: 70 })], { actualRows: 70 }),
    ], { actualRows: 1234 }),
  ], { actualRows: 1 });
  const truth = actualRowsByRelSet(plan);
  t.deepEqual(Object.fromEntries(truth), { u: 40, 'p,u': 300, c: 70, 'c,p,u': 1234 }, 'p is the parameterized inner side of the nested loop: skipped');
  const limited = node('Limit', [node('Seq Scan', [], { alias: 'u', actualRows: 5 })]);
  t.is(actualRowsByRelSet(limited).size, 0);
  const rows = cardinalityRows(
    [
      { key: 'u', aliases: ['u'], relations: ['users'], kind: 'base', level: 1, rows: 50, plannerRows: 50, pushed: false },
      { key: 'p', aliases: ['p'], relations: ['posts'], kind: 'base', level: 1, rows: 900, plannerRows: 1000, pushed: true },
      { key: 'x', aliases: ['x'], relations: ['t'], kind: 'base', level: 2, rows: 1, plannerRows: 1, pushed: false },
    ],
    plan,
  );
  t.deepEqual(rows, [
    { key: 'u', rows: 50, planner_rows: 50, pushed: false, true_rows: 40 },
    { key: 'p', rows: 900, planner_rows: 1000, pushed: true, true_rows: null },
  ]);
  t.is(planSignature(plan), 'Aggregate(Hash Join(Nested Loop(Seq Scan users:u,Index Scan posts:p),Hash(Bitmap Heap Scan comments:c(Bitmap Index Scan))))');
});

test('the validation split is by template, deterministic and disjoint', (t) => {
  const train = Array.from({ length: 100 }, (_, i) => `SELECT COUNT(*) FROM t${i % 20} WHERE x > ${i}`);
  const a = validationSplit(train);
  t.deepEqual(validationSplit(train), a);
  t.is(a.train.length + a.validation.length, 100);
  t.true(a.validation.length >= 10 && a.validation.length <= 30);
  const template = (sql: string) => sql.replace(/\d+$/, '?');
  const trainTemplates = new Set(a.train.map(template));
  t.false(a.validation.some((q) => trainTemplates.has(template(q))), 'no template on both sides');
});

test('grids, typed values and the best point', (t) => {
  t.deepEqual(gridPoints({ a: [1, 2], b: ['x', 'y'] }), [{ a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 2, b: 'x' }, { a: 2, b: 'y' }]);
  t.throws(() => gridPoints({}), { message: /at least one parameter/ });
  t.deepEqual(typedGrid('knob', sessionKnobs.params, { enable_nestloop: ['true', 'false'], workMemKb: ['64'] }), { enable_nestloop: [true, false], work_mem_kb: [64] });
  const point = (i: number, value: number | null, failures = 0): SweepPointResult => ({ point: i, experiment: `p${i}`, params: {}, value, total_time: value ?? 0, average_time: 0, median_time: 0, p95_time: 0, q_error_p95: null, timeouts: 0, failures, training_time: 0, reused: false });
  t.is(bestPoint([point(0, 5), point(1, 3), point(2, 3), point(3, 4)], 'total_time').point, 1, 'lowest value, earlier point on ties');
  t.is(bestPoint([point(0, 1, 2), point(1, 9)], 'total_time').point, 1, 'a point that failed queries cannot win by not timing them');
  t.throws(() => bestPoint([point(0, null)], 'q_error_p95'), { message: /need the true cardinalities/ });
});

test('progress lines show the bar, counts and an ETA', (t) => {
  t.is(progressLine('run', { total: 50, done: 10, startedAt: 0 }, 4000), 'run [#####...................] 10/50 20% 4.0s ETA 16.0s');
  t.is(progressLine('training', { done: 0, startedAt: 0, detail: 'epoch 3' }, 1500), 'training 1.5s epoch 3');
  t.is(formatDuration(125), '2m05s');
});

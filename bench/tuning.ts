/**
 * Knob tuning and index advice on the synthetic benchmark, end to end on a private embedded
 * PostgreSQL:
 * - knob tuning on a sample of the training workload (curated postgres-15 space, full search and
 *   a HesBO embedding with the same budget), then the test workload under the original and the
 *   tuned configuration: times, ratios, and the tuning cost (evaluations, wall time, optimizer time);
 * - index advice (Extend) on the training workload, then the test workload without and with the
 *   advised indexes in alternating rounds; plus the same on stats_tiny's own workload;
 * - the optimizer alone: time to suggest a configuration of the 35-knob space.
 *
 *   npm run bench -- tuning [scale=0.1] [evaluations=20]
 */
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedPostgres } from '../adapters/postgres/cluster.js';
import { resolveServer, type ServerTarget } from '../adapters/postgres/connection.js';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { loadSettings, type Settings } from '../src/config/settings.js';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { syntheticDataset } from '../src/datasets/synthetic/index.js';
import type { Dataset } from '../src/datasets/types.js';
import { adviseIndexes } from '../src/tuning/index-advisor/advisor.js';
import { measureIndexEffect } from '../src/tuning/index-advisor/effect.js';
import { IndexJournal } from '../src/tuning/index-advisor/index-journal.js';
import { compareWithDefault, pickQueries, resolveKnobSpace } from '../src/tuning/knob-session.js';
import { KnobTuner } from '../src/tuning/knob-tuner.js';
import { BayesianOptimizer } from '../src/tuning/optimizer/bayes.js';
import { SeededRandom } from '../src/tuning/random.js';
import { median, type BenchContext } from './harness.js';

const TRAIN_QUERIES = 40;
const TEST_QUERIES = 100;
const SEED = 42;
const TIMEOUT_MS = 60_000;

export default async function (ctx: BenchContext): Promise<void> {
  const scale = Number(ctx.args[0] ?? 0.1);
  const evaluations = Number(ctx.args[1] ?? 20);
  benchSuggestionTime(ctx);

  const home = fs.mkdtempSync(path.join('/tmp', 'pilotscope-bench-tuning-'));
  fs.chmodSync(home, 0o755);
  const settings = loadSettings({ home }, { PILOTSCOPE_HOME: home });
  try {
    const target = await resolveServer(settings);
    const synthetic = syntheticDataset({ scale, seed: 7 });
    const engine = await open(settings, target, synthetic);
    const workload = await synthetic.workload();
    const train = pickQueries(workload.train, TRAIN_QUERIES, SEED);
    const test = workload.test.slice(0, TEST_QUERIES);
    ctx.note(`synthetic SF ${scale}: ${train.length} training queries (sampled), ${test.length} test queries; ${evaluations} evaluations per tuning run`);
    try {
      await benchKnobs(ctx, engine, train, test, evaluations);
      await benchIndexes(ctx, 'synthetic', settings, engine, workload.train, test);
    } finally {
      await engine.close();
    }

    const registry = new DatasetRegistry(home);
    registry.add('stats_tiny', path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'shared', 'datasets', 'stats_tiny'));
    const stats = await registry.open('stats_tiny');
    const statsEngine = await open(settings, target, stats);
    try {
      const statsWorkload = await stats.workload();
      await benchIndexes(ctx, 'stats_tiny', settings, statsEngine, statsWorkload.train, statsWorkload.test.slice(0, TEST_QUERIES));
    } finally {
      await statsEngine.close();
    }
  } finally {
    await new EmbeddedPostgres(home).stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function open(settings: Settings, target: ServerTarget, dataset: Dataset): Promise<PostgresEngine> {
  const loaded = await new PostgresDatasetLoader(settings, target).load(dataset);
  return PostgresEngine.open({ target, database: loaded.database, timeoutMs: TIMEOUT_MS, parallelism: 2 });
}

async function benchKnobs(ctx: BenchContext, engine: PostgresEngine, train: string[], test: string[], evaluations: number): Promise<void> {
  const space = await resolveKnobSpace(engine, 'postgres-15', {}, (text) => ctx.note(text));
  for (const [label, lowDim] of [['full', 0], ['hesbo8', 8]] as const) {
    const tuner = new KnobTuner({
      engine,
      space,
      queries: train,
      objective: 'time',
      warmup: 1,
      repeats: 2,
      budgetEvaluations: evaluations,
      budgetSeconds: 0,
      seed: SEED,
      initialPoints: 5,
      lowDim,
      quantization: 0,
      timeoutFactor: 10,
      maxTimeoutMs: TIMEOUT_MS,
    });
    try {
      const result = await tuner.run();
      ctx.figure(`knob_${label}_train_default_s`, result.defaultObjective, 's', 'training workload, geometric mean of its two measurements');
      ctx.figure(`knob_${label}_train_best_s`, result.bestObjective, 's');
      ctx.figure(`knob_${label}_train_ratio`, result.improvement, 'x', 'training workload: original time / best time');
      ctx.figure(`knob_${label}_evaluations`, result.evaluations.length, 'evaluations', `${result.failures} failed, ${result.timeouts} hit timeouts`);
      ctx.figure(`knob_${label}_tuning_wall_s`, result.wallSeconds, 's');
      ctx.figure(`knob_${label}_optimizer_s`, result.optimizerSeconds, 's', 'choosing configurations (surrogate fit + EI search), inside the wall time');
      ctx.note(`knob ${label}: best evaluation ${result.best.index} (${result.best.source}); ${Object.entries(result.best.config).filter(([k]) => k.startsWith('enable_') || ['work_mem', 'shared_buffers', 'random_page_cost', 'max_parallel_workers_per_gather', 'jit', 'join_collapse_limit'].includes(k)).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
      const check = await compareWithDefault(engine, tuner.applier, result.best.config, test, { warmup: 1, repeats: 3, timeoutsMs: TIMEOUT_MS, rounds: 3 }, 'time');
      ctx.figure(`knob_${label}_test_default_s`, check.default, 's', `test workload (${check.queries} queries), sum of per-query medians of 3 runs, median of 3 alternating rounds`);
      ctx.figure(`knob_${label}_test_tuned_s`, check.tuned, 's');
      ctx.figure(`knob_${label}_test_ratio`, check.ratio, 'x', 'test workload: original time / tuned time (median of the rounds)');
      ctx.note(`knob ${label} test rounds (original/tuned s): ${check.perRound.map((r) => `${r.default.toFixed(3)}/${r.tuned.toFixed(3)}`).join(', ')}`);
    } finally {
      await tuner.applier.restore();
    }
  }
}

async function benchIndexes(ctx: BenchContext, label: string, settings: Settings, engine: PostgresEngine, train: string[], test: string[]): Promise<void> {
  const advice = await adviseIndexes({
    engine,
    queries: pickQueries(train, 100, SEED),
    budgetMb: 250,
    maxWidth: 2,
    minImprovement: 1.003,
    maxSteps: 0,
    parallelism: 2,
  });
  ctx.figure(`index_${label}_advice_s`, advice.seconds, 's', `${advice.queries} training queries, ${advice.whatIf.explains} what-if plans, ${advice.whatIf.cacheHits} cached`);
  ctx.figure(`index_${label}_indexes`, advice.indexes.length, 'indexes', advice.indexes.map((i) => `${i.table}(${i.columns.join(',')})`).join(' '));
  ctx.figure(`index_${label}_size_mb`, advice.indexes.reduce((s, i) => s + i.bytes, 0) / 1e6, 'MB');
  ctx.figure(`index_${label}_train_estimated_ratio`, advice.improvement, 'x', 'estimated cost of the training queries: existing indexes / with the advice');
  if (advice.indexes.length === 0) return;
  const journal = new IndexJournal(settings.home, engine.name);
  try {
    const effect = await measureIndexEffect(engine, journal, advice.indexes, test, { warmup: 1, repeats: 3, timeoutsMs: TIMEOUT_MS, rounds: 3 });
    ctx.figure(`index_${label}_test_without_s`, effect.without.total, 's', `test workload (${effect.queries} queries): median of ${effect.rounds} alternating rounds`);
    ctx.figure(`index_${label}_test_with_s`, effect.with.total, 's');
    ctx.figure(`index_${label}_test_ratio`, effect.speedup.total, 'x', 'end to end: without / with');
    if (effect.speedup.execution !== undefined) ctx.figure(`index_${label}_test_execution_ratio`, effect.speedup.execution, 'x', 'planning excluded');
    ctx.figure(`index_${label}_test_estimated_ratio`, effect.speedup.estimatedCost, 'x', "planner's estimate with the real indexes");
    ctx.figure(`index_${label}_build_s`, effect.buildSeconds, 's');
  } finally {
    await journal.drop(engine);
  }
}

/** How long one model-based suggestion takes for the 35-knob space after 20 observations (no database). */
function benchSuggestionTime(ctx: BenchContext): void {
  for (const dims of [35, 8]) {
    const times: number[] = [];
    for (let run = 0; run < 5; run++) {
      const optimizer = new BayesianOptimizer({ dims, seed: run, initialPoints: 1, randomProbability: 0 });
      optimizer.ask(); // the one initial-design point
      const random = new SeededRandom(run + 100);
      for (let i = 0; i < 20; i++) optimizer.tell(Float64Array.from({ length: dims }, () => random.next()), Math.log(1 + random.next()));
      const started = performance.now();
      const suggestion = optimizer.ask();
      times.push(performance.now() - started);
      if (suggestion.source !== 'model') throw new Error(`expected a model suggestion, got ${suggestion.source}`);
    }
    ctx.figure(`optimizer_suggest_${dims}d_ms`, median(times), 'ms', 'median of 5; random forest of 50 trees on 20 points, 1000 candidates + local search');
  }
}

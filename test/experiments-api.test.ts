/**
 * The programmatic API on a private PostgreSQL: runExperiments with an explicit environment and
 * with the default one the package root registers, saveTestResult from your own scheduler loop,
 * compareAlgorithms, and getBestConfig by another metric.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { experimentEnvironment } from '../src/cli/engines.js';
import { compareAlgorithms, getBestConfig, runConfigSweep, runExperiments, saveTestResult } from '../src/index.js';
import { PilotScheduler } from '../src/scheduler/scheduler.js';
import { DataManager } from '../src/store/index.js';
import { TimeStatistic } from '../src/timing/index.js';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import type { QueryOutcome } from '../src/scheduler/types.js';
import { algorithms as testAlgorithms } from './helpers/experiment-algorithms.js';
import { serverWithStatsTiny } from './helpers/experiments.js';
import type { TestServer } from './helpers/postgres.js';

let server: TestServer;

test.before(async () => {
  server = await serverWithStatsTiny();
  process.env.PILOTSCOPE_HOME = server.home; // what the default environment reads
});

test.after.always(async () => {
  await server?.stop();
});

test.serial('runExperiments with the default environment, saveTestResult from an own loop, and compareAlgorithms', async (t) => {
  const out = path.join(server.home, 'api');
  const run = await runExperiments([{ algorithm: 'baseline', dataset: 'stats_tiny', limit: 6 }], { output: out });
  t.is(run.experiments[0]!.summary.queries, 6);
  t.is(run.report, null, 'one experiment: no report unless asked');

  // Queries run by a program's own scheduler, saved in the same format.
  const engine = await PostgresEngine.open({ target: server.target, database: 'stats_tiny', timeoutMs: 60_000, parallelism: 1 });
  const timers = new TimeStatistic();
  const store = new DataManager(path.join(server.home, 'own-data'));
  const scheduler = new PilotScheduler({ engine, store, timers }).registerRequiredData('own', { executionTime: true, physicalPlan: true, estimatedCost: true });
  const outcomes: QueryOutcome[] = [];
  const queries = readTestQueries(out);
  for (const sql of queries) outcomes.push(await scheduler.execute(sql));
  await engine.close();
  await store.close();
  const saved = await saveTestResult({ algorithm: 'my_optimizer', dataset: 'stats_tiny', outcomes, timers, parameters: { variant: 'a' } }, { output: out });
  t.is(saved.summary.queries, 6);
  t.is(saved.summary.experiment, 'my_optimizer_stats_tiny');
  t.true(saved.summary.total_time > 0);
  t.true(fs.existsSync(path.join(out, 'my_optimizer_stats_tiny.parquet')));

  const comparison = compareAlgorithms([out], { output: path.join(out, 'report.html') });
  t.deepEqual(comparison.ranking.map((r) => r.experiment).sort(), ['baseline_stats_tiny', 'my_optimizer_stats_tiny']);
  t.true(comparison.ranking[0]!.value! <= comparison.ranking[1]!.value!);
  t.true(fs.existsSync(comparison.report.file));
});

test.serial('runConfigSweep and getBestConfig with an explicit environment and another metric', async (t) => {
  const env = await experimentEnvironment({ overrides: { home: server.home } });
  env.algorithms = new Map([...env.algorithms, ...testAlgorithms.map((a) => [a.name, a] as const)]);
  const out = path.join(server.home, 'api-sweep');
  const sweep = await runConfigSweep({ algorithm: 'knob', dataset: 'stats_tiny', grid: { enable_hashjoin: [true, false] }, limit: 5 }, { output: out, environment: env });
  t.is(sweep.points.length, 2);
  const best = getBestConfig(sweep);
  t.is(best.value, Math.min(...sweep.points.map((p) => p.total_time)));
  t.deepEqual(getBestConfig(path.join(out, 'sweep_knob_stats_tiny.sweep.json')), best);
  t.deepEqual(getBestConfig(out), best, 'a directory with one sweep');
  const byP95 = getBestConfig(sweep, 'p95_time');
  t.is(byP95.value, Math.min(...sweep.points.map((p) => p.p95_time)));
  t.is(byP95.params.work_mem_kb, 4096, 'all parameters of the best point');
});

/** The test queries the baseline ran (in order). */
function readTestQueries(out: string): string[] {
  const rows = fs.readFileSync(path.join(out, '.pilotscope', 'baseline_stats_tiny.queries.jsonl'), 'utf8').split('\n').filter(Boolean);
  return rows.map((l) => (JSON.parse(l) as { sql: string }).sql);
}

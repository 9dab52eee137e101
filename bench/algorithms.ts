/**
 * Baseline, MSCN and Lero side by side on stats_tiny and on the synthetic STATS-like data at
 * SF >= 1, each on a private embedded PostgreSQL with the pilotscope extension:
 *
 * - collection and training time of each learned preset (fresh home, nothing cached);
 * - end-to-end time of the test workload: each preset's scheduler runs the whole test workload
 *   `runs` times, interleaved (the order rotates every run) after one unmeasured warm-up pass;
 *   the figure is the median over runs, and the speedup is baseline / preset;
 * - middleware overhead (QueryOutcome.overheadTime: everything except the database's own planning
 *   and execution, the candidates' planning included as database work) as a share of end-to-end,
 *   beside the floor any client pays: the same test queries as EXPLAIN ANALYZE through a bare `pg`
 *   client (round trip, parse and analysis, the plan's JSON), and each preset's share beyond it;
 * - MSCN's q-error percentiles beside PostgreSQL's on the test workload (true counts measured);
 * - Lero's share of non-default plans and executed-plan mismatches.
 *
 *   npm run bench -- algorithms [scale=1] [train-queries=300] [runs=3] [datasets=stats_tiny,synthetic]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { EmbeddedPostgres } from '../adapters/postgres/cluster.js';
import { resolveServer } from '../adapters/postgres/connection.js';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { createAlgorithmContext } from '../src/algorithms/context.js';
import { baseline, lero, mscn, resolveParams, type Algorithm, type AlgorithmRun } from '../src/algorithms/index.js';
import { loadSettings } from '../src/config/settings.js';
import { DatasetRegistry } from '../src/datasets/registry.js';
import type { QueryOutcome } from '../src/scheduler/types.js';
import { DataManager } from '../src/store/index.js';
import { TimeStatistic } from '../src/timing/index.js';
import { median, type BenchContext } from './harness.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const QUERY_TIMEOUT_MS = 120_000;

interface Preset {
  label: string;
  algorithm: Algorithm;
  params: Record<string, unknown>;
}

interface Prepared {
  label: string;
  run: AlgorithmRun;
  timers: TimeStatistic;
  notices: string[];
  /** Per measured run: end-to-end and overhead seconds summed over the workload. */
  endToEnd: number[];
  overhead: number[];
  timeouts: number;
}

function presets(trainQueries: number, timeoutMs: number): Preset[] {
  const learned = { num_collection: trainQueries, collection_timeout_ms: timeoutMs, collection_parallelism: 2 };
  return [
    { label: 'baseline', algorithm: baseline, params: {} },
    { label: 'mscn', algorithm: mscn, params: { ...learned } },
    { label: 'lero', algorithm: lero, params: { ...learned, num_collection: Math.min(trainQueries, 150), num_epoch: 100 } },
  ];
}

async function runWorkload(p: Prepared, queries: readonly string[], measured: boolean): Promise<void> {
  let e2e = 0;
  let overhead = 0;
  for (const sql of queries) {
    const outcome: QueryOutcome = await p.run.scheduler.execute(sql);
    e2e += outcome.endToEndTime;
    // A timed-out statement reports no server time, so the scheduler counts all of it as overhead: leave it out.
    if (outcome.data.status === 'timeout') p.timeouts++;
    else overhead += outcome.overheadTime;
  }
  if (measured) {
    p.endToEnd.push(e2e);
    p.overhead.push(overhead);
  }
}

async function benchDataset(ctx: BenchContext, prefix: string, engine: PostgresEngine, clientConfig: pg.ClientConfig, train: string[], test: string[], home: string, runs: number, countTimeoutMs: number): Promise<void> {
  const store = new DataManager(path.join(home, `data-${prefix}`));
  const prepared: Prepared[] = [];
  try {
    for (const preset of presets(train.length, countTimeoutMs)) {
      const timers = new TimeStatistic();
      const actx = createAlgorithmContext({
        dataset: prefix,
        engine,
        trainingQueries: train,
        store,
        home: path.join(home, `home-${prefix}`),
        timers,
        parallelism: 2,
        timeoutMs: QUERY_TIMEOUT_MS,
        seed: 42,
        notice: (text) => ctx.note(`${prefix} ${preset.label}: ${text}`),
      });
      const params = resolveParams(preset.algorithm.name, preset.algorithm.params, { ...preset.params });
      const run = await preset.algorithm.create(params, actx);
      await run.scheduler.init();
      const p: Prepared = { label: preset.label, run, timers, notices: actx.notices, endToEnd: [], overhead: [], timeouts: 0 };
      prepared.push(p);
      if (preset.label !== 'baseline') {
        ctx.figure(`${prefix}.${preset.label}.collection_s`, (timers.stats('collection')?.totalMs ?? 0) / 1000, 's', `${train.length} training queries`);
        ctx.figure(`${prefix}.${preset.label}.training_s`, (timers.stats('training')?.totalMs ?? 0) / 1000, 's');
        const model = run.model();
        if (model) ctx.note(`${prefix} ${preset.label}: model ${model.id}, ${model.trainingSamples} samples, validation ${JSON.stringify(model.validation)}`);
      }
    }
    for (const p of prepared) await runWorkload(p, test, false); // warm-up
    for (let r = 0; r < runs; r++) {
      const order = prepared.map((_, i) => prepared[(i + r) % prepared.length]!);
      for (const p of order) await runWorkload(p, test, true);
    }
    const floorPerQuery = await bareClientOverhead(clientConfig, test);
    ctx.figure(`${prefix}.bare_client_overhead_per_query_ms`, 1000 * floorPerQuery, 'ms', 'EXPLAIN ANALYZE through a bare pg client: wall time minus planning and execution, mean per query');
    const base = median(prepared[0]!.endToEnd);
    for (const p of prepared) {
      const e2e = median(p.endToEnd);
      ctx.figure(`${prefix}.${p.label}.workload_s`, e2e, 's', `median of ${runs} runs of ${test.length} queries: ${p.endToEnd.map((x) => x.toFixed(3)).join(', ')}`);
      if (p.label !== 'baseline') ctx.figure(`${prefix}.${p.label}.speedup`, base / e2e, 'x', 'baseline workload time / this one (median runs)');
      const shares = p.endToEnd.map((e, i) => (100 * p.overhead[i]!) / e);
      ctx.figure(`${prefix}.${p.label}.overhead_share`, median(shares), '%', 'middleware overhead / end-to-end time');
      ctx.figure(`${prefix}.${p.label}.overhead_per_query_ms`, (1000 * median(p.overhead)) / test.length, 'ms');
      const beyond = p.endToEnd.map((e, i) => (100 * Math.max(0, p.overhead[i]! - floorPerQuery * test.length)) / e);
      ctx.figure(`${prefix}.${p.label}.overhead_beyond_client_share`, median(beyond), '%', 'overhead minus the bare client floor / end-to-end time');
      if (p.timeouts) ctx.note(`${prefix} ${p.label}: ${p.timeouts} query runs hit the ${QUERY_TIMEOUT_MS / 1000} s timeout`);
      const stages = p.timers.report().stages;
      const perQuery = (name: string) => (stages[name] ? stages[name]!.totalMs / stages[name]!.count : 0);
      ctx.note(`${prefix} ${p.label}: per query decide ${perQuery(`decide:${p.label}`).toFixed(3)} ms, engine ${perQuery('engine').toFixed(3)} ms, after ${perQuery(`after:${p.label}`).toFixed(3)} ms`);
    }
    for (const p of prepared.slice(1)) {
      const quality = (await p.run.quality!()) as Record<string, any>;
      if (p.label === 'mscn') {
        const q = quality.qerror;
        for (const k of ['median', 'p95', 'p99']) {
          ctx.figure(`${prefix}.mscn.qerror_${k}`, q.mscn[k], 'x');
          ctx.figure(`${prefix}.postgresql.qerror_${k}`, q.postgresql[k], 'x');
        }
        ctx.figure(`${prefix}.mscn.qerror_p95_vs_postgresql`, q.mscn.p95 / q.postgresql.p95, 'ratio', 'target <= 0.5');
        ctx.note(`${prefix} mscn quality: ${JSON.stringify({ relationSets: quality.relationSets, pushes: quality.pushes, fallbacks: quality.fallbacks, qerrorJoins: quality.qerrorJoins })}`);
      } else {
        ctx.figure(`${prefix}.lero.non_default_share`, 100 * quality.nonDefaultShare, '%');
        ctx.figure(`${prefix}.lero.plan_mismatches`, quality.executedPlanMismatches, 'queries', `of ${quality.executedPlanChecked} checked`);
        ctx.note(`${prefix} lero quality: ${JSON.stringify({ fallbacks: quality.fallbacks, deviations: quality.deviations, training: quality.training, candidatesPerQuery: quality.candidatesPerQuery })}`);
      }
    }
  } finally {
    await store.close();
  }
}

/** Mean seconds per query that a bare `pg` client spends beyond the server's planning and execution. */
async function bareClientOverhead(clientConfig: pg.ClientConfig, queries: readonly string[]): Promise<number> {
  const client = new pg.Client(clientConfig);
  await client.connect();
  try {
    await client.query(`SET statement_timeout = ${QUERY_TIMEOUT_MS}`);
    let total = 0;
    let measured = 0;
    for (const sql of queries) {
      const started = performance.now();
      let reply;
      try {
        reply = await client.query(`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) ${sql}`);
      } catch {
        continue; // a timed-out query says nothing about the client's overhead
      }
      const wallMs = performance.now() - started;
      const doc = (reply.rows[0]['QUERY PLAN'] as Array<{ 'Planning Time': number; 'Execution Time': number }>)[0]!;
      total += wallMs - doc['Planning Time'] - doc['Execution Time'];
      measured++;
    }
    return measured ? total / measured / 1000 : Number.NaN;
  } finally {
    await client.end();
  }
}

export default async function (ctx: BenchContext): Promise<void> {
  const scale = Number(ctx.args[0] ?? 1);
  const trainQueries = Number(ctx.args[1] ?? 300);
  const runs = Number(ctx.args[2] ?? 3);
  const which = (ctx.args[3] ?? 'stats_tiny,synthetic').split(',');
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-bench-algorithms-'));
  fs.chmodSync(home, 0o755);
  const settings = loadSettings({ home }, { PILOTSCOPE_HOME: home });
  const cluster = new EmbeddedPostgres(home);
  try {
    const target = await resolveServer(settings);
    const registry = new DatasetRegistry(home);
    const loader = new PostgresDatasetLoader(settings, target);
    for (const name of which) {
      const isSynthetic = name === 'synthetic';
      if (!isSynthetic) registry.add(name, path.resolve(repoRoot, '..', 'shared', 'datasets', name));
      const dataset = await registry.open(name, isSynthetic ? { scale, seed: 7 } : {});
      const load = await loader.load(dataset);
      const workload = await dataset.workload();
      const prefix = isSynthetic ? `synthetic_sf${scale}` : name;
      ctx.note(`${prefix}: loaded in ${load.seconds.toFixed(1)} s, ${workload.train.length} training and ${workload.test.length} test queries`);
      const engine = await PostgresEngine.open({ target, database: dataset.database, timeoutMs: QUERY_TIMEOUT_MS, parallelism: 2 });
      try {
        const train = workload.train.slice(0, trainQueries);
        await benchDataset(ctx, prefix, engine, target.clientConfig(dataset.database), train, workload.test, home, runs, isSynthetic ? 5000 : 30000);
      } finally {
        await engine.close();
      }
    }
  } finally {
    await cluster.stop().catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The experiment runner's own cost and report generation, on a private embedded PostgreSQL with
 * stats_tiny (its 200 test queries, baseline):
 *
 * - runner overhead per query: the workload loop's wall time minus the time inside
 *   scheduler.execute, per query (recording the row, timing snapshots, progress), median of runs;
 * - appending one per-query row: the JSONL append the runner uses beside an fsynced Arrow-store
 *   save (what it would cost per query to use the data store instead);
 * - report generation for three experiments of a few hundred queries (HTML with SVG charts, with
 *   and without the PNG copies).
 *
 *   npm run bench -- experiments [runs]
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { EmbeddedPostgres } from '../adapters/postgres/cluster.js';
import { baseline } from '../src/algorithms/baseline.js';
import type { Algorithm } from '../src/algorithms/types.js';
import { experimentEnvironment } from '../src/cli/engines.js';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { ResultsDir } from '../src/experiments/results-dir.js';
import { runExperiment } from '../src/experiments/runner.js';
import type { ExperimentSummary, QueryDetailRow } from '../src/experiments/types.js';
import { writeReport } from '../src/report/index.js';
import type { ProgressReporter } from '../src/scheduler/types.js';
import { DataManager } from '../src/store/index.js';
import { makeTempHome } from '../test/helpers/postgres.js';
import { sharedDataset } from '../test/helpers/paths.js';
import { median, type BenchContext } from './harness.js';

/** Baseline whose scheduler.execute is timed from outside. */
function timedBaseline(inside: number[]): Algorithm {
  return {
    ...baseline,
    async create(params, ctx) {
      const run = await baseline.create(params, ctx);
      const execute = run.scheduler.execute.bind(run.scheduler);
      run.scheduler.execute = async (sql: string) => {
        const started = performance.now();
        try {
          return await execute(sql);
        } finally {
          inside.push(performance.now() - started);
        }
      };
      return run;
    },
  };
}

/** Wall time of the workload loop, from the runner's own progress calls. */
function loopTimer(): ProgressReporter & { ms(): number } {
  let started = 0;
  let ended = 0;
  return {
    start(task) {
      if (task.endsWith(': workload')) started = performance.now();
    },
    tick() {},
    finish(task) {
      if (task.endsWith(': workload')) ended = performance.now();
    },
    ms: () => ended - started,
  };
}

export default async function (ctx: BenchContext): Promise<void> {
  const runs = Number(ctx.args[0] ?? 3);
  const home = makeTempHome('pilotscope-bench-experiments-');
  try {
    new DatasetRegistry(home).add('stats_tiny', sharedDataset('stats_tiny'));
    const overheads: number[] = [];
    const executes: number[] = [];
    let queries = 0;
    let summary: ExperimentSummary | undefined;
    for (let run = 0; run < runs; run++) {
      const inside: number[] = [];
      const loop = loopTimer();
      const env = await experimentEnvironment({ overrides: { home }, progress: loop });
      env.algorithms = new Map([['baseline', timedBaseline(inside)]]);
      const result = await runExperiment({ name: `baseline_run${run}`, algorithm: 'baseline', dataset: { name: 'stats_tiny' }, params: {} }, env, { output: path.join(home, 'results') });
      summary = result.summary;
      queries = inside.length;
      const insideMs = inside.reduce((a, b) => a + b, 0);
      overheads.push((loop.ms() - insideMs) / queries);
      executes.push(insideMs / queries);
    }
    ctx.note(`${runs} runs of baseline on stats_tiny, ${queries} test queries each`);
    ctx.figure('runner_overhead_per_query', median(overheads), 'ms');
    ctx.figure('scheduler_execute_per_query', median(executes), 'ms');
    ctx.figure('runner_overhead_share', (100 * median(overheads)) / (median(overheads) + median(executes)), '%');

    // Appending a per-query row: JSONL (what the runner does) beside an fsynced Arrow-store save.
    const rows = new ResultsDir(path.join(home, 'results')).queries('baseline_run0');
    const appendDir = new ResultsDir(path.join(home, 'append'));
    let started = performance.now();
    for (const row of rows) appendDir.appendQuery('jsonl', row);
    const jsonlMs = (performance.now() - started) / rows.length;
    await appendDir.close();
    const store = new DataManager(path.join(home, 'store'));
    const sample = rows.slice(0, 50);
    started = performance.now();
    for (const row of sample) await store.save('detail', row as unknown as Record<string, unknown>);
    const storeMs = (performance.now() - started) / sample.length;
    await store.close();
    ctx.figure('row_append_jsonl', jsonlMs, 'ms');
    ctx.figure('row_append_arrow_store_fsync', storeMs, 'ms');

    // Report generation: the baseline run and two variants of it (other times, some other plans), 300 queries each.
    const reportDir = path.join(home, 'report');
    const base = rows.slice(0, 200);
    const extended = [...base, ...base.slice(0, 100).map((r, i) => ({ ...r, query_index: 200 + i }))];
    await writeVariant(reportDir, summary!, 'baseline_stats_tiny', 'baseline', extended, 1);
    await writeVariant(reportDir, summary!, 'mscn_stats_tiny', 'mscn', extended, 0.7);
    await writeVariant(reportDir, summary!, 'lero_stats_tiny', 'lero', extended, 1.2);
    const withPng: number[] = [];
    const htmlOnly: number[] = [];
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      const report = writeReport([reportDir], { output: path.join(reportDir, 'report.html') });
      withPng.push(performance.now() - t);
      t = performance.now();
      writeReport([reportDir], { output: path.join(reportDir, 'report-nopng.html'), png: false });
      htmlOnly.push(performance.now() - t);
      if (i === 0) ctx.note(`report: ${report.charts.length} charts, ${(fs.statSync(report.file).size / 1024).toFixed(0)} KiB HTML, 3 experiments x ${extended.length} queries`);
    }
    ctx.figure('report_generation_with_png', median(withPng), 'ms');
    ctx.figure('report_generation_html_only', median(htmlOnly), 'ms');
  } finally {
    await new EmbeddedPostgres(home).stop().catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function writeVariant(dir: string, template: ExperimentSummary, name: string, algorithm: string, rows: QueryDetailRow[], factor: number): Promise<void> {
  const results = new ResultsDir(dir);
  const changed = (i: number) => factor !== 1 && i % 4 === 0;
  const variant = rows.map((r, i) => ({ ...r, time: changed(i) ? r.time * factor : r.time, plan_changed: factor === 1 ? null : changed(i), plan_signature: changed(i) ? `${r.plan_signature}*` : r.plan_signature }));
  for (const row of variant) results.appendQuery(name, row);
  const total = variant.reduce((a, r) => a + r.time, 0);
  results.writeSummary({ ...template, experiment: name, algorithm, queries: variant.length, total_time: total, average_time: total / variant.length, fingerprint: name, files: { detail_arrow: `${name}.arrow`, detail_parquet: `${name}.parquet` } });
  await results.exportDetail(name);
  await results.close();
}

/**
 * Synthetic data: generation and load speed at SF 1 (or the scale given as first argument), and
 * how wrong PostgreSQL's row estimates are on it: q-error = max(est/true, true/est) (both at
 * least 1) of the join under COUNT(*) for each generated test query, against the true count.
 *
 *   npm run bench -- datasets [scale] [test-queries]
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSettings } from '../src/config/settings.js';
import { EmbeddedPostgres } from '../adapters/postgres/cluster.js';
import { connect, resolveServer } from '../adapters/postgres/connection.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { syntheticDataset } from '../src/datasets/synthetic/index.js';
import { extractQueries } from '../src/datasets/logs/extract.js';
import type { Dataset } from '../src/datasets/types.js';
import { median, quantile, type BenchContext } from './harness.js';

const RUNS = 3;
const LOG_MESSAGES = 1_000_000;
const QUERY_TIMEOUT_MS = 60_000;

/**
 * extract-queries on a large stderr log (the generated training queries, executed over and over
 * with bind parameters and multi-line text): lines per second and peak memory.
 */
async function benchExtraction(ctx: BenchContext, home: string, queries: string[]): Promise<void> {
  const log = path.join(home, 'big.log');
  const out = fs.createWriteStream(log);
  let lines = 0;
  for (let i = 0; i < LOG_MESSAGES; i++) {
    const q = queries[i % queries.length]!;
    const ts = `2026-01-01 00:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')} UTC [${1000 + (i % 50)}] app@shop `;
    let text: string;
    if (i % 3 === 0) {
      text = `${ts}LOG:  statement: ${q.replace(' WHERE ', '\n\tWHERE ')};\n`;
      lines += 2;
    } else if (i % 3 === 1) {
      text = `${ts}LOG:  execute <unnamed>: ${q.replace(/(>=|<=) (-?\d+)/, '$1 $$1')}\n${ts}DETAIL:  parameters: $1 = '${i % 97}'\n`;
      lines += 2;
    } else {
      text = `${ts}LOG:  duration: 0.${i % 1000} ms\n`;
      lines += 1;
    }
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  const bytes = fs.statSync(log).size;
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const summary = await extractQueries({ input: log, output: path.join(home, 'extracted') });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  ctx.figure('extract_lines_per_s', lines / seconds, 'lines/s', `${(bytes / 2 ** 20).toFixed(0)} MiB stderr log`);
  ctx.figure('extract_mib_per_s', bytes / 2 ** 20 / seconds, 'MiB/s');
  ctx.figure('extract_peak_rss_growth_mib', (peak - rssBefore) / 2 ** 20, 'MiB');
  ctx.note(`extracted ${summary.distinctStatements} distinct statements in ${summary.templates} templates from ${lines} lines (${(bytes / 2 ** 20).toFixed(0)} MiB) in ${seconds.toFixed(1)} s`);
  fs.rmSync(log, { force: true });
}

function totalRows(dataset: Dataset): number {
  return dataset.data.kind === 'generated' ? dataset.data.tables.reduce((sum, t) => sum + t.data.rowCount, 0) : 0;
}

async function generateOnce(dataset: Dataset): Promise<number> {
  if (dataset.data.kind !== 'generated') throw new Error('not generated');
  const started = performance.now();
  let bytes = 0;
  for (const table of dataset.data.tables) for await (const chunk of table.data.open()) bytes += (chunk as string).length;
  if (bytes === 0) throw new Error('nothing generated');
  return (performance.now() - started) / 1000;
}

export default async function (ctx: BenchContext): Promise<void> {
  const scale = Number(ctx.args[0] ?? 1);
  const testQueries = Number(ctx.args[1] ?? 100);
  const home = fs.mkdtempSync(path.join('/tmp', 'pilotscope-bench-datasets-'));
  fs.chmodSync(home, 0o755);
  const settings = loadSettings({ home }, { PILOTSCOPE_HOME: home });
  try {
    const params = { scale, seed: 7, testQueries };
    const rows = totalRows(syntheticDataset(params));
    ctx.note(`synthetic SF ${scale}, seed 7: ${rows} rows in 8 tables; ${RUNS} runs each`);

    const generateSeconds: number[] = [];
    for (let i = 0; i < RUNS; i++) generateSeconds.push(await generateOnce(syntheticDataset(params)));
    const generateRate = rows / median(generateSeconds);
    ctx.figure('synthetic_generate_rows_per_s', generateRate, 'rows/s');

    const target = await resolveServer(settings);
    const loader = new PostgresDatasetLoader(settings, target);
    const loadSeconds: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const result = await loader.load(syntheticDataset(params), { force: true });
      loadSeconds.push(result.seconds);
    }
    const loadRate = rows / median(loadSeconds);
    ctx.figure('synthetic_load_rows_per_s', loadRate, 'rows/s', 'whole load: create, COPY, keys, indexes, foreign keys, ANALYZE');
    ctx.note(`load takes ${(generateRate / loadRate).toFixed(2)}x the time of generation alone (median load ${median(loadSeconds).toFixed(2)} s)`);

    const dataset = syntheticDataset(params);
    const { test } = await dataset.workload();
    const client = await connect(target, dataset.database);
    const qerrors: number[] = [];
    const times: number[] = [];
    let timeouts = 0;
    let empty = 0;
    try {
      await client.query(`SET statement_timeout = ${QUERY_TIMEOUT_MS}`);
      await client.query('SET max_parallel_workers_per_gather = 0');
      for (const sql of test) {
        const plan = (await client.query(`EXPLAIN (FORMAT JSON) ${sql}`)).rows[0]['QUERY PLAN'][0].Plan;
        const estimate = Number(plan.Plans?.[0]?.['Plan Rows'] ?? plan['Plan Rows']);
        const started = performance.now();
        try {
          const truth = Number((await client.query(sql)).rows[0].count);
          times.push(performance.now() - started);
          if (truth === 0) empty++;
          const e = Math.max(estimate, 1);
          const t = Math.max(truth, 1);
          qerrors.push(Math.max(e / t, t / e));
        } catch (err) {
          if ((err as { code?: string }).code !== '57014') throw err;
          timeouts++;
        }
      }
    } finally {
      await client.end();
    }
    ctx.figure('pg_qerror_median', median(qerrors), 'ratio');
    ctx.figure('pg_qerror_p90', quantile(qerrors, 0.9), 'ratio');
    ctx.figure('pg_qerror_p95', quantile(qerrors, 0.95), 'ratio');
    ctx.figure('pg_qerror_max', Math.max(...qerrors), 'ratio');
    ctx.figure('pg_qerror_share_over_10', qerrors.filter((q) => q > 10).length / qerrors.length, 'fraction');
    ctx.figure('synthetic_query_ms_median', median(times), 'ms');
    ctx.figure('synthetic_query_share_over_10ms', times.filter((t) => t >= 10).length / times.length, 'fraction');
    ctx.figure('synthetic_query_share_empty', empty / qerrors.length, 'fraction');
    ctx.note(`${test.length} test queries: ${qerrors.length} measured, ${timeouts} over the ${QUERY_TIMEOUT_MS / 1000} s timeout (left out), ${empty} empty`);

    await benchExtraction(ctx, home, [...(await dataset.workload()).train]);
  } finally {
    await new EmbeddedPostgres(home).stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

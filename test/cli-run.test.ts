/**
 * `pilotscope run` end to end on a private embedded PostgreSQL with stats_tiny: algorithms x
 * datasets with --compare, JSON output, result files (summary, Arrow, Parquet), reuse of finished
 * experiments, resuming after a real kill with the model reused, experiment files, and errors.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import * as arrow from 'apache-arrow';
import { readParquetRows, tableToRows } from '../src/store/index.js';
import type { ExperimentSummary, QueryDetailRow } from '../src/experiments/types.js';
import { isolatedEnv } from './helpers/cli.js';
import { PLUGIN_FILE } from './helpers/experiment-algorithms.js';
import { outputDir, pilotscope, readJsonFile, serverWithStatsTiny } from './helpers/experiments.js';
import { REPO_ROOT } from './helpers/paths.js';
import type { TestServer } from './helpers/postgres.js';

let server: TestServer;

test.before(async () => {
  server = await serverWithStatsTiny();
});

test.after.always(async () => {
  await server?.stop();
});

interface RunJson {
  output: string;
  experiments: Array<ExperimentSummary & { summary_file: string; reused: boolean }>;
  report: { file: string; png_dir: string; charts: string[] } | null;
}

test.serial('run --algo baseline mscn --db stats_tiny --compare: both run, baseline first, with summaries, detail files and a report', async (t) => {
  const out = outputDir(server, 'compare');
  const result = await pilotscope(server, ['run', '--algo', 'baseline', 'mscn', '--db', 'stats_tiny', '--compare', '--limit', '15', '--output', out, '--json'], { plugin: true });
  t.is(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout) as RunJson; // stdout holds one JSON document and nothing else
  t.deepEqual(doc.experiments.map((e) => e.experiment), ['baseline_stats_tiny', 'mscn_stats_tiny']);
  const [base, mscn] = doc.experiments as [RunJson['experiments'][0], RunJson['experiments'][0]];
  for (const s of [base, mscn]) {
    t.is(s.queries, 15);
    t.is(s.completed + s.timeouts + s.failures, 15);
    t.is(s.engine, 'postgresql');
    t.is(s.workload.source, 'stats_tiny:test');
    t.true(s.total_time > 0 && s.median_time > 0 && s.p95_time >= s.median_time);
    t.true(Math.abs(s.average_time * (s.completed + s.timeouts) - s.total_time) < 1e-9);
    t.truthy(s.environment.engine.version?.startsWith('PostgreSQL 15'));
    t.truthy(fs.existsSync(path.join(out, `${s.experiment}.arrow`)) && fs.existsSync(path.join(out, `${s.experiment}.parquet`)));
  }
  t.is(base.model, null);
  t.truthy(mscn.model?.id.startsWith('cost_'), 'the model the run trained is recorded');
  t.is(mscn.parameters.num_training, 20);
  t.true(mscn.training_time > 0);
  t.is((mscn.quality as { predictions: number }).predictions, 15);
  t.is(mscn.plan_changes?.compared, 15, 'each query compared with the baseline plan');
  t.is(mscn.plan_changes?.changed, 0, 'the cost model pushes nothing, so no plan changes');
  t.truthy(doc.report && fs.existsSync(doc.report.file));
  t.true(doc.report!.charts.includes('end-to-end-time') && doc.report!.charts.includes('scatter-stats_tiny'));
  for (const chart of doc.report!.charts) t.true(fs.statSync(path.join(doc.report!.png_dir, `${chart}.png`)).size > 1000);

  const detail = tableToRows(arrow.tableFromIPC(fs.readFileSync(path.join(out, 'mscn_stats_tiny.arrow')))) as unknown as QueryDetailRow[];
  t.is(detail.length, 15);
  t.deepEqual(detail.map((r) => r.query_index), [...Array(15).keys()]);
  for (const row of detail) {
    t.true(row.sql.toLowerCase().includes('select'));
    t.true(row.time > 0);
    t.is(typeof (row.plan_tree as { nodeType: string }).nodeType, 'string');
    t.truthy(row.estimated_cost);
    t.is(row.plan_changed, false);
  }
  const parquet = await readParquetRows(path.join(out, 'mscn_stats_tiny.parquet'));
  t.is(parquet.length, 15);
  t.is(parquet[3]!.sql, detail[3]!.sql);
  if (detail.some((r) => r.cards !== null)) {
    // with the pilotscope extension: relation sets with the planner's rows and the executed plan's actual rows
    const cards = detail.flatMap((r) => r.cards ?? []);
    t.true(cards.some((c) => c.true_rows !== null));
    t.truthy(mscn.q_error.used && mscn.q_error.used.count === cards.filter((c) => c.true_rows !== null).length);
  }
});

test.serial('running the same command again reuses finished experiments and prints a human summary', async (t) => {
  const out = path.join(server.home, 'compare');
  const before = readJsonFile<ExperimentSummary>(path.join(out, 'mscn_stats_tiny.json'));
  const result = await pilotscope(server, ['run', '--algo', 'baseline', 'mscn', '--db', 'stats_tiny', '--compare', '--limit', '15', '--output', out], { plugin: true });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /mscn_stats_tiny: already finished/);
  t.regex(result.stdout, /experiment\s+algorithm\s+dataset\s+queries\s+total/);
  t.regex(result.stdout, /mscn_stats_tiny\s+mscn\s+stats_tiny\s+15/);
  t.regex(result.stdout, /Report: .*report\.html/);
  t.is(readJsonFile<ExperimentSummary>(path.join(out, 'mscn_stats_tiny.json')).finished_at, before.finished_at);
  const trainings = fs.readFileSync(path.join(server.home, 'test-models', 'trainings.log'), 'utf8').trim().split('\n');
  t.is(trainings.length, 1, 'not trained again');
});

test.serial('run --algo baseline mscn --compare against the algorithm registry', async (t) => {
  const out = outputDir(server, 'registry');
  const result = await pilotscope(server, ['run', '--algo', 'baseline', 'mscn', '--db', 'stats_tiny', '--set', 'num_collection=40', 'num_training=40', 'num_epoch=5', '--compare', '--limit', '10', '--output', out, '--json']);
  t.is(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout) as RunJson;
  t.deepEqual(doc.experiments.map((e) => e.algorithm), ['baseline', 'mscn']);
  t.truthy(doc.experiments[1]!.model);
  t.truthy(doc.report && fs.existsSync(doc.report.file));
});

test.serial('an interrupted run (killed) continues where it stopped and reuses the trained model', async (t) => {
  const out = outputDir(server, 'resume');
  const args = ['run', '--algo', 'mscn', '--db', 'stats_tiny', '--set', 'slow_ms=150', 'num_training=5', '--limit', '25', '--output', out];
  const rows = path.join(out, '.pilotscope', 'mscn_stats_tiny.queries.jsonl');
  const countRows = () => (fs.existsSync(rows) ? fs.readFileSync(rows, 'utf8').split('\n').filter(Boolean).length : 0);
  const trainingsBefore = trainingCount();

  const child = spawn(process.execPath, ['--import=tsx', path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: isolatedEnv(server.home, { PILOTSCOPE_ALGORITHMS: PLUGIN_FILE }),
    stdio: 'ignore',
  });
  const deadline = Date.now() + 240_000;
  while (countRows() < 6 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const measured = countRows();
  t.true(measured >= 6 && measured < 25, `killed after ${measured} queries`);
  t.false(fs.existsSync(path.join(out, 'mscn_stats_tiny.json')), 'no summary for an unfinished run');
  t.is(trainingCount(), trainingsBefore + 1);

  const result = await pilotscope(server, [...args, '--json'], { plugin: true });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, new RegExp(`continuing; ${measured} of 25 queries were already measured`));
  t.regex(result.stderr, /with the model trained before \(cost_/);
  t.is(trainingCount(), trainingsBefore + 1, 'the model is loaded, not trained again');
  const summary = (JSON.parse(result.stdout) as RunJson).experiments[0]!;
  t.is(summary.resumed, 1);
  t.is(summary.queries, 25);
  t.is(summary.completed, 25);
  const lines = fs.readFileSync(rows, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as QueryDetailRow);
  t.is(lines.length, 25, 'finished queries were not run again');
  t.deepEqual(lines.map((r) => r.query_index).sort((a, b) => a - b), [...Array(25).keys()]);
});

test.serial('an experiment file runs its experiments with their own workloads and training data, and writes the comparison', async (t) => {
  const dir = outputDir(server, 'file');
  fs.writeFileSync(path.join(dir, 'queries.sql'), 'SELECT COUNT(*) FROM users u WHERE u.reputation > 10;\nSELECT COUNT(*) FROM posts p, users u WHERE p.owneruserid = u.id AND u.upvotes > 5;\n');
  fs.writeFileSync(path.join(dir, 'train.sql'), 'SELECT COUNT(*) FROM badges b;\nSELECT COUNT(*) FROM tags t;\nSELECT COUNT(*) FROM votes v;\n');
  fs.writeFileSync(
    path.join(dir, 'experiments.json'),
    JSON.stringify({
      $schema: '../docs/experiment.schema.json',
      defaults: { limit: 5 },
      experiments: [
        { name: 'base_file', algorithm: 'baseline', dataset: 'stats_tiny', workload: { file: 'queries.sql' } },
        { name: 'cost_file', algorithm: 'mscn', dataset: 'stats_tiny', workload: { file: 'queries.sql' }, params: { training_dataset: 'stats_tiny', num_training: 3 } },
        { name: 'cost_default', algorithm: 'mscn', dataset: 'stats_tiny', params: { num_training: 2 } },
      ],
      comparison: { metrics: ['total_time', 'p95_time', 'failures'], output_dir: 'out', report: 'comparison.html' },
    }),
  );
  const result = await pilotscope(server, ['run', '--config', path.join(dir, 'experiments.json'), '--json'], { plugin: true, cwd: REPO_ROOT });
  t.is(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout) as RunJson;
  t.is(doc.output, path.join(dir, 'out'), 'relative paths are relative to the experiment file');
  const byName = Object.fromEntries(doc.experiments.map((e) => [e.experiment, e]));
  t.is(byName.base_file!.queries, 2);
  t.regex(byName.base_file!.workload.source, /^file:.*queries\.sql$/);
  t.is(byName.cost_file!.plan_changes?.compared, 2, 'compared with the baseline of the same workload');
  t.is(byName.cost_default!.queries, 5);
  t.is(byName.cost_default!.plan_changes, null, 'no baseline of that workload');
  t.is(doc.report!.file, path.join(dir, 'out', 'comparison.html'));
  t.regex(fs.readFileSync(doc.report!.file, 'utf8'), /p95/);
});

test.serial('bad input gets clear errors naming the field or listing the valid names', async (t) => {
  const unknownAlgo = await pilotscope(server, ['run', '--algo', 'msnc', '--db', 'stats_tiny']);
  t.is(unknownAlgo.code, 2);
  t.regex(unknownAlgo.stderr, /--algo does not accept "msnc" \(did you mean "mscn"\?\); choose from: baseline, mscn, lero, knob, index/);

  const unknownDataset = await pilotscope(server, ['run', '--algo', 'baseline', '--db', 'stats_tinyy']);
  t.is(unknownDataset.code, 1);
  t.regex(unknownDataset.stderr, /there is no dataset "stats_tinyy"\. Known: .*stats_tiny/);

  const badParam = await pilotscope(server, ['run', '--algo', 'mscn', '--db', 'stats_tiny', '--set', 'num_trainig=5'], { plugin: true });
  t.is(badParam.code, 1);
  t.regex(badParam.stderr, /"num_trainig" is not a parameter of mscn \(did you mean "num_training"\?\)/);

  const file = path.join(outputDir(server, 'bad'), 'bad.json');
  fs.writeFileSync(file, JSON.stringify({ experiments: [{ name: 'x', algorithm: 'mscn', dataset: 'stats_tiny', parms: {} }, { name: 'y', algorithm: 'foo', dataset: 'stats_tiny' }] }));
  const badFile = await pilotscope(server, ['run', '--config', file, '--json']);
  t.is(badFile.code, 1);
  t.regex(badFile.stderr, /"experiments\[0\]\.parms": is not a known field \(did you mean "params"\?\)/);
  t.regex(badFile.stderr, /"experiments\[1\]\.algorithm": must be one of "baseline", "mscn", "lero", "knob", "index"/);
  t.deepEqual(Object.keys(JSON.parse(badFile.stdout) as object), ['error'], '--json reports the error as JSON');
});

function trainingCount(): number {
  const log = path.join(server.home, 'test-models', 'trainings.log');
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).length : 0;
}

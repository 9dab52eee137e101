/**
 * `pilotscope sweep` end to end on a private embedded PostgreSQL with stats_tiny: a 2x2 grid,
 * the best configuration by the metric, the re-run on the test workload, and a real kill in the
 * middle of a sweep followed by the same command, which finishes the grid without redoing
 * finished points.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { SweepResult } from '../src/experiments/sweep.js';
import type { ExperimentSummary } from '../src/experiments/types.js';
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

const GRID = ['--param', 'enable_nestloop', 'true', 'false', '--param', 'enable_hashjoin', 'true', 'false'];

test.serial('a sweep over two parameters with two values each runs every point and picks the one with the best metric', async (t) => {
  const out = outputDir(server, 'sweep');
  const result = await pilotscope(server, ['sweep', '--algo', 'knob', '--db', 'stats_tiny', ...GRID, '--metric', 'total_time', '--limit', '8', '--rerun-best', '--output', out, '--json'], { plugin: true });
  t.is(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout) as SweepResult & { report: string };
  t.is(doc.points.length, 4);
  t.deepEqual(doc.points.map((p) => [p.params.enable_nestloop, p.params.enable_hashjoin]), [[true, true], [true, false], [false, true], [false, false]]);
  t.deepEqual(doc.grid, { enable_nestloop: [true, false], enable_hashjoin: [true, false] }, 'values typed by the parameter specs');
  t.is(doc.evaluate_on, 'validation');
  // Every point is recorded, and the best is the lowest total_time in the results (among the points with the fewest failures).
  const summaries = doc.points.map((p) => readJsonFile<ExperimentSummary>(path.join(out, `${p.experiment}.json`)));
  for (const [i, s] of summaries.entries()) {
    t.is(s.workload.source, 'stats_tiny:validation');
    t.is(s.queries, 8);
    t.true(doc.points[i]!.value === s.total_time);
    t.deepEqual({ enable_nestloop: s.parameters.enable_nestloop, enable_hashjoin: s.parameters.enable_hashjoin }, doc.points[i]!.params);
  }
  const fewest = Math.min(...summaries.map((s) => s.failures));
  const bestTotal = Math.min(...summaries.filter((s) => s.failures === fewest).map((s) => s.total_time));
  t.is(doc.best.value, bestTotal);
  t.is(doc.best_params.enable_nestloop, doc.best.params.enable_nestloop);
  t.is(doc.best_params.work_mem_kb, 4096, 'the best configuration lists every parameter');
  t.truthy(doc.rerun);
  t.is(doc.rerun!.experiment, 'sweep_knob_stats_tiny_best');
  t.is(doc.rerun!.workload.source, 'stats_tiny:test');
  t.deepEqual([doc.rerun!.parameters.enable_nestloop, doc.rerun!.parameters.enable_hashjoin], [doc.best.params.enable_nestloop, doc.best.params.enable_hashjoin]);
  t.deepEqual(readJsonFile<SweepResult>(path.join(out, 'sweep_knob_stats_tiny.sweep.json')).best, doc.best);
  const report = fs.readFileSync(doc.report, 'utf8');
  t.regex(report, /sweep_knob_stats_tiny: total_time over enable_nestloop and enable_hashjoin/);

  // The human output prints the best configuration with its parameters and figures.
  const again = await pilotscope(server, ['sweep', '--algo', 'knob', '--db', 'stats_tiny', ...GRID, '--metric', 'total_time', '--limit', '8', '--rerun-best', '--output', out], { plugin: true });
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, new RegExp(`Best configuration: enable_nestloop=${doc.best.params.enable_nestloop}, enable_hashjoin=${doc.best.params.enable_hashjoin} \\(total_time `));
  t.regex(again.stdout, /All parameters: enable_nestloop=\w+, enable_hashjoin=\w+, work_mem_kb=4096, slow_ms=0/);
  t.is((again.stderr.match(/finished earlier; not re-run/g) ?? []).length, 4);
});

test.serial('a sweep killed midway finishes the grid when run again, without redoing finished points', async (t) => {
  const out = outputDir(server, 'sweep-kill');
  const args = ['sweep', '--algo', 'knob', '--db', 'stats_tiny', ...GRID, '--set', 'slow_ms=60', '--limit', '12', '--output', out];
  const child = spawn(process.execPath, ['--import=tsx', path.join(REPO_ROOT, 'src/cli/main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: isolatedEnv(server.home, { PILOTSCOPE_ALGORITHMS: PLUGIN_FILE }),
    stdio: 'ignore',
  });
  const p2 = path.join(out, 'sweep_knob_stats_tiny_p2.json');
  const p3rows = path.join(out, '.pilotscope', 'sweep_knob_stats_tiny_p3.queries.jsonl');
  const deadline = Date.now() + 300_000;
  // Kill while the third point is running: two points finished, one half-done.
  while (!(fs.existsSync(p2) && fs.existsSync(p3rows) && fs.readFileSync(p3rows, 'utf8').split('\n').filter(Boolean).length >= 3) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.true(fs.existsSync(p2), 'two points finished before the kill');
  t.false(fs.existsSync(path.join(out, 'sweep_knob_stats_tiny_p4.json')), 'killed before the last point');
  const finishedBefore = ['p1', 'p2'].map((p) => readJsonFile<ExperimentSummary>(path.join(out, `sweep_knob_stats_tiny_${p}.json`)).finished_at);
  const partial = fs.readFileSync(p3rows, 'utf8').split('\n').filter(Boolean).length;

  const result = await pilotscope(server, [...args, '--json'], { plugin: true });
  t.is(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout) as SweepResult;
  t.deepEqual(doc.points.map((p) => p.reused), [true, true, false, false]);
  t.regex(result.stderr, /sweep_knob_stats_tiny_p1 \(enable_nestloop=true, enable_hashjoin=true\): finished earlier; not re-run/);
  t.regex(result.stderr, new RegExp(`sweep_knob_stats_tiny_p3: continuing; ${partial} of 12 queries were already measured`));
  t.deepEqual(['p1', 'p2'].map((p) => readJsonFile<ExperimentSummary>(path.join(out, `sweep_knob_stats_tiny_${p}.json`)).finished_at), finishedBefore, 'finished points were not run again');
  const p3 = readJsonFile<ExperimentSummary>(path.join(out, 'sweep_knob_stats_tiny_p3.json'));
  t.is(p3.resumed, 1);
  t.is(p3.queries, 12);
  t.is(fs.readFileSync(p3rows, 'utf8').split('\n').filter(Boolean).length, 12, 'the interrupted point ran only its missing queries');
  const values = doc.points.map((p) => p.value!);
  t.is(doc.best.value, Math.min(...values));
});

test.serial('sweep errors name the parameter', async (t) => {
  const badValue = await pilotscope(server, ['sweep', '--algo', 'knob', '--db', 'stats_tiny', '--param', 'work_mem_kb', '64', 'lots'], { plugin: true });
  t.is(badValue.code, 1);
  t.regex(badValue.stderr, /knob parameter "work_mem_kb" expects an integer, got "lots"/);
  const unknown = await pilotscope(server, ['sweep', '--algo', 'knob', '--db', 'stats_tiny', '--param', 'work_mem_k', '64'], { plugin: true });
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /"work_mem_k" is not a parameter of knob \(did you mean "work_mem_kb"\?\)/);
  const none = await pilotscope(server, ['sweep', '--algo', 'knob', '--db', 'stats_tiny'], { plugin: true });
  t.is(none.code, 2);
  t.regex(none.stderr, /at least one --param/);
});

/**
 * `pilotscope demo` on a fresh state directory: starts the embedded PostgreSQL itself, generates
 * and loads the small synthetic dataset, runs the baseline, MSCN and Lero, writes the report and
 * says where it is.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedPostgres } from '../adapters/postgres/cluster.js';
import type { ExperimentSummary } from '../src/experiments/types.js';
import { runCli } from './helpers/cli.js';
import { makeTempHome } from './helpers/postgres.js';

let home: string;

test.before(() => {
  home = makeTempHome('pilotscope-demo-');
});

test.after.always(async () => {
  await new EmbeddedPostgres(home).stop().catch(() => undefined);
  fs.rmSync(home, { recursive: true, force: true });
});

test('pilotscope demo runs baseline, MSCN and Lero on synthetic data and says where the report is', async (t) => {
  const expected = ['baseline', 'mscn', 'lero'];
  const result = await runCli(['demo', '--output', path.join(home, 'demo')], { home, timeoutMs: 1_200_000 });
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /Demo: synthetic data at scale 0\.01 \(seed 7\), 60 test queries/);
  const report = path.join(home, 'demo', 'report.html');
  t.regex(result.stdout, new RegExp(`Open the report in a browser: ${report.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  t.true(fs.existsSync(report));
  for (const algorithm of expected) {
    const summary = JSON.parse(fs.readFileSync(path.join(home, 'demo', `demo_${algorithm}.json`), 'utf8')) as ExperimentSummary;
    t.is(summary.dataset, 'synthetic_sf0_01_s7');
    t.is(summary.database, 'synthetic_sf0_01_s7');
    t.is(summary.queries, 60);
    t.is(summary.failures, 0);
    if (algorithm !== 'baseline') t.truthy(summary.model, `${algorithm} trained a model`);
  }
  t.true(new EmbeddedPostgres(home).runningPid() !== undefined, 'the embedded server was started on demand');

  const json = await runCli(['demo', '--output', path.join(home, 'demo'), '--json'], { home, timeoutMs: 600_000 });
  t.is(json.code, 0, json.stderr);
  const doc = JSON.parse(json.stdout) as { experiments: Array<{ algorithm: string; reused: boolean }>; report: { file: string } };
  t.deepEqual(doc.experiments.map((e) => e.algorithm), expected);
  t.true(doc.experiments.every((e) => e.reused), 'a second demo reuses the finished runs');
  t.is(doc.report.file, report);
});

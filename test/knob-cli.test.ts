/**
 * `pilotscope knob tune | show | reset` in child processes against one embedded PostgreSQL: the
 * original configuration comes back from a new process, also after the tuning process was killed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { isolatedEnv, runCli } from './helpers/cli.js';
import { REPO_ROOT, sharedDataset } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';

let server: TestServer;
let engine: PostgresEngine;
const KNOBS = ['shared_buffers', 'work_mem', 'random_page_cost', 'enable_nestloop', 'jit', 'effective_io_concurrency', 'default_statistics_target'];

test.before(async () => {
  server = await startTestServer();
  const registry = new DatasetRegistry(server.home);
  registry.add('stats_tiny', sharedDataset('stats_tiny'));
  await new PostgresDatasetLoader(server.settings, server.target).load(await registry.open('stats_tiny'));
  engine = await PostgresEngine.open({ target: server.target, database: 'postgres', timeoutMs: 30_000, parallelism: 1 });
});

test.after.always(async () => {
  await engine?.close();
  await server?.stop();
});

async function snapshot(): Promise<Record<string, string>> {
  // A fresh pool each time: the tuning process may have restarted the server under us.
  await engine.resetPool();
  const data = await engine.run({ sql: `SELECT name, setting FROM pg_settings WHERE name IN (${KNOBS.map((n) => `'${n}'`).join(', ')})`, pull: { records: true } });
  return Object.fromEntries(data.records!.map((r) => [String(r.name), String(r.setting)]));
}

const journal = () => path.join(server.home, 'knobs', 'embedded.json');

test.serial('tune --apply keeps the best configuration; show lists it; reset from a new process restores the original', async (t) => {
  const original = await snapshot();
  const tuned = await runCli(['knob', 'tune', '--dataset', 'stats_tiny', '--budget-evaluations', '3', '--initial-points', '2', '--max-queries', '8', '--repeats', '1', '--warmup', '0', '--apply', '--json'], { home: server.home, timeoutMs: 300_000 });
  t.is(tuned.code, 0, tuned.stderr);
  const report = JSON.parse(tuned.stdout) as { evaluations: number; chosen_config: Record<string, unknown>; chosen_is_default: boolean; applied: boolean; validation?: { ratio: number; queries: number } };
  t.is(report.evaluations, 4);
  t.true(report.applied);
  t.truthy(report.validation, 'stats_tiny has a test split (by template): the best configuration was validated on it');
  t.log(`validation on ${report.validation!.queries} test queries: ${report.validation!.ratio.toFixed(2)}x`);
  t.regex(tuned.stderr, /\[1\/3\] initial/);

  if (!report.chosen_is_default) {
    t.notDeepEqual(await snapshot(), original, 'the best configuration is in place after the process ended');
    const shown = await runCli(['knob', 'show', '--json'], { home: server.home, timeoutMs: 60_000 });
    t.is(shown.code, 0, shown.stderr);
    const knobs = (JSON.parse(shown.stdout) as { knobs: Array<{ name: string; changedByPilotscope?: boolean }> }).knobs;
    t.deepEqual(knobs.filter((k) => k.changedByPilotscope).map((k) => k.name).sort(), Object.keys(report.chosen_config).sort());
  }

  const reset = await runCli(['knob', 'reset', '--db', 'stats_tiny'], { home: server.home, timeoutMs: 120_000 });
  t.is(reset.code, 0, reset.stderr);
  t.regex(reset.stdout, report.chosen_is_default ? /nothing to restore/ : /Restored \d+ knob\(s\) to their original values/);
  t.deepEqual(await snapshot(), original);
  t.false(fs.existsSync(journal()));

  const again = await runCli(['knob', 'reset'], { home: server.home, timeoutMs: 60_000 });
  t.is(again.code, 0);
  t.regex(again.stdout, /nothing to restore/);
});

test.serial('after the tuning process is killed mid-run, reset from a new process restores the original', async (t) => {
  const original = await snapshot();
  const child = spawn(process.execPath, [`--import=${import.meta.resolve('tsx')}`, path.join(REPO_ROOT, 'src', 'cli', 'main.ts'),
    'knob', 'tune', '--dataset', 'stats_tiny', '--budget-evaluations', '40', '--max-queries', '6', '--repeats', '1', '--warmup', '0', '--seed', '5'], {
    env: isolatedEnv(server.home),
    cwd: server.home,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('close', resolve));
  // Kill it once a few configurations have been applied.
  const deadline = Date.now() + 180_000;
  while (!/\[3\/40\]/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.true(fs.existsSync(journal()), 'changes were journaled before they were made');
  child.kill('SIGKILL');
  await exited;
  t.log(stderr.trim().split('\n').slice(-3).join('\n'));

  const reset = await runCli(['knob', 'reset', '--db', 'stats_tiny', '--json'], { home: server.home, timeoutMs: 120_000 });
  t.is(reset.code, 0, reset.stderr);
  const restored = (JSON.parse(reset.stdout) as { restored: Record<string, unknown> }).restored;
  t.true(Object.keys(restored).length > 0);
  t.deepEqual(await snapshot(), original);
  t.false(fs.existsSync(journal()));
});

test.serial('bad input gets a clear error and a non-zero exit', async (t) => {
  const none = await runCli(['knob', 'tune'], { home: server.home, timeoutMs: 60_000 });
  t.is(none.code, 2);
  t.regex(none.stderr, /give either --dataset <name> or --db <database> with --train-file <file>/);
  const space = await runCli(['knob', 'tune', '--dataset', 'stats_tiny', '--space', 'postgres-16'], { home: server.home, timeoutMs: 60_000 });
  t.is(space.code, 2);
  t.regex(space.stderr, /"postgres-16" is not a built-in knob space \(did you mean "postgres-15"\?\)/);
  const objective = await runCli(['knob', 'tune', '--dataset', 'stats_tiny', '--objective', 'latency'], { home: server.home, timeoutMs: 60_000 });
  t.is(objective.code, 2);
  t.regex(objective.stderr, /time, throughput, p95/);
});

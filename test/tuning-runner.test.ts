/**
 * The knob and index presets through the experiment runner (`pilotscope run`), as the registry
 * exposes them: tuning history and advice land in the results, and the database is as before.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { runCli } from './helpers/cli.js';
import { sharedDataset } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';

let server: TestServer;

test.before(async () => {
  server = await startTestServer();
  const registry = new DatasetRegistry(server.home);
  registry.add('stats_tiny', sharedDataset('stats_tiny'));
  await new PostgresDatasetLoader(server.settings, server.target).load(await registry.open('stats_tiny'));
});

test.after.always(async () => {
  await server?.stop();
});

interface Experiment {
  algorithm: string;
  completed: number;
  quality: Record<string, unknown>;
}

async function run(args: string[]): Promise<Experiment> {
  const output = path.join(server.home, 'results', args[1]!);
  const result = await runCli(['run', '--db', 'stats_tiny', '--limit', '10', '--json', '--output', output, ...args], { home: server.home, timeoutMs: 600_000 });
  if (result.code !== 0) throw new Error(`pilotscope run failed (${result.code}): ${result.stderr}`);
  const experiments = (JSON.parse(result.stdout) as { experiments: Experiment[] }).experiments;
  return experiments.find((e) => e.algorithm === args[1])!;
}

async function state(): Promise<{ settings: Record<string, string>; indexes: string[] }> {
  const engine = await PostgresEngine.open({ target: server.target, database: 'stats_tiny', timeoutMs: 30_000, parallelism: 1 });
  try {
    const settings = (await engine.run({ sql: "SELECT name, setting FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'random_page_cost', 'enable_nestloop', 'join_collapse_limit')", pull: { records: true } })).records!;
    return { settings: Object.fromEntries(settings.map((r) => [String(r.name), String(r.setting)])), indexes: (await engine.listIndexes()).map((i) => i.name).sort() };
  } finally {
    await engine.close();
  }
}

test.serial('pilotscope run --algo knob records the tuning history and leaves the original configuration', async (t) => {
  const before = await state();
  const knob = await run(['--algo', 'knob', '--set', 'budget_evaluations=3', 'initial_points=2', 'max_queries=6', 'repeats=1', 'warmup=0']);
  t.is(knob.completed, 10);
  t.is(knob.quality.evaluations, 4);
  t.is((knob.quality.history as unknown[]).length, 4);
  t.is(typeof knob.quality.default_objective, 'number');
  t.is(typeof knob.quality.best_objective, 'number');
  t.truthy(knob.quality.chosen_config);
  t.is(knob.quality.failures, 0);
  t.false(fs.existsSync(path.join(server.home, 'knobs', 'embedded.json')), 'cleanup restored every knob');
  t.deepEqual((await state()).settings, before.settings);
});

test.serial('pilotscope run --algo index records the advice and drops the indexes it built', async (t) => {
  const before = await state();
  const index = await run(['--algo', 'index', '--set', 'max_queries=30', 'max_steps=2']);
  t.is(index.completed, 10);
  const advised = index.quality.indexes as Array<{ name: string; statement: string }>;
  t.true(advised.length > 0 && advised.length <= 2);
  t.deepEqual([...(index.quality.built as string[])].sort(), advised.map((i) => i.name).sort());
  t.regex(advised[0]!.statement, /^CREATE INDEX pilotscope_/);
  t.deepEqual((await state()).indexes, before.indexes, 'cleanup dropped the built indexes');
});

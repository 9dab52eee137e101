/**
 * Knob tuning on a real embedded PostgreSQL with stats_tiny: a small run finishes and restores,
 * a configuration the server cannot start with is recorded as failed with the server back, and
 * the 'knob' preset runs through the scheduler contract (init tunes, cleanup restores).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { knob } from '../src/algorithms/knob.js';
import type { AlgorithmContext } from '../src/algorithms/types.js';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { SILENT_PROGRESS } from '../src/scheduler/scheduler.js';
import { DataManager } from '../src/store/index.js';
import { TimeStatistic } from '../src/timing/index.js';
import { applyBest, pickQueries, resolveKnobSpace } from '../src/tuning/knob-session.js';
import { KnobTuner, type KnobTuningOptions } from '../src/tuning/knob-tuner.js';
import { sharedDataset } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';

let server: TestServer;
let engine: PostgresEngine;
let train: string[];
let testQueries: string[];

test.before(async () => {
  server = await startTestServer();
  const registry = new DatasetRegistry(server.home);
  registry.add('stats_tiny', sharedDataset('stats_tiny'));
  const dataset = await registry.open('stats_tiny');
  await new PostgresDatasetLoader(server.settings, server.target).load(dataset);
  ({ train, test: testQueries } = await dataset.workload());
  engine = await PostgresEngine.open({ target: server.target, database: 'stats_tiny', timeoutMs: 60_000, parallelism: 1 });
});

test.after.always(async () => {
  await engine?.close();
  await server?.stop();
});

/** The server-wide values (pg_settings.setting, canonical units) of some knobs. */
async function serverSettings(names: readonly string[]): Promise<Record<string, string>> {
  const data = await engine.run({ sql: `SELECT name, setting FROM pg_settings WHERE name IN (${names.map((n) => `'${n}'`).join(', ')})`, pull: { records: true } });
  return Object.fromEntries(data.records!.map((r) => [String(r.name), String(r.setting)]));
}

const BYTES: Record<string, number> = { B: 1, kB: 1024, '8kB': 8192, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/**
 * How PostgreSQL stores a value (e.g. '8192kB' -> '1024' in 8kB pages): read in a session that
 * sets it, or, for settings no session may change, converted with pg_settings.unit.
 */
async function canonical(name: string, value: string | number | boolean): Promise<string> {
  const info = (await engine.run({ sql: `SELECT context, unit FROM pg_settings WHERE name = '${name}'`, pull: { records: true } })).records![0]!;
  if (info.context === 'postmaster') {
    const m = /^(\d+)(B|kB|MB|GB|TB)$/.exec(String(value));
    if (!m) return String(value);
    return String((Number(m[1]) * BYTES[m[2]!]!) / BYTES[String(info.unit)]!);
  }
  const data = await engine.run({ sql: `SELECT setting FROM pg_settings WHERE name = '${name}'`, push: { settings: { [name]: value } }, pull: { records: true } });
  return String(data.records![0]!.setting);
}

function options(overrides: Partial<KnobTuningOptions> & Pick<KnobTuningOptions, 'space'>): KnobTuningOptions {
  return {
    engine,
    queries: pickQueries(train, 12, 1),
    objective: 'time',
    warmup: 1,
    repeats: 2,
    budgetEvaluations: 5,
    budgetSeconds: 0,
    seed: 7,
    initialPoints: 3,
    lowDim: 0,
    quantization: 0,
    timeoutFactor: 10,
    maxTimeoutMs: 60_000,
    ...overrides,
  };
}

test.serial('every knob of the PostgreSQL 15 space is a real setting, and exactly the restart ones need a restart', async (t) => {
  const space = await resolveKnobSpace(engine, 'postgres-15');
  const rows = (await engine.run({ sql: 'SELECT name, context FROM pg_settings', pull: { records: true } })).records!;
  const context = new Map(rows.map((r) => [String(r.name), String(r.context)]));
  for (const knob of space.knobs) {
    t.true(context.has(knob.name), `${knob.name} exists`);
    t.is(context.get(knob.name) === 'postmaster', knob.restart, `${knob.name}: restart flag matches pg_settings.context`);
    t.not(context.get(knob.name), 'internal');
  }
});

test.serial('a small tuning run finishes with a history, and restore puts every knob back', async (t) => {
  const space = await resolveKnobSpace(engine, 'postgres-15');
  const names = space.knobs.map((k) => k.name);
  const before = await serverSettings(names);
  const tuner = new KnobTuner(options({ space }));
  const result = await tuner.run();
  t.log(`objective ${result.defaultObjective.toFixed(4)} s -> ${result.bestObjective.toFixed(4)} s (${result.improvement.toFixed(2)}x) in ${result.wallSeconds.toFixed(1)} s; ${result.failures} failed, ${result.timeouts} timed out`);
  t.is(result.evaluations.length, 6);
  t.is(result.evaluations[0]!.source, 'default');
  t.deepEqual(result.evaluations[0]!.config, {});
  t.deepEqual(result.evaluations.slice(1, 4).map((e) => e.source), ['initial', 'initial', 'initial']);
  for (const e of result.evaluations.slice(1)) {
    t.deepEqual(Object.keys(e.config).sort(), [...names].sort(), 'a configuration sets every knob of the space');
    t.true(e.status === 'failed' ? e.error !== undefined : e.objective! > 0);
  }
  t.is(result.stoppedBy, 'evaluations');
  // Confirmation: the original and the three best successes were measured once more.
  const ok = result.evaluations.filter((e) => e.status === 'ok' && e.source !== 'default').sort((a, b) => a.cost! - b.cost!);
  t.is(result.default.remeasured?.length, 1);
  for (const e of ok.slice(0, 3)) t.is(e.remeasured?.length, 1);
  for (const e of ok.slice(3)) t.is(e.remeasured, undefined);
  t.true([result.default, ...ok.slice(0, 3)].includes(result.best), 'the best is one of the confirmed configurations');
  t.true(result.improvement >= 1, 'nothing worse than the original is chosen');

  await applyBest(tuner.applier, result);
  const applied = await serverSettings(names);
  for (const [name, value] of Object.entries(result.best.config)) t.is(applied[name], await canonical(name, value), `${name} is applied`);

  await tuner.applier.restore();
  t.deepEqual(await serverSettings(names), before, 'every knob has its original value again');
  t.false(fs.existsSync(server.target.knobJournal!), 'nothing is left to restore');
});

test.serial('a configuration the server cannot start with is recorded as failed, and the server is back each time', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-space-'));
  const file = path.join(dir, 'too-big.json');
  fs.writeFileSync(file, JSON.stringify({
    name: 'too-big',
    engine: 'postgresql',
    knobs: [
      { name: 'shared_buffers', type: 'enum', choices: ['64MB', '2TB'], restart: true },
      { name: 'work_mem', type: 'int', min: 1024, max: 65536, log: true, unit: 'kB' },
    ],
  }));
  try {
    const before = await serverSettings(['shared_buffers', 'work_mem']);
    const space = await resolveKnobSpace(engine, file);
    // Four Latin-hypercube points on two choices: two of them ask for 2TB of shared buffers.
    const tuner = new KnobTuner(options({ space, budgetEvaluations: 4, initialPoints: 4, repeats: 1 }));
    const result = await tuner.run();
    const failed = result.evaluations.filter((e) => e.status === 'failed');
    t.log(result.evaluations.map((e) => `${e.index}: ${JSON.stringify(e.config)} ${e.status}${e.error ? ` (${e.error.code})` : ''}`).join('\n'));
    t.is(failed.length, 2);
    for (const e of failed) {
      t.is(e.config.shared_buffers, '2TB');
      t.is(e.error!.code, 'DB_START_FAILED');
      t.regex(e.error!.message, /previous settings were restored/);
    }
    t.true(result.evaluations.filter((e) => e.config.shared_buffers === '64MB').every((e) => e.status === 'ok'), 'the server ran every configuration that can start');
    t.is(result.failures, 2);
    t.not(result.best.config.shared_buffers, '2TB');
    const now = await serverSettings(['shared_buffers']);
    t.is(now.shared_buffers, await canonical('shared_buffers', String(tuner.applier.current.shared_buffers ?? '128MB')), 'the server runs the last configuration that started');
    await tuner.applier.restore();
    t.deepEqual(await serverSettings(['shared_buffers', 'work_mem']), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.serial("the 'knob' preset tunes at init, runs the test workload with the best configuration, and cleanup restores", async (t) => {
  const space = await resolveKnobSpace(engine, 'postgres-15');
  const names = space.knobs.map((k) => k.name);
  const before = await serverSettings(names);
  const store = new DataManager(fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-knob-store-')));
  const notices: string[] = [];
  const ctx: AlgorithmContext = {
    dataset: 'stats_tiny',
    engine,
    trainingQueries: train,
    trainingWorkload: async () => ({ dataset: 'stats_tiny', engine, queries: train }),
    store,
    home: server.home,
    timers: new TimeStatistic(),
    progress: SILENT_PROGRESS,
    timeoutMs: 60_000,
    parallelism: 1,
    seed: 3,
    notice: (text) => notices.push(text),
  };
  const run = await knob.create({ budget_evaluations: 3, initial_points: 2, max_queries: 8, repeats: 1, warmup: 0 }, ctx);
  try {
    await run.scheduler.init();
    const report = (await run.quality!()) as Record<string, unknown>;
    t.is(report.evaluations, 4);
    t.is((report.history as unknown[]).length, 4);
    t.is(report.space, 'postgres-15');
    const chosen = report.chosen_config as Record<string, string | number | boolean>;
    const applied = await serverSettings(names);
    for (const [name, value] of Object.entries(chosen)) t.is(applied[name], await canonical(name, value));
    for (const sql of testQueries.slice(0, 5)) t.is((await run.scheduler.execute(sql)).data.status, 'ok');
    await run.scheduler.flush();
    t.is((await store.readAll('knob_stats_tiny')).length, 5);
  } finally {
    await run.cleanup!();
    await store.close();
  }
  t.deepEqual(await serverSettings(names), before);
});

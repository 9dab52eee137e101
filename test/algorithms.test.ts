/**
 * The algorithm registry, parameter checking, the baseline preset on a real PostgreSQL, and the
 * refusals that happen before any SQL is sent.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ALGORITHMS, algorithmByName, baseline, lero, mscn } from '../src/algorithms/index.js';
import { readSqlFile } from '../src/algorithms/context.js';
import { resolveParams } from '../src/algorithms/params.js';
import type { Engine } from '../src/engine/types.js';
import { isPilotScopeError } from '../src/errors.js';
import { sample, startAlgorithmFixture, type AlgorithmFixture } from './helpers/algorithms.js';

let fx: AlgorithmFixture;

test.before(async () => {
  fx = await startAlgorithmFixture([{ name: 'stats_tiny' }]);
});

test.after.always(async () => {
  await fx?.close();
});

test('the registry holds baseline, mscn and lero; unknown names get a suggestion', (t) => {
  t.is(algorithmByName('baseline'), baseline);
  t.is(algorithmByName('mscn'), mscn);
  t.is(algorithmByName('lero'), lero);
  for (const [name, algorithm] of ALGORITHMS) t.is(algorithm.name as string, name);
  const err = t.throws(() => algorithmByName('msnc'));
  t.true(isPilotScopeError(err, 'USAGE'));
  t.regex(err!.message, /did you mean "mscn"/);
});

test('presets declare upstream parameters in snake_case with defaults', (t) => {
  for (const algorithm of [mscn, lero]) {
    const names = algorithm.params.map((p) => p.name);
    for (const name of ['enable_collection', 'enable_training', 'num_collection', 'num_training', 'num_epoch', 'training_dataset', 'training_data_file', 'model', 'seed', 'batch_size', 'learning_rate', 'collection_timeout_ms', 'update_interval']) {
      t.true(names.includes(name), `${algorithm.name} has ${name}`);
    }
    t.true(names.every((n) => /^[a-z][a-z0-9_]*$/.test(n)));
    const defaults = resolveParams(algorithm.name, algorithm.params, {});
    t.is(defaults.num_epoch, 100);
    t.is(defaults.training_dataset, 'auto');
  }
  t.is(resolveParams('lero', lero.params, {}).num_collection, 100);
  t.is(resolveParams('mscn', mscn.params, {}).num_collection, -1);
  t.is(resolveParams('mscn', mscn.params, { numEpoch: '7' }).num_epoch, 7, 'camelCase and strings from the command line');
  const bad = t.throws(() => resolveParams('mscn', mscn.params, { num_epochs: 3 }));
  t.true(isPilotScopeError(bad, 'EXPERIMENT_INVALID'));
  t.regex(bad!.message, /did you mean "num_epoch"/);
  t.true(isPilotScopeError(t.throws(() => resolveParams('mscn', mscn.params, { update_mode: 'sometimes' })), 'EXPERIMENT_INVALID'));
});

test('learned presets refuse an engine that cannot push cardinalities, before any SQL', async (t) => {
  let ran = 0;
  const real = fx.datasets.get('stats_tiny')!.engine;
  const noExtension: Engine = {
    kind: 'postgresql',
    name: 'PostgreSQL without the extension',
    capabilities: { ...real.capabilities, cardinalityPush: 'none', operators: new Set(['pullExecutionTime', 'pullPhysicalPlan']) },
    run: async () => {
      ran++;
      throw new Error('must not run');
    },
    setKnobs: real.setKnobs.bind(real),
    resetKnobs: real.resetKnobs.bind(real),
    setIndexes: real.setIndexes.bind(real),
    schema: real.schema.bind(real),
    setParallelism: () => undefined,
    close: async () => undefined,
  };
  const ctx = { ...fx.context('stats_tiny', []), engine: noExtension };
  for (const algorithm of [mscn, lero]) {
    const err = await t.throwsAsync(algorithm.create(resolveParams(algorithm.name, algorithm.params, {}), ctx));
    t.true(isPilotScopeError(err, 'ENGINE_UNSUPPORTED_OPERATOR'));
    t.regex(err!.message, /pilotscope extension/);
  }
  t.is(ran, 0);
});

test('the baseline runs queries with the standard pulls, pushes nothing and stores one row per query', async (t) => {
  const queries = sample(fx.datasets.get('stats_tiny')!.workload.test, 5, 0);
  const ctx = fx.context('stats_tiny', []);
  const run = await baseline.create({}, ctx);
  await run.scheduler.init();
  t.is(run.model(), undefined);
  for (const sql of queries) {
    const outcome = await run.scheduler.execute(sql);
    t.is(outcome.data.status, 'ok');
    t.true(outcome.data.executionTime! > 0);
    t.truthy(outcome.data.planTree);
    t.true(Object.keys(outcome.data.subqueryCards!).length > 0);
    t.is(outcome.data.pushReport, undefined);
  }
  await run.scheduler.flush(); // rows are written behind, in batches
  const rows = await ctx.store.readAll('baseline_stats_tiny');
  t.deepEqual(rows.map((r) => r.sql), queries);
});

test('a training file that is missing or empty is a clear error', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-sqlfile-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const missing = await t.throwsAsync(readSqlFile(path.join(dir, 'nope.sql')));
  t.true(isPilotScopeError(missing, 'USAGE'));
  fs.writeFileSync(path.join(dir, 'empty.sql'), '-- nothing here\n;\n');
  const empty = await t.throwsAsync(readSqlFile(path.join(dir, 'empty.sql')));
  t.regex(empty!.message, /holds no SQL statements/);
  fs.writeFileSync(path.join(dir, 'two.sql'), "select 1;\nselect ';' as semicolon;\n");
  t.deepEqual(await readSqlFile(path.join(dir, 'two.sql')), ['select 1', "select ';' as semicolon"]);
});

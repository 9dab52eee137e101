/**
 * Cross-dataset training: the model learns on one database and runs on another. Trained on
 * imdb_tiny, nothing of stats_tiny is known (every query falls back, and the run says which
 * tables); trained on the synthetic STATS-like data, the tables match but some columns were never
 * filtered on (votes.bountyamount): those queries fall back and the columns are named.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { lero } from '../src/algorithms/lero/index.js';
import { mscn } from '../src/algorithms/mscn/index.js';
import { resolveParams } from '../src/algorithms/params.js';
import { sample, startAlgorithmFixture, type AlgorithmFixture } from './helpers/algorithms.js';

let fx: AlgorithmFixture;
let statsTest: string[];

test.before(async () => {
  fx = await startAlgorithmFixture([{ name: 'stats_tiny' }, { name: 'imdb_tiny' }, { name: 'synthetic', scale: 0.01, seed: 3 }]);
  const tests = fx.datasets.get('stats_tiny')!.workload.test;
  const bounty = tests.filter((q) => q.includes('bountyamount')).slice(0, 3);
  statsTest = [...sample(tests.filter((q) => !q.includes('bountyamount')), 9, 2), ...bounty];
});

test.after.always(async () => {
  await fx?.close();
});

const STATS_TABLES = ['badges', 'comments', 'posthistory', 'postlinks', 'posts', 'tags', 'users', 'votes'];

test.serial('MSCN trained on imdb_tiny runs on stats_tiny by falling back for every query, naming the unseen tables', async (t) => {
  const imdbTrain = sample(fx.datasets.get('imdb_tiny')!.workload.train, 12, 0);
  const ctx = fx.context('stats_tiny', [], { trainingFor: { imdb_tiny: imdbTrain } });
  const run = await mscn.create(resolveParams('mscn', mscn.params, { training_dataset: 'imdb_tiny', num_epoch: 5 }), ctx);
  await run.scheduler.init();
  t.is(run.model()!.trainedOn, 'imdb_tiny');
  t.true((await ctx.store.readAll('mscn_cards_imdb_tiny')).length > 0, 'collected on the imdb_tiny database');
  t.deepEqual(await ctx.store.readAll('mscn_cards_stats_tiny'), []);
  const notice = ctx.notices.find((n) => n.includes('has never seen'))!;
  for (const table of STATS_TABLES) t.true(notice.includes(table), `${table} in "${notice}"`);
  for (const sql of statsTest) {
    const outcome = await run.scheduler.execute(sql);
    t.is(outcome.data.status, 'ok');
    t.regex(outcome.handlers[0]!.fallback!, /the model never saw tables/);
  }
  const quality = (await run.quality!()) as any;
  t.is(quality.fallbackQueries, statsTest.length);
  t.deepEqual(quality.fallbacks, { 'unseen by the model': statsTest.length });
  t.true(Object.keys(quality.unseen.tables).length >= 3);
  t.true(Object.keys(quality.unseen.tables).every((name) => STATS_TABLES.includes(name)));
  t.is(quality.relationSets.pushed, 0);
});

test.serial('MSCN trained on synthetic data assists stats_tiny queries over known columns and falls back for unseen ones', async (t) => {
  const synthTrain = sample(fx.datasets.get('synthetic')!.workload.train, 40, 0);
  const ctx = fx.context('stats_tiny', [], { trainingFor: { synthetic: synthTrain } });
  const run = await mscn.create(resolveParams('mscn', mscn.params, { training_dataset: 'synthetic', num_epoch: 10 }), ctx);
  await run.scheduler.init();
  t.is(run.model()!.trainedOn, 'synthetic');
  let assisted = 0;
  for (const sql of statsTest) {
    const outcome = await run.scheduler.execute(sql);
    t.is(outcome.data.status, 'ok');
    const fallback = outcome.handlers[0]!.fallback;
    if (sql.includes('bountyamount')) t.regex(fallback ?? '', /never saw .*columns .*votes\.bountyamount/);
    if (!fallback) {
      assisted++;
      t.deepEqual(outcome.data.pushReport!.notApplied, []);
    }
  }
  const quality = (await run.quality!()) as any;
  t.true(assisted > 0);
  t.is(quality.assistedQueries, assisted);
  t.is(quality.fallbackQueries, statsTest.length - assisted);
  t.true('votes.bountyamount' in quality.unseen.columns);
  t.deepEqual(quality.unseen.tables, {});
  t.true(quality.qerror.mscn.count > 0);
});

test.serial('Lero trained on imdb_tiny falls back on stats_tiny; trained on synthetic it chooses plans that are then executed', async (t) => {
  const imdb = fx.context('stats_tiny', [], { trainingFor: { imdb_tiny: sample(fx.datasets.get('imdb_tiny')!.workload.train, 6, 0) } });
  const fromImdb = await lero.create(resolveParams('lero', lero.params, { training_dataset: 'imdb_tiny', num_epoch: 5 }), imdb);
  await fromImdb.scheduler.init();
  for (const sql of statsTest.slice(0, 4)) t.regex((await fromImdb.scheduler.execute(sql)).handlers[0]!.fallback!, /never saw tables/);
  t.deepEqual(((await fromImdb.quality!()) as any).fallbacks, { 'unseen by the model': 4 });

  const synth = fx.context('stats_tiny', [], { trainingFor: { synthetic: sample(fx.datasets.get('synthetic')!.workload.train, 20, 0) } });
  const fromSynth = await lero.create(resolveParams('lero', lero.params, { training_dataset: 'synthetic', num_epoch: 10 }), synth);
  await fromSynth.scheduler.init();
  t.is(fromSynth.model()!.trainedOn, 'synthetic');
  for (const sql of statsTest) {
    const handler = (await fromSynth.scheduler.execute(sql)).handlers[0]!;
    if (!handler.fallback) t.true(handler.details!.planMatched as boolean);
  }
  const quality = (await fromSynth.quality!()) as any;
  t.true(quality.assistedQueries > 0);
  t.is(quality.executedPlanMismatches, 0);
});

test.serial('training_data_file trains on a file of SQL run against the tested database', async (t) => {
  const ctx = fx.context('stats_tiny', []);
  const file = path.join(ctx.home, 'my-training.sql');
  const queries = sample(fx.datasets.get('stats_tiny')!.workload.train, 10, 5);
  fs.writeFileSync(file, queries.map((q) => `${q};\n`).join(''));
  const run = await mscn.create(resolveParams('mscn', mscn.params, { training_data_file: file, num_epoch: 5 }), ctx);
  await run.scheduler.init();
  t.is(run.model()!.trainedOn, `file:${file}`);
  const quality = (await run.quality!()) as any;
  t.is(quality.collection.collected, queries.length);
});

/**
 * Cardinality push and pull through the adapter and the extension, on stats_tiny's whole
 * training workload: the planner builds exactly the relation sets our SQL analysis enumerates,
 * and every pushed true cardinality becomes the planner's row estimate.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { planSignature, type PgPlanJson } from '../adapters/postgres/plan.js';
import { PilotDataInteractor } from '../src/interactor/data-interactor.js';
import { analyze, enumerateRelationSets, splitStatements, subquerySql } from '../src/sql/index.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';
import { loadSharedDump } from './helpers/load-dump.js';
import { sharedDataset } from './helpers/paths.js';

let server: TestServer;
let engine: PostgresEngine;

test.before(async () => {
  server = await startTestServer();
  await loadSharedDump(server, 'stats_tiny');
  engine = await PostgresEngine.open({ target: server.target, database: 'stats_tiny', timeoutMs: 120_000, parallelism: 4 });
});

test.after.always(async () => {
  await engine?.close();
  await server?.stop();
});

/** What the planner does with a pushed row count: at least 1, rounded. */
function clampRows(rows: number): number {
  return Math.max(1, Math.round(rows));
}

test('every training query: planner relation sets = analysis relation sets, and pushed true cards become the planner rows', async (t) => {
  const queries = splitStatements(fs.readFileSync(path.join(sharedDataset('stats_tiny'), 'train.sql'), 'utf8'));
  t.is(queries.length, 1000);

  // 1. Pull the relation sets the planner built and compare with our enumeration.
  const pulled = await Promise.all(queries.map((sql) => engine.run({ sql, pull: { subqueryCards: true, physicalPlan: true } })));
  let relSets = 0;
  for (const [i, data] of pulled.entries()) {
    const enumerated = enumerateRelationSets(analyze(queries[i]!)).sets.map((s) => s.key).sort();
    t.deepEqual(Object.keys(data.subqueryCards!).sort(), enumerated, queries[i]);
    relSets += enumerated.length;
  }

  // 2. True cardinalities: one count(*) per distinct sub-query, over the pool.
  const subqueries = new Map<string, number>();
  for (const sql of queries) for (const set of enumerateRelationSets(analyze(sql)).sets) subqueries.set(subquerySql(analyze(sql), set), NaN);
  const texts = [...subqueries.keys()];
  const interactor = new PilotDataInteractor(engine);
  interactor.pullRecord();
  const counted = await interactor.executeParallel(texts, 4);
  counted.forEach((result, i) => {
    if (result.status === 'rejected') throw result.reason;
    subqueries.set(texts[i]!, Number(result.value.records![0]!.count));
  });

  // 3. Push every relation set's true cardinality; each must be the planner's rows.
  let plansChanged = 0;
  let notApplied = 0;
  const pushed = await Promise.all(
    queries.map(async (sql, i) => {
      const graph = analyze(sql);
      const cards = Object.fromEntries(enumerateRelationSets(graph).sets.map((set) => [set.key, subqueries.get(subquerySql(graph, set))!]));
      const data = await engine.run({ sql, push: { cards }, pull: { subqueryCards: true, physicalPlan: true } });
      for (const [key, rows] of Object.entries(cards)) {
        if (data.subqueryCards![key] !== clampRows(rows)) t.fail(`${sql}: ${key} pushed ${rows}, planner used ${data.subqueryCards![key]}`);
      }
      notApplied += data.pushReport!.notApplied.length;
      if (planSignature(data.physicalPlan as PgPlanJson) !== planSignature(pulled[i]!.physicalPlan as PgPlanJson)) plansChanged++;
      return data;
    }),
  );
  t.is(pushed.length, 1000);
  t.is(notApplied, 0);
  t.log(`${relSets} relation sets (${subqueries.size} distinct sub-queries); ${plansChanged} of 1000 plans changed under true cardinalities`);
  t.true(plansChanged > 100, `plans changed: ${plansChanged}`);
});

test('a pushed cardinality on a base relation alone changes the plan', async (t) => {
  const sql = 'select count(*) from posts p, postlinks pl, users u where p.id = pl.postid and u.id = p.owneruserid';
  const before = await engine.run({ sql, pull: { physicalPlan: true, subqueryCards: true } });
  const after = await engine.run({ sql, push: { cards: { u: 5 } }, pull: { physicalPlan: true, subqueryCards: true } });
  t.is(after.subqueryCards!.u, 5);
  t.not(before.subqueryCards!.u, 5);
  t.deepEqual(after.pushReport!.applied, ['u']);
  t.not(planSignature(after.physicalPlan as PgPlanJson), planSignature(before.physicalPlan as PgPlanJson));
});

test('pushes that match no relation set are reported, not silently dropped', async (t) => {
  const data = await engine.run({ sql: 'select count(*) from users u', push: { cards: { u: 10, zz: 3 } }, pull: { subqueryCards: true } });
  t.deepEqual(data.pushReport!.applied, ['u']);
  t.is(data.pushReport!.notApplied.length, 1);
  t.is(data.pushReport!.notApplied[0]!.key, 'zz');
  t.regex(data.pushReport!.notApplied[0]!.reason, /no matching relation set/);
});

test('imdb_tiny (strings, LIKE, IN, OR): planner relation sets = analysis relation sets for every query under geqo_threshold', async (t) => {
  await loadSharedDump(server, 'imdb_tiny');
  const imdb = await PostgresEngine.open({ target: server.target, database: 'imdb_tiny', timeoutMs: 120_000, parallelism: 4 });
  try {
    const queries = splitStatements(fs.readFileSync(path.join(sharedDataset('imdb_tiny'), 'train.sql'), 'utf8')).filter((sql) => analyze(sql).relations.length < 12);
    t.true(queries.length > 700, `${queries.length} queries under 12 relations`);
    const pulled = await Promise.all(queries.map((sql) => imdb.run({ sql, pull: { subqueryCards: true } })));
    let mismatches = 0;
    for (const [i, data] of pulled.entries()) {
      const ours = enumerateRelationSets(analyze(queries[i]!)).sets.map((s) => s.key).sort();
      const planner = Object.keys(data.subqueryCards!).sort();
      if (JSON.stringify(ours) !== JSON.stringify(planner)) {
        mismatches++;
        if (mismatches <= 3) t.log(queries[i], '\nplanner only:', planner.filter((k) => !ours.includes(k)), '\nours only:', ours.filter((k) => !planner.includes(k)));
      }
    }
    t.is(mismatches, 0);
  } finally {
    await imdb.close();
  }
});

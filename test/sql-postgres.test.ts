/**
 * Generated SQL against a real PostgreSQL 15 (a private cluster started for this file): sub-query
 * SQL counts what the query joins, join-order SQL returns the query's result in the order given,
 * and quoting/escaping holds for awkward names and constants.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import pg from 'pg';
import type { JoinTree } from '../src/engine/types.js';
import { analyze, enumerateRelationSets, joinOrderSql, subquerySql, type QueryGraph } from '../src/sql/index.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';
import { loadSharedDump } from './helpers/load-dump.js';
import { SHARED_DATASETS as datasets } from './helpers/paths.js';

let server: TestServer | undefined;

const DATABASE = { stats: 'stats_tiny', imdb: 'imdb_tiny' } as const;

function client(database: 'stats' | 'imdb' | 'postgres'): pg.Client {
  const name = database === 'postgres' ? 'postgres' : DATABASE[database];
  return new pg.Client(server!.target.clientConfig(name));
}

test.before(async () => {
  server = await startTestServer();
  await loadSharedDump(server, 'stats_tiny');
  await loadSharedDump(server, 'imdb_tiny');
});

test.after.always(async () => {
  await server?.stop();
});

function queries(name: string): string[] {
  return fs
    .readFileSync(path.join(datasets, name, 'train.sql'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random bushy join tree that only joins connected parts (no cartesian products). */
function randomTree(g: QueryGraph, random: () => number): JoinTree {
  const classOf = new Map<string, Set<number>>();
  g.equivalences.forEach((c, i) => c.forEach((m) => (classOf.get(m.alias) ?? classOf.set(m.alias, new Set()).get(m.alias)!).add(i)));
  let parts = g.relations.map((r) => ({ tree: r.alias as JoinTree, aliases: [r.alias] }));
  const connected = (a: string[], b: string[]): boolean => a.some((x) => b.some((y) => [...(classOf.get(x) ?? [])].some((c) => classOf.get(y)?.has(c))));
  while (parts.length > 1) {
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) if (connected(parts[i]!.aliases, parts[j]!.aliases)) pairs.push([i, j]);
    const [i, j] = pairs[Math.floor(random() * pairs.length)]!;
    const [a, b] = random() < 0.5 ? [parts[i]!, parts[j]!] : [parts[j]!, parts[i]!];
    const merged = { tree: { left: a.tree, right: b.tree } as JoinTree, aliases: [...a.aliases, ...b.aliases] };
    parts = parts.filter((_, k) => k !== i && k !== j);
    parts.push(merged);
  }
  return parts[0]!.tree;
}

/** The join structure of a PostgreSQL plan, with the two sides of each join unordered. */
function planShape(node: Record<string, unknown>): string {
  if (typeof node['Alias'] === 'string') return node['Alias'];
  const kids = ((node['Plans'] as Array<Record<string, unknown>>) ?? []).filter((k) => k['Subplan Name'] === undefined);
  if (kids.length === 1) return planShape(kids[0]!);
  return `(${kids.map(planShape).sort().join('|')})`;
}

function treeShape(tree: JoinTree): string {
  return typeof tree === 'string' ? tree : `(${[treeShape(tree.left), treeShape(tree.right)].sort().join('|')})`;
}

async function count(c: pg.Client, sql: string): Promise<number> {
  const res = await c.query(sql);
  return Number(Object.values(res.rows[0] as object)[0]);
}

test('stats_tiny: each sub-query runs; the whole set counts what the query counts; join-order SQL keeps the order and the result', async (t) => {
  const c = client('stats');
  await c.connect();
  try {
    const random = rng(3);
    let checked = 0;
    const sqls = queries('stats_tiny');
    for (let i = 0; i < sqls.length; i += 9) {
      const g = analyze(sqls[i]!);
      const expected = await count(c, g.sql);
      const sets = enumerateRelationSets(g).sets;
      for (const s of sets) {
        const n = await count(c, subquerySql(g, s));
        t.true(Number.isInteger(n) && n >= 0);
        if (s.aliases.length === g.relations.length) t.is(n, expected, subquerySql(g, s));
      }
      const tree = randomTree(g, random);
      const ordered = joinOrderSql(g, tree);
      await c.query('BEGIN');
      await c.query('SET LOCAL join_collapse_limit = 1');
      t.is(await count(c, ordered), expected, ordered);
      const plan = (await c.query(`EXPLAIN (FORMAT JSON) ${ordered}`)).rows[0]['QUERY PLAN'][0].Plan;
      await c.query('COMMIT');
      t.is(planShape(plan), treeShape(tree), ordered);
      checked += sets.length;
    }
    t.true(checked > 2000, `checked ${checked} sub-queries`);
  } finally {
    await c.end();
  }
});

test('imdb_tiny: string, LIKE, IN, BETWEEN, NULL and OR filters render to SQL that counts the same rows', async (t) => {
  const c = client('imdb');
  await c.connect();
  try {
    const random = rng(5);
    const sqls = queries('imdb_tiny');
    for (let i = 0; i < sqls.length; i += 11) {
      const g = analyze(sqls[i]!);
      const at = g.sql.indexOf(g.output.selectText);
      const joinCount = `SELECT count(*) FROM (${g.sql.slice(0, at)}1${g.sql.slice(at + g.output.selectText.length).replace(/;\s*$/, '')}) AS q`;
      const expected = await count(c, joinCount);
      const whole = enumerateRelationSets(g, { maxSets: 1 << 20, geqoThreshold: 0 }).sets.at(-1)!;
      t.is(await count(c, subquerySql(g, whole)), expected, g.sql);
      for (const s of enumerateRelationSets(g).sets.filter((x) => x.aliases.length <= 2)) await count(c, subquerySql(g, s));
      const ordered = joinOrderSql(g, randomTree(g, random));
      t.deepEqual((await c.query(ordered)).rows, (await c.query(g.sql)).rows, ordered);
    }
  } finally {
    await c.end();
  }
});

test('awkward names and constants: quoting, escapes, dates, derived filters', async (t) => {
  const c = client('postgres');
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA "My Schema"`);
    await c.query(`CREATE TABLE "My Schema"."Order Lines" ("Order ID" int, note text, "select" date)`);
    await c.query(`CREATE TABLE "user" (id int, name text, "Flag" boolean, ts timestamp)`);
    await c.query(
      `INSERT INTO "My Schema"."Order Lines" VALUES (1, 'a_b', DATE '2020-02-01'), (1, 'axb', DATE '2020-02-02'), (2, 'a_\\c', DATE '2021-01-01'), (3, NULL, NULL)`,
    );
    await c.query(`INSERT INTO "user" VALUES (1, 'O''Brien\\x', true, '2021-01-01 10:00'), (2, 'tab\there', false, '2019-01-01'), (3, 'it''s', NULL, NULL)`);
    const sql =
      'SELECT count(*) FROM "My Schema"."Order Lines" AS "OL", "user" ' +
      `WHERE "OL"."Order ID" = "user".id AND ("OL".note LIKE 'a!_%' ESCAPE '!' OR "OL".note IS NULL OR "OL".note = 'a_\\c') ` +
      `AND "OL"."select" BETWEEN SYMMETRIC DATE '2021-12-31' AND DATE '2020-01-01' AND "user".name IN ('O''Brien\\x', E'tab\\there', 'it''s') ` +
      `AND "user"."Flag" IS NOT FALSE AND "user".ts < TIMESTAMP '2022-01-01 00:00:00' AND "user".id = 1`;
    const g = analyze(sql);
    t.true(g.supported, JSON.stringify(g.unsupported));
    const expected = await count(c, sql);
    t.is(expected, 1);
    const sets = enumerateRelationSets(g).sets;
    t.deepEqual(
      sets.map((s) => s.key),
      ['OL', 'user', 'OL,user'],
    );
    // the derived filter "OL"."Order ID" = 1 limits OL on its own, as PostgreSQL's planner does
    t.regex(subquerySql(g, 'OL'), /"OL"\."Order ID" = 1/);
    t.is(await count(c, subquerySql(g, 'OL')), 1);
    t.is(await count(c, subquerySql(g, 'user')), 1);
    t.is(await count(c, subquerySql(g, sets[2]!)), expected);
    t.is(await count(c, joinOrderSql(g, { left: 'user', right: 'OL' })), expected);
  } finally {
    await c.end();
  }
});

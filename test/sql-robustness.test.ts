/**
 * Nothing a user types crashes the analysis: malformed or mutated SQL gives a PilotScopeError or a
 * graph, very deep nesting is a clear error, and very long flat chains still work.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { isPilotScopeError } from '../src/errors.js';
import { analyzeUncached, enumerateRelationSets, joinOrderSql, subquerySql, type Dialect } from '../src/sql/index.js';
import type { JoinTree } from '../src/engine/types.js';

const datasets = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'datasets');

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const FRAGMENTS = ["'", '"', '(', ')', ',', ';', ' OR ', ' AND ', ' NOT ', '::', '$1', '$$', '/*', '--', ' JOIN ', ' ON ', ' IN ', ' BETWEEN ', ' LIKE ', ' IS ', ' NULL ', ' SELECT ', ' FROM ', ' WHERE ', '.', '*', '-', "E'", 'U&"', ' CASE ', ' END ', '[', ']', ' WITH ', ' UNION ', '=', '<', '>=', '`', '\\', ' USING (', ' LEFT ', ' DATE ', ' INTERVAL '];

test('mutated dataset queries: a graph or a PilotScopeError, never a crash; what is generated from a graph re-parses', (t) => {
  const queries = ['stats_tiny', 'imdb_tiny'].flatMap((d) => fs.readFileSync(path.join(datasets, d, 'train.sql'), 'utf8').split('\n').filter(Boolean));
  const random = rng(2024);
  let graphs = 0;
  let errors = 0;
  for (let i = 0; i < 2500; i++) {
    let sql = queries[Math.floor(random() * queries.length)]!;
    for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
      const at = Math.floor(random() * sql.length);
      const how = random();
      if (how < 0.4) sql = sql.slice(0, at) + FRAGMENTS[Math.floor(random() * FRAGMENTS.length)] + sql.slice(at);
      else if (how < 0.8) sql = sql.slice(0, at) + sql.slice(at + 1 + Math.floor(random() * 10));
      else sql = sql.slice(0, at) + sql.slice(Math.floor(random() * sql.length));
    }
    for (const dialect of ['postgresql', 'spark'] as Dialect[]) {
      let g;
      try {
        g = analyzeUncached(sql, { dialect });
      } catch (err) {
        t.true(isPilotScopeError(err, 'SQL_PARSE_ERROR'), `${dialect}: ${sql}\n${String(err)}`);
        errors++;
        continue;
      }
      graphs++;
      if (!g.supported) continue;
      for (const s of enumerateRelationSets(g, { maxSets: 64 }).sets.slice(0, 4)) {
        const again = analyzeUncached(subquerySql(g, s, dialect), { dialect });
        t.true(again.supported, subquerySql(g, s, dialect));
      }
      const tree = g.relations.map((r) => r.alias as JoinTree).reduce((left, right) => ({ left, right }));
      t.true(analyzeUncached(joinOrderSql(g, tree, dialect), { dialect }).supported);
    }
  }
  t.true(graphs > 500 && errors > 500, `graphs ${graphs}, errors ${errors}`);
});

test('deep nesting is a syntax error with a position; long flat chains are fine', (t) => {
  for (const sql of [
    'SELECT * FROM t WHERE ' + '('.repeat(5000) + 't.x = 1' + ')'.repeat(5000),
    'SELECT * FROM t WHERE ' + 'NOT '.repeat(5000) + 't.x = 1',
    'SELECT * FROM t WHERE t.x = ' + '- '.repeat(5000) + '1',
    'SELECT * FROM t WHERE t.x IN ' + '(SELECT '.repeat(2000) + '1' + ')'.repeat(2000),
    'SELECT ARRAY' + '['.repeat(3000) + ']'.repeat(3000),
  ]) {
    const err = t.throws(() => analyzeUncached(sql));
    t.true(isPilotScopeError(err, 'SQL_PARSE_ERROR'));
    t.regex(err!.message, /line 1, column \d+: expected at most 200 nested levels of parentheses, subqueries and operators/);
  }
  const ands = analyzeUncached('SELECT count(*) FROM t WHERE ' + Array.from({ length: 20000 }, (_, i) => `t.x <> ${i}`).join(' AND '));
  t.true(ands.supported);
  t.is(ands.predicates.length, 20000);
  const ors = analyzeUncached('SELECT count(*) FROM t WHERE ' + Array.from({ length: 20000 }, (_, i) => `t.x = ${i}`).join(' OR '));
  t.like(ors.predicates[0]!, { op: 'OR' });
  t.is((ors.predicates[0] as { args: unknown[] }).args.length, 20000);
  t.is(subquerySql(ors, 't').length > 200000, true);
  const inList = analyzeUncached(`SELECT count(*) FROM t WHERE t.x IN (${Array.from({ length: 50000 }, (_, i) => i).join(', ')})`);
  t.is((inList.predicates[0] as { values: unknown[] }).values.length, 50000);
  const sums = analyzeUncached(`SELECT ${Array.from({ length: 20000 }, () => 't.x').join(' + ')} FROM t WHERE t.y = 1`);
  t.true(sums.supported);
  const casts = analyzeUncached(`SELECT * FROM t WHERE t.x = 1${'::int'.repeat(30000)}`);
  t.false(casts.supported);
  t.like(casts.unsupported[0]!, { construct: 'too-deep' });
});

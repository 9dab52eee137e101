/**
 * Every training query of the shared tiny datasets is either fully represented or reported
 * unsupported with a reason; what the graphs hold is checked against independent counts of the
 * SQL text, and every sub-query re-parses to the relation set it came from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { analyze, enumerateRelationSets, predicateSql, subquerySql, type Predicate, type QueryGraph, type RelationSet } from '../src/sql/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const datasets = path.resolve(repoRoot, '..', 'shared', 'datasets');

function queries(name: string): string[] {
  return fs
    .readFileSync(path.join(datasets, name, 'train.sql'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

function atoms(predicates: readonly Predicate[], out: Predicate[] = []): Predicate[] {
  for (const p of predicates) {
    if (p.op === 'OR' || p.op === 'AND') atoms(p.args, out);
    else out.push(p);
  }
  return out;
}

/** Counts a pattern in the SQL text outside string constants. */
function countOutsideStrings(sqls: string[], pattern: RegExp): number {
  return sqls.reduce((n, q) => n + (q.replace(/'([^']|'')*'/g, "''").match(pattern)?.length ?? 0), 0);
}

function canonicalSet(g: QueryGraph, s: RelationSet): string {
  const inSet = new Set(s.aliases);
  const classes = g.equivalences
    .map((c) => c.filter((m) => inSet.has(m.alias)))
    .filter((c) => c.length > 1)
    .map((c) => c.map((m) => `${m.alias}.${m.column}`).join('='));
  return JSON.stringify([s.relations.map((r) => `${r.alias}:${r.table}`).sort(), s.predicates.map((p) => predicateSql(p, 'postgresql')).sort(), classes.sort()]);
}

function canonicalGraph(g: QueryGraph): string {
  return JSON.stringify([
    g.relations.map((r) => `${r.alias}:${r.table}`).sort(),
    g.predicates.map((p) => predicateSql(p, 'postgresql')).sort(),
    g.equivalences.map((c) => c.map((m) => `${m.alias}.${m.column}`).join('=')).sort(),
  ]);
}

test('stats_tiny: all 1000 queries are represented, every relation set is connected and round-trips', (t) => {
  const sqls = queries('stats_tiny');
  t.is(sqls.length, 1000);
  const graphs = sqls.map((q) => analyze(q));
  const unsupported = graphs.filter((g) => !g.supported);
  t.is(unsupported.length, 0, JSON.stringify(unsupported.slice(0, 3).map((g) => g.unsupported)));
  t.is(graphs.filter((g) => g.supported).length, 1000);
  // every filter is `column op number`, and every written comparison is there
  const all = graphs.flatMap((g) => atoms(g.predicates));
  t.true(all.every((p) => 'value' in p && p.value.type === 'number'));
  t.is(all.filter((p) => !p.derived).length, countOutsideStrings(sqls, /(<=|>=|=|<|>)\s*-?\d/g));
  t.is(graphs.reduce((n, g) => n + g.joins.length, 0), countOutsideStrings(sqls, /\w\.\w+\s*=\s*[a-z]\w*\./g));
  t.true(graphs.every((g) => g.output.items.length === 1 && g.output.items[0]!.countStar === true));

  let sets = 0;
  for (const g of graphs) {
    const e = enumerateRelationSets(g);
    t.true(e.complete);
    const keys = e.sets.map((s) => s.key);
    t.is(new Set(keys).size, keys.length);
    t.is(e.sets.filter((s) => s.aliases.length === 1).length, g.relations.length);
    t.is(e.sets[e.sets.length - 1]!.aliases.length, g.relations.length);
    for (const s of e.sets) {
      // a set is connected through its equalities, or through columns equated to one constant
      t.true(connected(s), `${g.sql} ${s.key}`);
      t.is(canonicalSet(g, s), canonicalGraph(analyze(subquerySql(g, s))), `${g.sql} ${s.key}`);
    }
    sets += e.sets.length;
  }
  t.is(sets, 21904); // what PostgreSQL builds (its extension pulls 21904 for this workload)
});

/** Union-find over a set's aliases: join equalities and `column = constant` filters sharing a constant. */
function connected(s: { aliases: string[]; joins: Array<{ left: { alias: string }; right: { alias: string } }>; predicates: ReturnType<typeof atoms> }): boolean {
  const parent = new Map(s.aliases.map((a) => [a, a]));
  const find = (a: string): string => (parent.get(a) === a ? a : find(parent.get(a)!));
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  for (const j of s.joins) union(j.left.alias, j.right.alias);
  const byConstant = new Map<string, string>();
  for (const p of atoms(s.predicates)) {
    if (p.op !== '=' || !('value' in p) || p.value.type !== 'number') continue;
    const first = byConstant.get(p.value.text);
    if (first) union(first, p.alias);
    else byConstant.set(p.value.text, p.alias);
  }
  return new Set(s.aliases.map(find)).size === 1;
}

test('imdb_tiny: all 990 queries are represented, with string, LIKE, IN, BETWEEN, NULL and one-relation OR filters', (t) => {
  const sqls = queries('imdb_tiny');
  t.is(sqls.length, 990);
  const graphs = sqls.map((q) => analyze(q));
  t.is(graphs.filter((g) => !g.supported).length, 0, JSON.stringify(graphs.filter((g) => !g.supported).slice(0, 3).map((g) => g.unsupported)));
  const all = graphs.flatMap((g) => atoms(g.predicates));
  const count = (...ops: string[]): number => all.filter((p) => ops.includes(p.op)).length;
  // each construct of the text is a filter of the graph (IN lists of one value become = / <>)
  t.is(count('LIKE', 'NOT-LIKE'), countOutsideStrings(sqls, /\blike\b/gi));
  t.is(count('NOT-LIKE'), countOutsideStrings(sqls, /\bnot\s+like\b/gi));
  t.is(count('BETWEEN'), countOutsideStrings(sqls, /\bbetween\b/gi));
  t.is(count('IS-NULL'), countOutsideStrings(sqls, /\bis\s+null\b/gi));
  t.is(count('IS-NOT-NULL'), countOutsideStrings(sqls, /\bis\s+not\s+null\b/gi));
  const inLists = all.filter((p) => p.op === 'IN' || p.op === 'NOT-IN').length;
  const singleValueLists = countOutsideStrings(sqls, /\bin\s*\(\s*''\s*\)/gi);
  t.is(inLists + singleValueLists, countOutsideStrings(sqls, /\bin\s*\(/gi));
  t.is(singleValueLists, 1);
  // every OR keyword is inside a one-relation disjunction
  const groups = graphs.flatMap((g) => g.predicates).filter((p) => p.op === 'OR');
  const orArity = (p: Predicate): number => (p.op === 'OR' ? p.args.length - 1 : 0) + (p.op === 'OR' || p.op === 'AND' ? p.args.reduce((n, a) => n + orArity(a), 0) : 0);
  t.is(groups.reduce((n, p) => n + orArity(p), 0), countOutsideStrings(sqls, /\bor\b/gi));
  t.true(groups.every((p) => p.op === 'OR' && atoms(p.args).every((a) => a.alias === p.alias)));
  t.is(groups.length, 333);
  // string constants keep their exact text, quotes included
  const strings = all.flatMap((p) => ('value' in p && p.value.type === 'string' ? [p.value.value] : 'values' in p ? p.values.flatMap((v) => (v.type === 'string' ? [v.value] : [])) : []));
  t.true(strings.includes("shakespeare's-king-lear"));
  t.true(graphs.every((g) => g.output.items.every((i) => i.aggregate === 'min')));
});

test('imdb_tiny: the full join and every set of up to two relations round-trip; large queries stop at maxSets with a warning', (t) => {
  const graphs = queries('imdb_tiny').map((q) => analyze(q));
  let truncated = 0;
  for (const g of graphs) {
    const e = enumerateRelationSets(g);
    if (!e.complete) {
      truncated++;
      t.regex(e.warnings.join(' '), /beyond maxSets=4096/);
    }
    const chosen = e.sets.filter((s) => s.aliases.length <= 2);
    const whole = e.sets.find((s) => s.aliases.length === g.relations.length) ?? enumerateRelationSets(g, { maxSets: 1e6, geqoThreshold: 0 }).sets.at(-1)!;
    for (const s of [...chosen, whole]) t.is(canonicalSet(g, s), canonicalGraph(analyze(subquerySql(g, s))), `${g.sql} ${s.key}`);
    t.is(canonicalSet(g, whole), canonicalGraph(g));
  }
  t.is(truncated, 7);
});

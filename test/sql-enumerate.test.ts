import test from 'ava';
import { relSetKey } from '../src/engine/relset-key.js';
import { isPilotScopeError } from '../src/errors.js';
import { analyze, analyzeUncached, enumerateRelationSets, predicateSql, subquerySql, type QueryGraph } from '../src/sql/index.js';

const keys = (g: QueryGraph, options = {}): string[] => enumerateRelationSets(g, options).sets.map((s) => s.key);

/** A query joining tables r0..r(n-1) by the given edges; edge i uses its own column c<i>. */
function edgeQuery(n: number, edges: Array<[number, number]>, sameColumn = false): string {
  const from = Array.from({ length: n }, (_, i) => `t${i} AS r${i}`).join(', ');
  const where = edges.map(([a, b], i) => `r${a}.c${sameColumn ? 0 : i} = r${b}.c${sameColumn ? 0 : i}`);
  return `SELECT count(*) FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
}

/** Deterministic pseudo-random numbers for generated graphs. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Reference: PostgreSQL's standard_join_search, transcribed without shortcuts (one flat join list). */
function referenceJoinSearch(n: number, adjacency: number[]): Set<number> {
  const nb = (mask: number): number => {
    let out = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) out |= adjacency[i]!;
    return out;
  };
  const hasClauses = (m: number): boolean => (nb(m) & ~m) !== 0;
  const relevant = (a: number, b: number): boolean => (nb(a) & b) !== 0;
  const levels: number[][] = [[], Array.from({ length: n }, (_, i) => 1 << i)];
  const all = new Set(levels[1]);
  for (let level = 2; level <= n; level++) {
    const found = new Set<number>();
    for (const old of levels[level - 1]!) {
      for (const other of levels[1]!) {
        if (old & other) continue;
        if (hasClauses(old) ? relevant(old, other) : true) found.add(old | other);
      }
    }
    for (let k = 2; k <= level - k; k++) {
      for (const old of levels[k]!) {
        if (!hasClauses(old)) continue;
        for (const other of levels[level - k]!) if (!(old & other) && relevant(old, other)) found.add(old | other);
      }
    }
    if (found.size === 0) for (const old of levels[level - 1]!) for (const other of levels[1]!) if (!(old & other)) found.add(old | other);
    levels.push([...found]);
    for (const m of found) all.add(m);
  }
  return all;
}

/** Relation adjacency under equivalence-class closure, from the graph's classes. */
function adjacencyOf(g: QueryGraph): number[] {
  const index = new Map(g.relations.map((r, i) => [r.alias, i]));
  const adj = g.relations.map(() => 0);
  for (const cls of g.equivalences) {
    const mask = cls.reduce((m, c) => m | (1 << index.get(c.alias)!), 0);
    for (const c of cls) adj[index.get(c.alias)!]! |= mask & ~(1 << index.get(c.alias)!);
  }
  return adj;
}

function maskKeys(g: QueryGraph, masks: Iterable<number>): string[] {
  return [...masks]
    .map((m) => g.relations.filter((_, i) => m & (1 << i)).map((r) => r.alias))
    .sort((a, b) => a.length - b.length || (relSetKey(a) < relSetKey(b) ? -1 : 1))
    .map((a) => relSetKey(a));
}

test('a chain a-b-c: connected subsets only, ordered by size then key', (t) => {
  const g = analyze('SELECT count(*) FROM a, b, c WHERE a.x = b.x AND b.y = c.y');
  t.deepEqual(keys(g), ['a', 'b', 'c', 'a,b', 'b,c', 'a,b,c']);
});

test('equivalence classes connect a and c through b (a.x = b.x = c.x), with the implied join spelled out', (t) => {
  const g = analyze('SELECT count(*) FROM a, b, c WHERE a.x = b.x AND b.x = c.x AND c.z > 3');
  const e = enumerateRelationSets(g);
  t.deepEqual(e.sets.map((s) => s.key), ['a', 'b', 'c', 'a,b', 'a,c', 'b,c', 'a,b,c']);
  const ac = e.sets.find((s) => s.key === 'a,c')!;
  t.deepEqual(ac.joins, [{ left: { alias: 'a', column: 'x' }, right: { alias: 'c', column: 'x' }, derived: true }]);
  t.deepEqual(ac.predicates.map((p) => predicateSql(p, 'postgresql')), ['c.z > 3']);
  const abc = e.sets.find((s) => s.key === 'a,b,c')!;
  t.deepEqual(abc.joins.map((j) => `${j.left.alias}.${j.left.column}=${j.right.alias}.${j.right.column}${j.derived ? ' (derived)' : ''}`), ['a.x=b.x', 'b.x=c.x']);
  t.deepEqual(abc.aliases, ['a', 'b', 'c']);
  t.deepEqual(abc.relations.map((r) => r.table), ['a', 'b', 'c']);
  t.true(e.complete);
  t.deepEqual(e.warnings, []);
});

test('sets carry the derived filters of constants in a class', (t) => {
  const g = analyze('SELECT count(*) FROM a, b WHERE a.x = b.x AND b.x = 7');
  const e = enumerateRelationSets(g);
  t.deepEqual(
    e.sets.map((s) => `${s.key}: ${s.predicates.map((p) => predicateSql(p, 'postgresql') + (p.derived ? '*' : '')).join(' AND ')}`),
    ['a: a.x = 7*', 'b: b.x = 7', 'a,b: a.x = 7* AND b.x = 7'],
  );
});

test('random connected join graphs: the sets are exactly the connected subsets (checked by brute force)', (t) => {
  const random = rng(7);
  for (let trial = 0; trial < 60; trial++) {
    const n = 2 + Math.floor(random() * 8);
    const edges: Array<[number, number]> = [];
    for (let i = 1; i < n; i++) edges.push([Math.floor(random() * i), i]); // a spanning tree
    const extra = Math.floor(random() * n);
    for (let k = 0; k < extra; k++) {
      const a = Math.floor(random() * n);
      const b = Math.floor(random() * n);
      if (a !== b) edges.push([a, b]);
    }
    const g = analyzeUncached(edgeQuery(n, edges, random() < 0.3));
    const adj = adjacencyOf(g);
    const connected: number[] = [];
    for (let m = 1; m < 1 << n; m++) {
      let reached = m & -m;
      for (let grew = true; grew; ) {
        grew = false;
        for (let i = 0; i < n; i++) {
          if (reached & (1 << i) && (adj[i]! & m & ~reached) !== 0) {
            reached |= adj[i]! & m;
            grew = true;
          }
        }
      }
      if (reached === m) connected.push(m);
    }
    t.deepEqual(keys(g), maskKeys(g, connected), g.sql);
    t.deepEqual(keys(g), maskKeys(g, referenceJoinSearch(n, adj)), g.sql);
  }
});

test('disconnected join graphs: the planner adds clauseless joins exactly where PostgreSQL does', (t) => {
  // two components {a1,a2} and {b1,b2}: {a1,b1} is never built, {a1,a2,b1} is
  const two = analyze('SELECT count(*) FROM a1, a2, b1, b2 WHERE a1.x = a2.x AND b1.y = b2.y');
  t.deepEqual(keys(two), ['a1', 'a2', 'b1', 'b2', 'a1,a2', 'b1,b2', 'a1,a2,b1', 'a1,a2,b2', 'a1,b1,b2', 'a2,b1,b2', 'a1,a2,b1,b2']);
  // a relation without join clauses is joined with everything
  const isolated = analyze('SELECT count(*) FROM a, b, c WHERE a.x = b.x AND c.z = 1');
  t.deepEqual(keys(isolated), ['a', 'b', 'c', 'a,b', 'a,c', 'b,c', 'a,b,c']);
  const random = rng(11);
  for (let trial = 0; trial < 60; trial++) {
    const n = 2 + Math.floor(random() * 7);
    const edges: Array<[number, number]> = [];
    const count = Math.floor(random() * n);
    for (let k = 0; k < count; k++) {
      const a = Math.floor(random() * n);
      const b = Math.floor(random() * n);
      if (a !== b) edges.push([a, b]);
    }
    const g = analyzeUncached(edgeQuery(n, edges));
    t.deepEqual(keys(g), maskKeys(g, referenceJoinSearch(n, adjacencyOf(g))), g.sql);
  }
});

test('explicit JOINs beyond join_collapse_limit are planned as separate join searches', (t) => {
  const chain = Array.from({ length: 9 }, (_, i) => `JOIN t AS r${i + 1} ON r${i}.c${i} = r${i + 1}.c${i}`).join(' ');
  const explicit = analyze(`SELECT count(*) FROM t AS r0 ${chain}`);
  // [[r0..r7], r8, r9]: 28 joins inside the first list, then 3 at the top, plus 10 base relations
  t.is(keys(explicit).length, 41);
  t.false(keys(explicit).includes('r7,r8'));
  t.true(keys(explicit).includes('r0,r1,r2,r3,r4,r5,r6,r7,r8'));
  t.is(keys(explicit, { joinCollapseLimit: 10 }).length, 55);
  const comma = analyze(edgeQuery(10, Array.from({ length: 9 }, (_, i) => [i, i + 1] as [number, number])));
  t.is(keys(comma).length, 55);
});

test('FROM items that are joins are kept apart beyond from_collapse_limit', (t) => {
  const sql =
    'SELECT count(*) FROM (a JOIN b ON a.c1 = b.c1 JOIN c ON b.c2 = c.c2), (d JOIN e ON d.c4 = e.c4 JOIN f ON e.c5 = f.c5), (g JOIN h ON g.c7 = h.c7 JOIN i ON h.c8 = i.c8) ' +
    'WHERE c.c3 = d.c3 AND f.c6 = g.c6';
  const g = analyze(sql);
  t.true(g.supported);
  // the third item (g, h, i) is its own join search: 9 base + 3 inside it + 21 on a chain of 7 items
  t.is(keys(g).length, 33);
  t.false(keys(g).includes('f,g'));
  t.is(keys(g, { fromCollapseLimit: 9 }).length, 45);
});

test('maxSets stops at a whole level with a warning; maxRelations refuses large queries', (t) => {
  const clique = analyze(edgeQuery(10, Array.from({ length: 9 }, (_, i) => [i, i + 1] as [number, number]), true));
  t.is(keys(clique).length, 1023);
  const capped = enumerateRelationSets(clique, { maxSets: 100 });
  t.false(capped.complete);
  t.is(capped.sets.length, 55);
  t.regex(capped.warnings[0]!, /stopped at 55 relation sets \(all sets of up to 2 of 10 relations\): the next level adds 120 more, beyond maxSets=100/);
  const big = analyze(edgeQuery(25, Array.from({ length: 24 }, (_, i) => [i, i + 1] as [number, number])));
  const err = t.throws(() => enumerateRelationSets(big));
  t.true(isPilotScopeError(err, 'SQL_UNSUPPORTED'));
  t.regex(err!.message, /joins 25 relations; relation-set enumeration is limited to maxRelations=24/);
  t.is(keys(big, { maxRelations: 30 }).length, 325);
  t.throws(() => enumerateRelationSets(big, { maxRelations: 40 }), { message: /maxRelations must be an integer from 1 to 30/ });
  t.throws(() => enumerateRelationSets(big, { maxSets: 0 }), { message: /maxSets must be an integer/ });
  const huge = analyze(edgeQuery(31, Array.from({ length: 30 }, (_, i) => [i, i + 1] as [number, number])));
  t.throws(() => enumerateRelationSets(huge, { maxRelations: 30 }), { message: /joins 31 relations; relation-set enumeration is limited to maxRelations=30/ });
  t.throws(() => subquerySql(huge, 'r0,r1'), { message: /relation sets are supported for at most 30/ });
});

test('a warning when a join search reaches geqo_threshold', (t) => {
  const g = analyze(edgeQuery(12, Array.from({ length: 11 }, (_, i) => [i, i + 1] as [number, number])));
  const e = enumerateRelationSets(g);
  t.true(e.complete);
  t.regex(e.warnings[0]!, /12 relations reaches geqo_threshold=12: with geqo on, PostgreSQL builds only the sets of the join order GEQO picks/);
  t.deepEqual(enumerateRelationSets(g, { geqoThreshold: 0 }).warnings, []);
});

test('keys are relSetKey of the aliases (code-unit order, quoted aliases kept); results are memoized per graph', (t) => {
  const g = analyze('SELECT count(*) FROM t AS "B", t AS a, t AS "_c" WHERE "B".x = a.x AND a.y = "_c".y');
  const e = enumerateRelationSets(g);
  for (const s of e.sets) t.is(s.key, relSetKey(s.aliases));
  t.deepEqual(e.sets.map((s) => s.key), ['B', '_c', 'a', 'B,a', '_c,a', 'B,_c,a']);
  t.is(enumerateRelationSets(g), e);
  t.not(enumerateRelationSets(g, { maxSets: 10 }), e);
});

test('an unsupported query cannot be enumerated: SQL_UNSUPPORTED lists why', (t) => {
  const g = analyze('SELECT * FROM a LEFT JOIN b ON a.id = b.id');
  const err = t.throws(() => enumerateRelationSets(g));
  t.true(isPilotScopeError(err, 'SQL_UNSUPPORTED'));
  t.regex(err!.message, /outer-join: LEFT JOIN keeps unmatched rows; only inner joins are represented \(line 1, column 15\)/);
});

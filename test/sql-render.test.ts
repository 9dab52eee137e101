import test from 'ava';
import { isPilotScopeError } from '../src/errors.js';
import {
  analyze,
  analyzeUncached,
  enumerateRelationSets,
  joinOrderSql,
  predicateSql,
  quoteIdent,
  quoteString,
  relationSetOf,
  subqueryCardsBySql,
  subquerySql,
  type Dialect,
  type QueryGraph,
  type RelationSet,
} from '../src/sql/index.js';

/** A dialect-neutral description of a graph (or of a relation set): what must survive a round trip. */
function describe(relations: QueryGraph['relations'], predicates: QueryGraph['predicates'], classes: QueryGraph['equivalences']): object {
  return {
    relations: relations.map((r) => `${r.alias}:${r.schema ?? ''}.${r.table}`).sort(),
    predicates: predicates.map((p) => predicateSql(p, 'postgresql')).sort(),
    classes: classes
      .filter((c) => c.length > 1)
      .map((c) => c.map((m) => `${m.alias}.${m.column}`).join('='))
      .sort(),
  };
}

function describeSet(g: QueryGraph, s: RelationSet): object {
  const inSet = new Set(s.aliases);
  const classes = g.equivalences.map((c) => c.filter((m) => inSet.has(m.alias)));
  return describe(s.relations, s.predicates, classes);
}

/** Every relation set's sub-query SQL re-parses to the same relations, filters and join classes. */
function assertRoundTrip(t: import('ava').ExecutionContext, sql: string, dialect: Dialect): number {
  const g = analyzeUncached(sql, { dialect });
  t.true(g.supported, `${sql}: ${JSON.stringify(g.unsupported)}`);
  const sets = enumerateRelationSets(g).sets;
  for (const s of sets) {
    const text = subquerySql(g, s, dialect);
    const again = analyzeUncached(text, { dialect });
    t.true(again.supported, text);
    t.deepEqual(describe(again.relations, again.predicates, again.equivalences), describeSet(g, s), text);
    t.deepEqual(again.output.items, [{ text: 'count(*)', aggregate: 'count', countStar: true }]);
  }
  return sets.length;
}

const HARD =
  'SELECT count(*) FROM public."Order Lines" AS "OL", "select" AS s, users u ' +
  'WHERE "OL"."Order ID" = s."user" AND s."user" = u.id AND u.name = \'O\'\'Brien\\x\' AND "OL".note LIKE \'a\\_%\' ESCAPE \'\\\' ' +
  "AND s.d BETWEEN DATE '2020-01-01' AND DATE '2020-12-31' AND u.ts < TIMESTAMP '2021-06-01 12:00:00' AND u.flag IS NOT DISTINCT FROM TRUE " +
  "AND (u.a IN (1, -2.5, 3e2) OR u.b IS NULL OR u.c NOT ILIKE '%x%') AND s.k NOT BETWEEN -1 AND 1 AND u.e IS NULL AND u.z <> 'tab\\there'";

test('sub-query SQL: count(*) over the set, relations in alias order, joins then filters', (t) => {
  const g = analyze('select count(*) from votes v, users u, posts p where v.userid = u.id and p.owneruserid = u.id and u.downvotes >= 0 and u.downvotes <= 0 and p.score > -3');
  t.is(
    subquerySql(g, 'p,u,v'),
    'SELECT count(*) FROM posts AS p, users AS u, votes AS v WHERE p.owneruserid = u.id AND u.id = v.userid AND p.score > -3 AND u.downvotes >= 0 AND u.downvotes <= 0',
  );
  t.is(subquerySql(g, 'u'), 'SELECT count(*) FROM users AS u WHERE u.downvotes >= 0 AND u.downvotes <= 0');
  t.is(subquerySql(g, ['v']), 'SELECT count(*) FROM votes AS v');
  // {p, v} is built through the class u.id = v.userid = p.owneruserid
  t.is(subquerySql(g, 'p,v'), 'SELECT count(*) FROM posts AS p, votes AS v WHERE p.owneruserid = v.userid AND p.score > -3');
  const set = enumerateRelationSets(g).sets.find((s) => s.key === 'p,u')!;
  t.is(subquerySql(g, set, 'spark'), 'SELECT count(*) FROM posts AS p, users AS u WHERE p.owneruserid = u.id AND p.score > -3 AND u.downvotes >= 0 AND u.downvotes <= 0');
  t.throws(() => subquerySql(g, 'p,x'), { message: /"x" is not an alias of this query \(aliases: v, u, p\)/ });
  t.throws(() => subquerySql(g, ''), { message: /at least one alias/ });
  t.throws(() => subquerySql(g, 'p', 'oracle' as never), { message: /dialect must be/ });
});

test('quoting: identifiers only when needed (PostgreSQL double quotes, Spark backticks); string escaping per dialect', (t) => {
  t.deepEqual(['posts', 'Posts', 'order', 'user name', 'a"b', 'x$1', '_x', '1x', 'date', 'select'].map((n) => quoteIdent(n, 'postgresql')), [
    'posts',
    '"Posts"',
    '"order"',
    '"user name"',
    '"a""b"',
    'x$1',
    '_x',
    '"1x"',
    'date',
    '"select"',
  ]);
  t.deepEqual(['posts', 'Posts', 'order', 'user name', 'a`b', 'x$1', 'date'].map((n) => quoteIdent(n, 'spark')), ['posts', '`Posts`', '`order`', '`user name`', '`a``b`', '`x$1`', '`date`']);
  t.is(quoteString("it's a\\b", 'postgresql'), "'it''s a\\b'");
  t.is(quoteString("it's a\\b", 'spark'), "'it\\'s a\\\\b'");
});

test('hard identifiers and constants survive the round trip in both dialects', (t) => {
  const g = analyze(HARD);
  t.true(g.supported, JSON.stringify(g.unsupported));
  t.is(
    subquerySql(g, g.relations.map((r) => r.alias)),
    'SELECT count(*) FROM public."Order Lines" AS "OL", "select" AS s, users AS u WHERE "OL"."Order ID" = s."user" AND s."user" = u.id ' +
      "AND \"OL\".note LIKE 'a\\_%' ESCAPE '\\' AND s.d BETWEEN DATE '2020-01-01' AND DATE '2020-12-31' AND s.k NOT BETWEEN -1 AND 1 " +
      "AND u.name = 'O''Brien\\x' AND u.ts < TIMESTAMP '2021-06-01 12:00:00' AND u.flag IS NOT DISTINCT FROM TRUE " +
      "AND (u.a IN (1, -2.5, 3e2) OR u.b IS NULL OR u.c NOT ILIKE '%x%') AND u.e IS NULL AND u.z <> 'tab\\there'",
  );
  t.is(assertRoundTrip(t, HARD, 'postgresql'), 7);
  // the same query written for Spark
  const spark = HARD.replace(/"/g, '`').replace(/'O''Brien\\x'/, "'O\\'Brien\\\\x'").replace(/'a\\_%' ESCAPE '\\'/, "'a\\\\_%' ESCAPE '\\\\'").replace(/'tab\\there'/, "'tab\\\\there'");
  const sg = analyze(spark, { dialect: 'spark' });
  t.deepEqual(describe(sg.relations, sg.predicates, sg.equivalences), describe(g.relations, g.predicates, g.equivalences));
  t.is(assertRoundTrip(t, spark, 'spark'), 7);
  t.regex(subquerySql(g, 'OL', 'spark'), /^SELECT count\(\*\) FROM public.`Order Lines` AS `OL` WHERE `OL`.note LIKE 'a\\\\_%' ESCAPE '\\\\'$/);
});

test('round trip of every relation set for hand-written queries with each kind of filter', (t) => {
  const queries = [
    'SELECT count(*) FROM a, b, c WHERE a.x = b.x AND b.x = c.x AND c.x = 5 AND a.y BETWEEN SYMMETRIC 9 AND 1',
    "SELECT count(*) FROM a JOIN (b JOIN c USING (id)) ON a.id = b.aid WHERE a.s NOT LIKE 'q%' AND b.t = ANY (ARRAY['x', 'y']) AND NOT (c.u > 3 OR c.v IS NOT NULL)",
    "SELECT count(*) FROM t1, t2 WHERE t1.k = t2.k AND t1.d >= '2020-01-01'::date AND t2.b AND NOT t2.c AND t2.e NOT BETWEEN SYMMETRIC 1 AND 0",
    'SELECT count(*) FROM x, y, z WHERE x.i = 1',
  ];
  for (const q of queries) {
    assertRoundTrip(t, q, 'postgresql');
    assertRoundTrip(t, q, 'spark');
  }
  // Spark has no BETWEEN SYMMETRIC: bounds that cannot be ordered become an equivalent OR
  const sym = "SELECT count(*) FROM t WHERE t.e BETWEEN SYMMETRIC 'z' AND 'a'";
  assertRoundTrip(t, sym, 'postgresql');
  t.is(subquerySql(analyze(sym), 't', 'spark'), "SELECT count(*) FROM t WHERE (t.e BETWEEN 'z' AND 'a' OR t.e BETWEEN 'a' AND 'z')");
});

test('the upstream-compatible map: sub-query SQL -> rows from key -> rows', (t) => {
  const g = analyze('SELECT count(*) FROM badges b, users u WHERE b.userid = u.id AND u.views > 10');
  t.deepEqual(subqueryCardsBySql(g, { b: 100, u: 40, 'b,u': 321 }), {
    'SELECT count(*) FROM badges AS b': 100,
    'SELECT count(*) FROM users AS u WHERE u.views > 10': 40,
    'SELECT count(*) FROM badges AS b, users AS u WHERE b.userid = u.id AND u.views > 10': 321,
  });
  t.throws(() => subqueryCardsBySql(g, { 'b,zz': 1 }), { message: /"zz" is not an alias/ });
  t.deepEqual(relationSetOf(g, ['u', 'b']), relationSetOf(g, 'b,u'));
});

test('join-order SQL: left-deep chains, parenthesized bushy subtrees, the implied join, CROSS JOIN when nothing connects', (t) => {
  const g = analyze('SELECT min(a.n) AS m, count(*) FROM a, b, c, d WHERE a.x = b.x AND b.x = c.x AND c.y = d.y AND a.k > 1 GROUP BY a.z ORDER BY 1 LIMIT 3');
  t.is(
    joinOrderSql(g, { left: { left: 'a', right: 'b' }, right: { left: 'c', right: 'd' } }),
    'SELECT min(a.n) AS m, count(*) FROM a JOIN b ON a.x = b.x JOIN (c JOIN d ON c.y = d.y) ON b.x = c.x WHERE a.k > 1 GROUP BY a.z ORDER BY 1 LIMIT 3',
  );
  t.is(
    joinOrderSql(g, { left: { left: { left: 'd', right: 'c' }, right: 'a' }, right: 'b' }, 'spark'),
    'SELECT min(a.n) AS m, count(*) FROM d JOIN c ON c.y = d.y JOIN a ON a.x = c.x JOIN b ON a.x = b.x WHERE a.k > 1 GROUP BY a.z ORDER BY 1 LIMIT 3',
  );
  t.is(joinOrderSql(g, { left: { left: 'a', right: 'd' }, right: { left: 'b', right: 'c' } }).split(' WHERE ')[0], 'SELECT min(a.n) AS m, count(*) FROM a CROSS JOIN d JOIN (b JOIN c ON b.x = c.x) ON a.x = b.x AND c.y = d.y');
  // the rendered query re-parses to the same graph
  const again = analyze(joinOrderSql(g, { left: { left: 'a', right: 'b' }, right: { left: 'c', right: 'd' } }));
  t.deepEqual(describe(again.relations, again.predicates, again.equivalences), describe(g.relations, g.predicates, g.equivalences));
  t.is(again.output.tailText, g.output.tailText);
});

test('join-order SQL: Spark join-method hints name a relation on one side of their join', (t) => {
  const g = analyze('SELECT count(*) FROM a, b, c WHERE a.x = b.x AND b.y = c.y', { dialect: 'spark' });
  t.is(
    joinOrderSql(g, { left: { left: 'a', right: 'b', method: 'broadcast' }, right: 'c', method: 'merge' }, 'spark'),
    'SELECT /*+ BROADCAST(b), MERGE(c) */ count(*) FROM a JOIN b ON a.x = b.x JOIN c ON b.y = c.y',
  );
  t.is(joinOrderSql(g, { left: 'c', right: { left: 'a', right: 'b' }, method: 'hash' }, 'spark'), 'SELECT /*+ SHUFFLE_HASH(c) */ count(*) FROM c JOIN (a JOIN b ON a.x = b.x) ON b.y = c.y');
  t.regex(joinOrderSql(g, { left: { left: 'a', right: 'b', method: 'nestloop' }, right: 'c' }, 'spark'), /^SELECT \/\*\+ SHUFFLE_REPLICATE_NL\(b\) \*\//);
  const pg = t.throws(() => joinOrderSql(g, { left: { left: 'a', right: 'b', method: 'hash' }, right: 'c' }, 'postgresql'));
  t.true(isPilotScopeError(pg, 'USAGE'));
  t.regex(pg!.message, /enable_hashjoin/);
  const four = analyze('SELECT count(*) FROM a, b, c, d WHERE a.x = b.x AND b.y = c.y AND c.z = d.z');
  t.throws(() => joinOrderSql(four, { left: { left: 'a', right: 'b' }, right: { left: 'c', right: 'd' }, method: 'broadcast' }, 'spark'), {
    message: /two joined subtrees cannot carry a Spark hint/,
  });
});

test('join-order SQL rejects trees that do not name every alias exactly once', (t) => {
  const g = analyze('SELECT count(*) FROM a, b, c WHERE a.x = b.x AND b.y = c.y');
  t.throws(() => joinOrderSql(g, { left: 'a', right: 'b' }), { message: /missing c/ });
  t.throws(() => joinOrderSql(g, { left: { left: 'a', right: 'a' }, right: { left: 'b', right: 'c' } }), { message: /"a" appears twice/ });
  t.throws(() => joinOrderSql(g, { left: { left: 'a', right: 'q' }, right: { left: 'b', right: 'c' } }), { message: /"q" is not an alias of the query/ });
  t.throws(() => joinOrderSql(g, { left: 'a', right: 5 as never }), { message: /must be an alias or \{ left, right \}/ });
  t.throws(() => joinOrderSql(analyze('SELECT * FROM a LEFT JOIN b ON a.x = b.x'), { left: 'a', right: 'b' }), { message: /outer-join/ });
});

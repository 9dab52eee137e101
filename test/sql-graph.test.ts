import test from 'ava';
import type { SchemaInfo } from '../src/engine/types.js';
import { analyze, analyzeUncached, predicateSql, type ListPredicate, type QueryGraph, type UnsupportedConstruct } from '../src/sql/index.js';

const preds = (g: QueryGraph): string[] => g.predicates.map((p) => predicateSql(p, 'postgresql'));

function unsupported(t: import('ava').ExecutionContext, sql: string, construct: UnsupportedConstruct, reason: RegExp, options = {}): QueryGraph {
  const g = analyzeUncached(sql, options);
  t.false(g.supported, sql);
  const hit = g.unsupported.find((u) => u.construct === construct);
  t.truthy(hit, `${sql}: expected ${construct}, got ${JSON.stringify(g.unsupported)}`);
  if (hit) {
    t.regex(hit.reason, reason, sql);
    t.truthy(hit.position, sql);
  }
  return g;
}

test('a STATS query: relations, equi-join, numeric filters including negative numbers', (t) => {
  const g = analyze('select  count(*) from badges as b, \t\tposts as p where b.userid = p.owneruserid  and b.date<=1409697029  and p.score>=-2  and p.score<=34');
  t.true(g.supported);
  t.deepEqual(g.relations, [
    { alias: 'b', table: 'badges' },
    { alias: 'p', table: 'posts' },
  ]);
  t.deepEqual(g.joins, [{ left: { alias: 'b', column: 'userid' }, right: { alias: 'p', column: 'owneruserid' } }]);
  t.deepEqual(g.equivalences, [[{ alias: 'b', column: 'userid' }, { alias: 'p', column: 'owneruserid' }]]);
  t.deepEqual(g.predicates, [
    { alias: 'b', op: '<=', column: 'date', value: { type: 'number', value: 1409697029, text: '1409697029' } },
    { alias: 'p', op: '>=', column: 'score', value: { type: 'number', value: -2, text: '-2' } },
    { alias: 'p', op: '<=', column: 'score', value: { type: 'number', value: 34, text: '34' } },
  ]);
  t.deepEqual(g.output.items, [{ text: 'count(*)', aggregate: 'count', countStar: true }]);
  t.deepEqual(g.from, ['b', 'p']);
});

test('constant op column is flipped; unary minus and plus on constants', (t) => {
  const g = analyze('SELECT * FROM t WHERE 5 < t.a AND -2 <= t.b AND 3 = t.c AND 1.5e3 <> t.d AND - -4 > t.e AND +7 >= t.f');
  t.deepEqual(preds(g), ['t.a > 5', 't.b >= -2', 't.c = 3', 't.d <> 1.5e3', 't.e < 4', 't.f <= 7']);
});

test('typed constants: strings, dates and timestamps with epoch seconds, booleans, NULL', (t) => {
  const g = analyze(
    "SELECT * FROM t WHERE t.s = 'it''s' AND t.e = E'a\\tb' AND t.d >= DATE '2020-01-01' AND t.ts < TIMESTAMP '2020-01-01 12:30:15.5' " +
      "AND t.d2 = '2021-03-04'::date AND t.ts2 > CAST('2020-02-29' AS timestamp) AND t.tz = TIMESTAMP WITH TIME ZONE '2020-01-01 02:00+02' " +
      "AND t.b = true AND t.n = NULL AND t.i = '42'::int AND t.f = 2.5::float8",
  );
  const values = g.predicates.map((p) => (p as { value: unknown }).value);
  t.deepEqual(values, [
    { type: 'string', value: "it's" },
    { type: 'string', value: 'a\tb' },
    { type: 'date', text: '2020-01-01', epoch: 1577836800 },
    { type: 'timestamp', text: '2020-01-01 12:30:15.5', epoch: 1577881815.5 },
    { type: 'date', text: '2021-03-04', epoch: 1614816000 },
    { type: 'timestamp', text: '2020-02-29', epoch: 1582934400 },
    { type: 'timestamp', text: '2020-01-01 02:00+02', epoch: 1577836800, withTimeZone: true },
    { type: 'boolean', value: true },
    { type: 'null' },
    { type: 'number', value: 42, text: '42' },
    { type: 'number', value: 2.5, text: '2.5' },
  ]);
  unsupported(t, "SELECT * FROM t WHERE t.d > DATE 'yesterday'", 'non-constant-value', /not in ISO form/);
  unsupported(t, "SELECT * FROM t WHERE t.d > DATE '2020-02-30'", 'non-constant-value', /not in ISO form/);
  unsupported(t, "SELECT * FROM t WHERE t.i = 'abc'::int", 'non-constant-value', /not a valid int/);
  unsupported(t, "SELECT * FROM t WHERE t.i = 1.5::int", 'non-constant-value', /cast of a number constant to int/);
  unsupported(t, "SELECT * FROM t WHERE t.d > now() - INTERVAL '1 day'", 'non-constant-value', /expression, not a constant/);
  unsupported(t, "SELECT * FROM t WHERE t.b = B'101'", 'non-constant-value', /bit-string/);
});

test('IN lists, one-element IN as equality, NOT IN, = ANY (ARRAY[...]) and <> ALL (ARRAY[...])', (t) => {
  const g = analyze("SELECT * FROM t WHERE t.a IN (1, 2, 3) AND t.b IN ('x') AND t.c NOT IN ('p', 'q') AND t.d = ANY (ARRAY[4, 5]) AND t.e <> ALL (ARRAY['u', 'v'])");
  t.deepEqual(preds(g), ['t.a IN (1, 2, 3)', "t.b = 'x'", "t.c NOT IN ('p', 'q')", 't.d IN (4, 5)', "t.e NOT IN ('u', 'v')"]);
  const first = g.predicates[0] as ListPredicate;
  t.deepEqual(first.values.map((v) => (v.type === 'number' ? v.value : null)), [1, 2, 3]);
  unsupported(t, 'SELECT * FROM t WHERE t.a IN (1, t.b)', 'column-comparison', /reads a column where a constant is expected/);
});

test('BETWEEN, NOT BETWEEN and SYMMETRIC (bounds ordered when comparable)', (t) => {
  const g = analyze("SELECT * FROM t WHERE t.a BETWEEN 1 AND 10 AND t.b NOT BETWEEN -5 AND 5 AND t.c BETWEEN SYMMETRIC 9 AND 2 AND t.d BETWEEN SYMMETRIC 'z' AND 'a' AND t.e BETWEEN SYMMETRIC DATE '2021-01-01' AND DATE '2020-01-01'");
  t.deepEqual(preds(g), [
    't.a BETWEEN 1 AND 10',
    't.b NOT BETWEEN -5 AND 5',
    't.c BETWEEN 2 AND 9',
    "t.d BETWEEN SYMMETRIC 'z' AND 'a'",
    "t.e BETWEEN DATE '2020-01-01' AND DATE '2021-01-01'",
  ]);
  t.like(g.predicates[0]!, { op: 'BETWEEN', low: { type: 'number', value: 1 }, high: { type: 'number', value: 10 } });
  unsupported(t, 'SELECT * FROM t WHERE 5 BETWEEN t.a AND t.b', 'unsupported-predicate', /"5 BETWEEN t.a AND t.b" does not compare a column/);
});

test('LIKE, NOT LIKE, ILIKE, ESCAPE and the ~~ operators', (t) => {
  const g = analyze("SELECT * FROM t WHERE t.a LIKE '%x%' AND t.b NOT LIKE 'a!_%' ESCAPE '!' AND t.c ILIKE 'Q%' AND NOT t.d NOT ILIKE 'r' AND t.e ~~ 'z%' AND t.f !~~* 'w'");
  t.deepEqual(preds(g), ["t.a LIKE '%x%'", "t.b NOT LIKE 'a!_%' ESCAPE '!'", "t.c ILIKE 'Q%'", "t.d ILIKE 'r'", "t.e LIKE 'z%'", "t.f NOT ILIKE 'w'"]);
  t.like(g.predicates[1]!, { op: 'NOT-LIKE', column: 'b', pattern: 'a!_%', escape: '!' });
  unsupported(t, "SELECT * FROM t WHERE t.a SIMILAR TO 'a|b'", 'unsupported-predicate', /SIMILAR TO patterns/);
  unsupported(t, 'SELECT * FROM t WHERE t.a LIKE 5', 'unsupported-predicate', /not a string constant/);
});

test('IS [NOT] NULL / TRUE / FALSE / DISTINCT FROM and bare boolean columns', (t) => {
  const g = analyze('SELECT * FROM t WHERE t.a IS NULL AND t.b IS NOT NULL AND t.c IS TRUE AND t.d IS NOT FALSE AND t.e IS DISTINCT FROM 3 AND t.f AND NOT t.g AND t.h ISNULL');
  t.deepEqual(preds(g), [
    't.a IS NULL',
    't.b IS NOT NULL',
    't.c IS NOT DISTINCT FROM TRUE',
    't.d IS DISTINCT FROM FALSE',
    't.e IS DISTINCT FROM 3',
    't.f = TRUE',
    't.g = FALSE',
    't.h IS NULL',
  ]);
});

test('NOT is pushed down with De Morgan; a negated OR becomes separate filters', (t) => {
  const g = analyze('SELECT * FROM t WHERE NOT (t.a = 1 OR t.b < 2) AND NOT (t.c BETWEEN 1 AND 2) AND NOT (t.d IN (1, 2) AND t.e IS NULL)');
  t.deepEqual(preds(g), ['t.a <> 1', 't.b >= 2', 't.c NOT BETWEEN 1 AND 2', '(t.d NOT IN (1, 2) OR t.e IS NOT NULL)']);
});

test('OR inside one relation is one disjunctive predicate; OR across relations is reported', (t) => {
  const g = analyze("SELECT * FROM n, t WHERE n.id = t.nid AND (n.gender = 'm' OR (n.gender = 'f' AND n.name LIKE 'B%')) AND (t.x < 1 OR t.x > 9 OR t.y IS NULL)");
  t.true(g.supported);
  t.deepEqual(preds(g), ["(n.gender = 'm' OR (n.gender = 'f' AND n.name LIKE 'B%'))", '(t.x < 1 OR t.x > 9 OR t.y IS NULL)']);
  t.like(g.predicates[0]!, { alias: 'n', op: 'OR', args: [{ op: '=' }, { op: 'AND', args: [{ op: '=' }, { op: 'LIKE' }] }] });
  const bad = unsupported(t, 'SELECT *\nFROM a, b\nWHERE a.id = b.id AND (a.x = 1 OR b.y = 2)', 'or-across-relations', /OR across relations a, b/);
  t.like(bad.unsupported[0]!.position!, { line: 3, column: 23 });
});

test('unqualified columns: the only relation, a schema, or a precise report', (t) => {
  t.deepEqual(preds(analyze('SELECT * FROM posts WHERE score > 3 AND posts.id < 10')), ['posts.score > 3', 'posts.id < 10']);
  unsupported(t, 'SELECT * FROM a, b WHERE a.id = b.id AND x = 1', 'unqualified-column', /unqualified column x in a multi-table query/);
  const schema = { a: ['id', 'x'], b: ['id', 'y'] };
  const g = analyze('SELECT * FROM a, b WHERE a.id = b.id AND x = 1 AND y = 2', { schema });
  t.deepEqual(preds(g), ['a.x = 1', 'b.y = 2']);
  unsupported(t, 'SELECT * FROM a, b WHERE id = 1', 'unqualified-column', /column id is ambiguous: it is in a, b/, { schema });
  unsupported(t, 'SELECT * FROM a, b WHERE z = 1', 'unknown-column', /column z is in none of the tables a, b/, { schema });
  const typed: SchemaInfo = {
    tables: [{ name: 'a', rowCount: 1, columns: [{ name: 'id', kind: 'integer', nativeType: 'int4' }, { name: 'q', kind: 'float', nativeType: 'float8' }] }, { name: 'b', rowCount: 1, columns: [{ name: 'id', kind: 'integer', nativeType: 'int4' }] }],
  };
  t.deepEqual(preds(analyze('SELECT * FROM a JOIN b ON a.id = b.id WHERE q > 1', { schema: typed })), ['a.q > 1']);
});

test('explicit inner joins give the same graph as comma joins; USING and NATURAL become equalities', (t) => {
  const comma = analyze('SELECT * FROM a, b, c WHERE a.x = b.x AND b.y = c.y AND a.z > 1');
  const explicit = analyze('SELECT * FROM a INNER JOIN b ON a.x = b.x JOIN c ON b.y = c.y WHERE a.z > 1');
  const cross = analyze('SELECT * FROM a CROSS JOIN b JOIN c ON b.y = c.y WHERE a.x = b.x AND a.z > 1');
  for (const g of [explicit, cross]) {
    t.true(g.supported);
    t.deepEqual(g.relations, comma.relations);
    t.deepEqual(g.joins.map((j) => JSON.stringify(j)).sort(), comma.joins.map((j) => JSON.stringify(j)).sort());
    t.deepEqual(g.predicates, comma.predicates);
  }
  t.deepEqual(explicit.from, [{ join: [{ join: ['a', 'b'] }, 'c'] }]);
  const using = analyze('SELECT * FROM a JOIN b USING (id) JOIN c USING (id) WHERE id > 3');
  t.true(using.supported);
  t.deepEqual(using.equivalences, [[{ alias: 'a', column: 'id' }, { alias: 'b', column: 'id' }, { alias: 'c', column: 'id' }]]);
  t.deepEqual(preds(using), ['a.id > 3']);
  unsupported(t, 'SELECT * FROM a NATURAL JOIN b', 'natural-join', /pass the schema option/);
  const natural = analyze('SELECT * FROM a NATURAL JOIN b', { schema: { a: ['id', 'x', 'k'], b: ['id', 'k', 'y'] } });
  t.deepEqual(natural.joins.map((j) => `${j.left.alias}.${j.left.column}=${j.right.alias}.${j.right.column}`), ['a.id=b.id', 'a.k=b.k']);
  t.deepEqual(preds(analyze('SELECT * FROM a, b JOIN c USING (id) WHERE id = 1')), ['b.id = 1', 'c.id = 1']);
  const resolved = analyze('SELECT * FROM (a JOIN b ON a.x = b.x) JOIN c USING (id)', { schema: { a: ['x'], b: ['x', 'id'], c: ['id'] } });
  t.deepEqual(resolved.equivalences.map((c) => c.map((m) => `${m.alias}.${m.column}`)), [['a.x', 'b.x'], ['b.id', 'c.id']]);
  unsupported(t, 'SELECT * FROM (a JOIN b ON a.x = b.x) JOIN c USING (x)', 'join-using', /left of USING \(x\)/);
});

test('equivalence classes: transitive closure, constants shared with every member (as PostgreSQL derives them)', (t) => {
  const g = analyze("SELECT * FROM a, b, c, d WHERE a.x = b.x AND b.x = c.x AND c.x = 5 AND d.s = a.k AND a.k = 'v' AND b.q = 1.5 AND c.w = d.w AND d.ts = TIMESTAMP '2020-01-01' AND c.flag = true");
  t.true(g.supported);
  t.deepEqual(
    g.equivalences.map((c) => c.map((m) => `${m.alias}.${m.column}`)),
    [['a.k', 'd.s'], ['a.x', 'b.x', 'c.x'], ['c.w', 'd.w']],
  );
  const derived = g.predicates.filter((p) => p.derived).map((p) => predicateSql(p, 'postgresql'));
  t.deepEqual(derived, ['a.x = 5', 'b.x = 5', "d.s = 'v'"]);
  // 1.5 against a column of unknown type, timestamps and booleans are not shared
  t.false(derived.some((d) => d.includes('1.5') || d.includes('TIMESTAMP') || d.includes('TRUE')));
  const typed: SchemaInfo = {
    tables: ['a', 'b'].map((name) => ({ name, rowCount: 1, columns: [{ name: 'f', kind: 'float' as const, nativeType: 'float8' }] })),
  };
  const floats = analyze('SELECT * FROM a, b WHERE a.f = b.f AND a.f = 1.5', { schema: typed });
  t.deepEqual(floats.predicates.filter((p) => p.derived).map((p) => predicateSql(p, 'postgresql')), ['b.f = 1.5']);
  unsupported(t, 'SELECT * FROM a, b WHERE a.x = b.y AND b.y = a.z', 'column-comparison', /a.x and a.z are equal through join conditions/);
});

test('what the graph cannot represent is reported with construct, reason and position', (t) => {
  const cases: Array<[string, UnsupportedConstruct, RegExp]> = [
    ['SELECT * FROM a LEFT JOIN b ON a.id = b.id', 'outer-join', /LEFT JOIN keeps unmatched rows/],
    ['SELECT * FROM a FULL JOIN b ON a.id = b.id', 'outer-join', /FULL JOIN/],
    ['SELECT * FROM a, (SELECT * FROM b) s WHERE a.id = s.id', 'subquery-in-from', /subquery in FROM/],
    ['SELECT * FROM a WHERE EXISTS (SELECT 1 FROM b WHERE b.id = a.id)', 'exists', /EXISTS/],
    ['SELECT * FROM a WHERE a.id IN (SELECT id FROM b)', 'in-subquery', /IN \(SELECT/],
    ['SELECT * FROM a WHERE a.x > (SELECT avg(x) FROM b)', 'subquery', /subquery inside a condition/],
    ['SELECT (SELECT 1), a.x FROM a', 'subquery', /select list/],
    ['SELECT * FROM a UNION SELECT * FROM b', 'set-operation', /UNION combines several queries/],
    ['WITH w AS (SELECT 1) SELECT * FROM w', 'cte', /WITH queries/],
    ['SELECT * FROM a, b WHERE a.x < b.y', 'non-equi-join', /"a.x < b.y" between a, b is not an equality/],
    ['SELECT * FROM a, b WHERE a.x = b.y + 1', 'join-expression', /not an equality of two columns/],
    ['SELECT * FROM a, b WHERE a.x::int = b.y', 'join-expression', /not an equality of two columns/],
    ["SELECT * FROM a WHERE lower(a.name) = 'x'", 'expression-on-column', /"lower\(a.name\)" computes a value from a column/],
    ['SELECT * FROM a WHERE a.x + 1 > 5', 'expression-on-column', /computes a value/],
    ["SELECT * FROM a WHERE a.d::date = '2020-01-01'", 'cast-on-column', /cast of column a.d to date .* type is unknown/],
    ['SELECT * FROM a WHERE a.x = $1', 'parameter', /bind parameter \$1/],
    ['SELECT * FROM a WHERE 1 = 1', 'constant-condition', /reads no column/],
    ['SELECT * FROM a WHERE count(*) > 1', 'aggregate-in-filter', /aggregate count\(\)/],
    ['SELECT a.x FROM a GROUP BY a.x HAVING a.x > 1', 'having', /outside an aggregate/],
    ['SELECT * FROM t, t', 'self-join-without-alias', /table t appears twice without aliases/],
    ['SELECT * FROM t AS x, u AS x', 'duplicate-alias', /alias "x" is used for two relations/],
    ['SELECT * FROM posts p WHERE posts.id = 1', 'unknown-relation', /table posts is aliased as p/],
    ['SELECT * FROM a WHERE z.id = 1', 'unknown-relation', /z is not a relation in FROM/],
    ['SELECT * FROM a WHERE a.x = a.y', 'column-comparison', /compares two columns of relation a/],
    ['SELECT * FROM a, generate_series(1, 3) g', 'function-in-from', /generate_series/],
    ['SELECT * FROM a TABLESAMPLE SYSTEM (1)', 'tablesample', /sample/],
    ['SELECT * FROM a AS x(p, q)', 'column-aliases', /renames the columns/],
    ['SELECT * FROM a FOR UPDATE', 'row-locking', /read-only/],
    ['SELECT 1', 'no-relations', /reads no table/],
    ['VALUES (1)', 'values', /VALUES/],
    ['UPDATE a SET x = 1', 'statement', /UPDATE statements are not analyzed/],
    ['SELECT * FROM a LEFT SEMI JOIN b ON a.x = b.x', 'semi-join', /SEMI/],
    ["SELECT * FROM a WHERE a.x = ANY ('{1,2}')", 'unsupported-predicate', /only = ANY \(ARRAY/],
    ['SELECT * FROM a WHERE a.x = 1 OR true', 'unsupported-predicate', /not a comparison of a column/],
  ];
  for (const [sql, construct, reason] of cases) {
    const options = sql.includes('SEMI') ? { dialect: 'spark' as const } : {};
    unsupported(t, sql, construct, reason, options);
  }
  const g = analyzeUncached('SELECT *\n  FROM a\n  WHERE a.x = 1\n    AND lower(a.y) = 2');
  t.deepEqual(g.unsupported[0]!.position, { offset: 42, line: 4, column: 9 });
  t.deepEqual(preds(g), ['a.x = 1']);
});

test('casts of columns are accepted when a typed schema shows they are widening', (t) => {
  const schema: SchemaInfo = {
    tables: [
      {
        name: 'a',
        rowCount: 1,
        columns: [
          { name: 'i', kind: 'integer', nativeType: 'int4' },
          { name: 'd', kind: 'date', nativeType: 'date' },
          { name: 'ts', kind: 'timestamp', nativeType: 'timestamp' },
        ],
      },
    ],
  };
  t.deepEqual(preds(analyze("SELECT * FROM a WHERE a.i::bigint > 3 AND a.i::numeric < 9.5 AND a.d::timestamp >= TIMESTAMP '2020-01-01'", { schema })), [
    'a.i > 3',
    'a.i < 9.5',
    "a.d >= TIMESTAMP '2020-01-01'",
  ]);
  unsupported(t, "SELECT * FROM a WHERE a.ts::date = DATE '2020-01-01'", 'cast-on-column', /converts timestamp values/, { schema });
});

test('the output: select items, aggregates, DISTINCT, GROUP BY / ORDER BY / LIMIT / OFFSET and the text to reuse', (t) => {
  const g = analyze('SELECT DISTINCT min(t.title) AS first, count(*), t.kind FROM title t WHERE t.y > 1 GROUP BY t.kind ORDER BY 2 DESC LIMIT 10 OFFSET 5;');
  t.true(g.supported);
  t.deepEqual(g.output.items, [
    { text: 'min(t.title)', name: 'first', aggregate: 'min' },
    { text: 'count(*)', aggregate: 'count', countStar: true },
    { text: 't.kind' },
  ]);
  t.like(g.output, { distinct: true, groupBy: true, having: false, orderBy: true, limit: 10, offset: 5 });
  t.is(g.output.selectText, 'DISTINCT min(t.title) AS first, count(*), t.kind');
  t.is(g.output.tailText, 'GROUP BY t.kind ORDER BY 2 DESC LIMIT 10 OFFSET 5');
  t.true(analyze('SELECT t.k, count(*) FROM t GROUP BY t.k HAVING count(*) > 2').supported);
});

test('Spark dialect: backticks and double-quoted strings', (t) => {
  const g = analyze('SELECT count(*) FROM `Posts` AS p JOIN users u ON p.owner == u.id WHERE p.title = "it\'s" AND u.`Up Votes` >= 3', { dialect: 'spark' });
  t.true(g.supported);
  t.deepEqual(g.relations[0], { alias: 'p', table: 'Posts' });
  t.deepEqual(preds(g), ["p.title = 'it''s'", 'u."Up Votes" >= 3']);
});

test('analyze() caches by SQL text, dialect and schema; analyzeUncached() parses again', (t) => {
  const sql = 'SELECT * FROM a WHERE a.x = 1';
  const first = analyze(sql);
  t.is(analyze(sql), first);
  t.not(analyze(sql, { dialect: 'spark' }), first);
  const schema = { a: ['x'] };
  const withSchema = analyze(sql, { schema });
  t.not(withSchema, first);
  t.is(analyze(sql, { schema }), withSchema);
  const fresh = analyzeUncached(sql);
  t.not(fresh, first);
  t.deepEqual(fresh, first);
  t.throws(() => analyze(sql, { dialect: 'mysql' as never }), { message: /dialect must be 'postgresql' or 'spark'/ });
  t.throws(() => analyze(42 as never), { message: /SQL text as a string/ });
  t.throws(() => analyze(sql, { schema: { a: 'x' as never } }), { message: /must be an array of column names/ });
});

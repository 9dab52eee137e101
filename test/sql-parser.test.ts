import test from 'ava';
import { isPilotScopeError, type PilotScopeError } from '../src/errors.js';
import { parseSelect, type Ast } from '../src/sql/index.js';

/** A compact S-expression of an expression tree, to assert structure and precedence. */
function sx(e: Ast.Expr): string {
  switch (e.kind) {
    case 'column':
      return e.parts.join('.');
    case 'star':
      return [...e.qualifier, '*'].join('.');
    case 'literal':
      return e.type === 'string' ? `'${e.value}'` : e.value;
    case 'typed-literal':
      return `${e.type.name}'${e.value}'${e.qualifier ? ` ${e.qualifier}` : ''}`;
    case 'param':
      return `$${e.index}`;
    case 'unary':
      return `(${e.op} ${sx(e.arg)})`;
    case 'binary':
      return `(${e.op} ${sx(e.left)} ${sx(e.right)})`;
    case 'between':
      return `(${e.not ? 'not-' : ''}between${e.symmetric ? '-sym' : ''} ${sx(e.arg)} ${sx(e.low)} ${sx(e.high)})`;
    case 'in-list':
      return `(${e.not ? 'not-' : ''}in ${sx(e.arg)} [${e.list.map(sx).join(' ')}])`;
    case 'in-subquery':
      return `(${e.not ? 'not-' : ''}in ${sx(e.arg)} <query>)`;
    case 'like':
      return `(${e.not ? 'not-' : ''}${e.op} ${sx(e.arg)} ${sx(e.pattern)}${e.escape ? ` ${sx(e.escape)}` : ''})`;
    case 'is':
      return `(is${e.not ? '-not' : ''} ${e.test} ${sx(e.arg)}${e.other ? ` ${sx(e.other)}` : ''})`;
    case 'function': {
      const args = e.star ? ['*'] : e.args.map(sx);
      let s = `${e.name.join('.')}(${e.distinct ? 'distinct ' : ''}${args.join(' ')}${e.orderBy.length ? ` order ${e.orderBy.map((o) => sx(o.expr)).join(' ')}` : ''})`;
      if (e.withinGroup.length) s += ` within(${e.withinGroup.map((o) => sx(o.expr)).join(' ')})`;
      if (e.filter) s += ` filter(${sx(e.filter)})`;
      if (e.over) s += ` over(${e.over.partitionBy.map(sx).join(' ')}|${e.over.orderBy.map((o) => `${sx(o.expr)} ${o.direction ?? ''}`).join(' ')}${e.over.frame ? `|${e.over.frame}` : ''})`;
      return s;
    }
    case 'case':
      return `(case${e.operand ? ` ${sx(e.operand)}` : ''} ${e.whens.map((w) => `[${sx(w.when)} ${sx(w.then)}]`).join(' ')}${e.else ? ` else ${sx(e.else)}` : ''})`;
    case 'cast':
      return `(cast ${sx(e.arg)} ${e.type.name}${e.type.modifiers.length ? `(${e.type.modifiers.map(sx).join(',')})` : ''}${'[]'.repeat(e.type.arrayDims)})`;
    case 'subquery':
      return '<subquery>';
    case 'exists':
      return '(exists <query>)';
    case 'quantified':
      return `(${e.op} ${e.quantifier} ${sx(e.arg)} ${sx(e.right)})`;
    case 'array':
      return e.query ? 'array(<query>)' : `array[${e.elements.map(sx).join(' ')}]`;
    case 'row':
      return `row(${e.elements.map(sx).join(' ')})`;
    case 'subscript':
      return `${sx(e.arg)}[${e.index ? sx(e.index) : ''}${e.slice ? `:${e.upper ? sx(e.upper) : ''}` : ''}]`;
    case 'field':
      return `(${sx(e.arg)}).${e.field}`;
  }
}

function whereOf(sql: string, dialect: 'postgresql' | 'spark' = 'postgresql'): string {
  const stmt = parseSelect(`SELECT * FROM t WHERE ${sql}`, dialect);
  const body = stmt.body as Ast.SelectCore;
  return sx(body.where!);
}

function item(sql: string): string {
  const stmt = parseSelect(`SELECT ${sql}`);
  return sx((stmt.body as Ast.SelectCore).items[0]!.expr);
}

test('boolean and comparison precedence: OR < AND < NOT < IS < comparison < BETWEEN/IN/LIKE < arithmetic', (t) => {
  t.is(whereOf('a OR b AND NOT c = 1'), '(or a (and b (not (= c 1))))');
  t.is(whereOf('a = 1 IS NOT TRUE'), '(is-not true (= a 1))');
  t.is(whereOf('x BETWEEN 1 AND 2 AND y'), '(and (between x 1 2) y)');
  t.is(whereOf('a + b * c ^ 2 - -d >= 3'), '(>= (- (+ a (* b (^ c 2))) (- d)) 3)');
  t.is(whereOf('a || b LIKE c'), "(like (|| a b) c)");
  t.is(whereOf('NOT a IS NULL'), '(not (is null a))');
  t.is(whereOf('(a OR b) AND c'), '(and (or a b) c)');
  t.is(item('-x::int'), '(- (cast x int))');
  t.is(item('a AT TIME ZONE \'UTC\''), "(at time zone a 'UTC')");
});

test('BETWEEN [SYMMETRIC], IN lists, LIKE/ILIKE/SIMILAR TO with ESCAPE, IS forms', (t) => {
  t.is(whereOf('x NOT BETWEEN SYMMETRIC 5 AND 1'), '(not-between-sym x 5 1)');
  t.is(whereOf("x IN (1, 2, 'a')"), "(in x [1 2 'a'])");
  t.is(whereOf('x NOT IN (SELECT y FROM u)'), '(not-in x <query>)');
  t.is(whereOf("x LIKE 'a!%' ESCAPE '!'"), "(like x 'a!%' '!')");
  t.is(whereOf("x NOT ILIKE '%a%'"), "(not-ilike x '%a%')");
  t.is(whereOf("x SIMILAR TO 'a|b'"), "(similar to x 'a|b')");
  t.is(whereOf('x IS NOT DISTINCT FROM 3'), '(is-not distinct from x 3)');
  t.is(whereOf('x ISNULL OR y NOTNULL'), '(or (is null x) (is-not null y))');
  t.is(whereOf('x IS UNKNOWN'), '(is unknown x)');
});

test('typed literals, casts and special function syntax', (t) => {
  t.is(item("DATE '2020-01-01'"), "date'2020-01-01'");
  t.is(item("TIMESTAMP WITH TIME ZONE '2020-01-01 10:00+02'"), "timestamp with time zone'2020-01-01 10:00+02'");
  t.is(item("INTERVAL '1' DAY"), "interval'1' day");
  t.is(item("INTERVAL '1:30' HOUR TO MINUTE"), "interval'1:30' hour to minute");
  t.is(item("int4 '5'"), "int4'5'");
  t.is(item("pg_catalog.date '2020-01-01'"), "pg_catalog.date'2020-01-01'");
  t.is(item("'2020-01-01'::date"), "(cast '2020-01-01' date)");
  t.is(item('CAST(x AS numeric(10, 2))'), '(cast x numeric(10,2))');
  t.is(item('x::double precision'), '(cast x double precision)');
  t.is(item('x::character varying(5)[]'), '(cast x character varying(5)[])');
  t.is(item('x::timestamp(3) without time zone'), '(cast x timestamp without time zone(3))');
  t.is(item('EXTRACT(YEAR FROM d)'), "extract('year' d)");
  t.is(item('SUBSTRING(s FROM 2 FOR 3)'), 'substring(s 2 3)');
  t.is(item('substring(s, 2, 3)'), 'substring(s 2 3)');
  t.is(item('POSITION(\'a\' IN s)'), "position('a' s)");
  t.is(item("TRIM(LEADING 'x' FROM s)"), "trim('leading' s 'x')");
  t.is(item('current_date'), 'current_date()');
  t.is(item('CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END'), '(case [a 1] [b 2] else 3)');
  t.is(item('CASE x WHEN 1 THEN 2 END'), '(case x [1 2])');
});

test('function calls: count(*), DISTINCT, ORDER BY, WITHIN GROUP, FILTER, OVER, named and variadic arguments', (t) => {
  t.is(item('count(*)'), 'count(*)');
  t.is(item('count(DISTINCT p.id)'), 'count(distinct p.id)');
  t.is(item("string_agg(x, ',' ORDER BY y)"), "string_agg(x ',' order y)");
  t.is(item('percentile_cont(0.5) WITHIN GROUP (ORDER BY x)'), 'percentile_cont(0.5) within(x)');
  t.is(item('sum(x) FILTER (WHERE y > 0)'), 'sum(x) filter((> y 0))');
  t.is(item('rank() OVER (PARTITION BY a ORDER BY b DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)'), 'rank() over(a|b desc|ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)');
  t.is(item('make_interval(days => 3)'), 'make_interval(3)');
  t.is(item('pg_catalog.lower("X")'), 'pg_catalog.lower(X)');
  t.is(item('left(s, 2)'), 'left(s 2)');
});

test('subqueries, EXISTS, ANY/ALL, arrays, rows, subscripts', (t) => {
  t.is(whereOf('EXISTS (SELECT 1 FROM u WHERE u.id = t.id)'), '(exists <query>)');
  t.is(whereOf('x = (SELECT max(y) FROM u)'), '(= x <subquery>)');
  t.is(whereOf('x = ANY (ARRAY[1, 2])'), '(= any x array[1 2])');
  t.is(whereOf('x <> ALL (SELECT y FROM u)'), '(<> all x <subquery>)');
  t.is(whereOf('(a, b) = (1, 2)'), '(= row(a b) row(1 2))');
  t.is(item('arr[1][2:3]'), 'arr[1][2:3]');
  t.is(item('(composite).field'), '(composite).field');
  t.is(item('ROW(1, 2)'), 'row(1 2)');
  t.is(item('ARRAY(SELECT 1)'), 'array(<query>)');
});

test('FROM: comma lists, every join form, parenthesized joins, subqueries, functions, VALUES, ONLY, TABLESAMPLE', (t) => {
  const from = (sql: string): Ast.FromItem[] => (parseSelect(`SELECT * FROM ${sql}`).body as Ast.SelectCore).from;
  const shape = (f: Ast.FromItem): string => {
    switch (f.kind) {
      case 'table':
        return `${f.parts.join('.')}${f.alias ? ` ${f.alias.name}${f.alias.columns ? `(${f.alias.columns.join(',')})` : ''}` : ''}`;
      case 'join':
        return `[${shape(f.left)} ${f.natural ? 'natural ' : ''}${f.type} ${shape(f.right)}${f.on ? ' on' : ''}${f.using ? ` using(${f.using.columns.join(',')})` : ''}]`;
      case 'subquery':
        return `(subquery${f.lateral ? ' lateral' : ''})${f.alias ? ` ${f.alias.name}` : ''}`;
      case 'function':
        return `${f.call.name.join('.')}()${f.withOrdinality ? ' ordinality' : ''}${f.alias ? ` ${f.alias.name}` : ''}`;
      case 'values':
        return `values(${f.rows.length})${f.alias ? ` ${f.alias.name}` : ''}`;
    }
  };
  t.deepEqual(from('public.posts AS p, users u, "Votes"').map(shape), ['public.posts p', 'users u', 'Votes']);
  t.deepEqual(from('a JOIN b ON a.x = b.x LEFT OUTER JOIN c USING (y) CROSS JOIN d').map(shape), ['[[[a inner b on] left c using(y)] cross d]']);
  t.deepEqual(from('a NATURAL JOIN b, c FULL JOIN d ON true, e RIGHT JOIN f ON true').map(shape), ['[a natural inner b]', '[c full d on]', '[e right f on]']);
  t.deepEqual(from('(a JOIN b ON true) JOIN (c JOIN d ON true) ON true').map(shape), ['[[a inner b on] inner [c inner d on] on]']);
  t.deepEqual(from('((a JOIN b ON true))').map(shape), ['[a inner b on]']);
  t.deepEqual(from('a JOIN b JOIN c ON true ON true').map(shape), ['[a inner [b inner c on] on]']);
  t.deepEqual(from('(SELECT 1) AS s, LATERAL (SELECT 2) l, ((SELECT 3)) q').map(shape), ['(subquery) s', '(subquery lateral) l', '(subquery) q']);
  t.deepEqual(from('generate_series(1, 3) WITH ORDINALITY AS g, (VALUES (1), (2)) AS v(x)').map(shape), ['generate_series() ordinality g', '(subquery) v']);
  t.deepEqual(from('ONLY t AS x(a, b)').map(shape), ['t x(a,b)']);
  t.deepEqual(from('VALUES (1), (2) AS v(x)').map(shape), ['values(2) v']);
  const sampled = from('t TABLESAMPLE SYSTEM (10) REPEATABLE (1)')[0] as Ast.TableRef;
  t.truthy(sampled.tablesample);
});

test('statements: WITH, set operations (INTERSECT binds tighter), ORDER BY, LIMIT/OFFSET/FETCH, FOR UPDATE, trailing semicolons', (t) => {
  const s1 = parseSelect('WITH RECURSIVE r(n) AS (SELECT 1) SELECT * FROM r;;');
  t.deepEqual([s1.with?.recursive, s1.with?.ctes[0]?.name, s1.with?.ctes[0]?.columns], [true, 'r', ['n']]);
  const s2 = parseSelect('SELECT 1 UNION ALL SELECT 2 INTERSECT SELECT 3 ORDER BY 1 LIMIT 5 OFFSET 2');
  const body = s2.body as Ast.SetOperation;
  t.deepEqual([body.op, body.all, body.right.kind, (body.right as Ast.SetOperation).op], ['union', true, 'set-operation', 'intersect']);
  t.deepEqual([s2.orderBy.length, sx(s2.limit as Ast.Expr), sx(s2.offset!)], [1, '5', '2']);
  const s3 = parseSelect('SELECT * FROM t OFFSET 3 ROWS FETCH FIRST 10 ROWS ONLY FOR UPDATE OF t SKIP LOCKED');
  t.deepEqual([sx(s3.limit as Ast.Expr), sx(s3.offset!), Boolean(s3.locking)], ['10', '3', true]);
  const s4 = parseSelect('(SELECT a FROM t) UNION (SELECT b FROM u) LIMIT ALL');
  t.is(s4.limit, 'all');
  const s5 = parseSelect('SELECT DISTINCT ON (a) a, b AS "B", c d FROM t GROUP BY ROLLUP (a, b) HAVING count(*) > 1 WINDOW w AS (PARTITION BY a)');
  const core = s5.body as Ast.SelectCore;
  t.deepEqual(core.items.map((i) => i.alias), [undefined, 'B', 'd']);
  t.deepEqual([core.distinct, core.distinctOn?.length, core.groupingSets, core.windows[0]?.name], [true, 1, true, 'w']);
  t.is(parseSelect('VALUES (1, 2), (3, 4)').body.kind, 'values');
  t.is((parseSelect('SELECT FROM t').body as Ast.SelectCore).items.length, 0);
});

test('Spark spellings: backticks, double-quoted strings, == and <=>, LEFT SEMI JOIN, RLIKE, INTERVAL 1 DAY', (t) => {
  t.is(whereOf('`a b` == "x" AND c <=> 1', 'spark'), "(and (= a b 'x') (<=> c 1))");
  t.is(whereOf("s RLIKE '^a'", 'spark'), "(rlike s '^a')");
  t.is(whereOf('d > INTERVAL 1 DAY', 'spark'), "(> d interval'1' day)");
  const core = parseSelect('SELECT * FROM a LEFT SEMI JOIN b ON a.x = b.x', 'spark').body as Ast.SelectCore;
  t.is((core.from[0] as Ast.JoinExpr).type, 'semi');
});

test('spans point into the SQL text', (t) => {
  const sql = 'SELECT  min(t.title) AS m FROM title t WHERE t.production_year > 1990';
  const core = parseSelect(sql).body as Ast.SelectCore;
  t.is(sql.slice(core.items[0]!.expr.start, core.items[0]!.expr.end), 'min(t.title)');
  t.is(sql.slice(core.where!.start, core.where!.end), 't.production_year > 1990');
  t.is(sql.slice(core.itemsSpan.start, core.itemsSpan.end), 'min(t.title) AS m');
});

function parseError(t: import('ava').ExecutionContext, sql: string): PilotScopeError {
  const err = t.throws(() => parseSelect(sql)) as PilotScopeError;
  t.true(isPilotScopeError(err, 'SQL_PARSE_ERROR'), String(err));
  return err;
}

test('malformed SQL: SQL_PARSE_ERROR with line:column, what was expected and what was found', (t) => {
  const cases: Array<[string, number, number, RegExp]> = [
    ['SELECT * FROM', 1, 14, /expected a table name, found end of input/],
    ['SELECT a,, b FROM t', 1, 10, /expected an expression, found ","/],
    ['SELECT * FROM t WHERE', 1, 22, /expected an expression, found end of input/],
    ['SELECT * FROM t WHERE (a = 1', 1, 29, /expected "\)" or ",", found end of input/],
    ['SELECT *\nFROM t\nWHERE a IN ()', 3, 13, /at least one value in the IN list/],
    ['SELECT * FROM t JOIN u', 1, 23, /ON or USING/],
    ['SELECT * FROM t; SELECT 1', 1, 18, /end of the statement \(one statement only\)/],
    ['SELECT * FROM t WHERE x BETWEEN 1', 1, 34, /expected AND/],
    ['SELECT * FROM t WHERE a = 1 2', 1, 29, /end of the statement/],
    ['SELECT CASE END', 1, 13, /expected an expression, found the keyword END/],
    ['SELECT CASE x END', 1, 15, /expected WHEN/],
    ['SELECT count(* FROM t', 1, 16, /"\)" to close the argument list/],
    ['SELECT * FROM t WHERE x IS 5', 1, 28, /NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM/],
    ['SELECT * FROM select', 1, 15, /expected a table name, found the keyword SELECT/],
    ['FROM t SELECT 1', 1, 1, /expected SELECT, WITH, VALUES or "\("/],
    ['SELECT * FROM t LIMIT 1, 2', 1, 24, /LIMIT count OFFSET start/],
  ];
  for (const [sql, line, column, message] of cases) {
    const err = parseError(t, sql);
    t.regex(err.message, message, sql);
    t.like(err.details as object, { line, column }, sql);
    t.regex(err.message, new RegExp(`line ${line}, column ${column}`), sql);
  }
});

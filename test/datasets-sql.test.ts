import test from 'ava';
import { splitStatements } from '../src/sql/index.js';
import { identifiers, mainVerb, normalizeStatement, templateOf } from '../src/datasets/sql-normalize.js';
import { splitByTemplate } from '../src/datasets/split.js';
import { AliasSampler, Random } from '../src/datasets/random.js';

test('splitStatements ignores ; inside literals, quoted identifiers, comments and dollar quotes', (t) => {
  const script = [
    "select 'a;b' from t;",
    "select E'it\\'s; fine', \"col;name\" from t2 -- comment; with semicolon",
    ';',
    '/* block; /* nested; */ still; */ select 2;',
    'create function f() returns int as $body$ select 1; $body$ language sql;',
    'select $1::int;',
    '   ;  -- only a comment ;',
    'select 3',
  ].join('\n');
  t.deepEqual(splitStatements(script), [
    "select 'a;b' from t",
    "select E'it\\'s; fine', \"col;name\" from t2 -- comment; with semicolon",
    '/* block; /* nested; */ still; */ select 2',
    'create function f() returns int as $body$ select 1; $body$ language sql',
    'select $1::int',
    '-- only a comment ;\nselect 3',
  ]);
});

test('normalizeStatement strips comments and collapses whitespace but keeps literals intact', (t) => {
  const sql = "SELECT  count(*) -- how many\nFROM t /* x */ WHERE name = 'two  spaces -- not a comment'\n\tAND id > 3 ;";
  t.is(normalizeStatement(sql), "SELECT count(*) FROM t WHERE name = 'two  spaces -- not a comment' AND id > 3");
});

test('templateOf replaces literals, signs and parameters, lower-cases words and collapses IN lists', (t) => {
  t.is(
    templateOf("SELECT count(*) FROM Posts p WHERE p.Score >= -5 AND p.title = 'x' AND p.id IN (1, 2, 3) AND p.t > $1"),
    'select count(*) from posts p where p.score >= ? and p.title = ? and p.id in (?) and p.t > ?',
  );
  t.is(templateOf('select a - 1 from t'), 'select a - ? from t');
  t.is(templateOf('select * from t where x in (1,2)'), templateOf('select * from t where x in (7)'));
  t.is(templateOf("select * from t where d > date '2020-01-01'"), 'select * from t where d > date ?');
});

test('mainVerb sees through WITH and parentheses', (t) => {
  t.is(mainVerb('select 1'), 'select');
  t.is(mainVerb('(SELECT a FROM t) UNION (SELECT b FROM u)'), 'select');
  t.is(mainVerb('WITH x AS (SELECT 1), y AS MATERIALIZED (DELETE FROM t RETURNING *) SELECT * FROM x, y'), 'select');
  t.is(mainVerb('with recursive r(n) as (select 1 union all select n+1 from r) insert into t select n from r'), 'insert');
  t.is(mainVerb('select * into newtab from t'), 'select into');
  t.is(mainVerb('/* hi */ UPDATE t SET a = 1'), 'update');
  t.is(mainVerb(''), '');
});

test('identifiers lists words and quoted names', (t) => {
  t.deepEqual(identifiers('select "Pg_Class".x from pg_catalog.pg_class'), ['select', 'Pg_Class', 'x', 'from', 'pg_catalog', 'pg_class']);
});

test('splitByTemplate is deterministic, keeps templates on one side and roughly honours the ratio', (t) => {
  const statements: string[] = [];
  for (let tpl = 0; tpl < 40; tpl++) for (let k = 0; k < 1 + (tpl % 4); k++) statements.push(`select count(*) from t${tpl} where a > ${k}`);
  const a = splitByTemplate(statements, { trainRatio: 0.8, seed: 1 });
  const b = splitByTemplate(statements, { trainRatio: 0.8, seed: 1 });
  const c = splitByTemplate(statements, { trainRatio: 0.8, seed: 2 });
  t.deepEqual(a, b);
  t.notDeepEqual(a.test, c.test);
  const trainTemplates = new Set(a.train.map(templateOf));
  t.true(a.test.every((q) => !trainTemplates.has(templateOf(q))));
  t.is(a.train.length + a.test.length, statements.length);
  t.true(Math.abs(a.test.length - statements.length * 0.2) <= 4, `test size ${a.test.length}`);
});

test('splitByTemplate warns when only one template exists', (t) => {
  const r = splitByTemplate(['select 1 from t where a = 1', 'select 1 from t where a = 2'], { trainRatio: 0.8, seed: 3 });
  t.is(r.train.length, 2);
  t.is(r.test.length, 0);
  t.regex(r.warning ?? '', /template/);
});

test('Random streams are reproducible and label-separated; AliasSampler follows its weights', (t) => {
  const seq = (r: Random) => Array.from({ length: 5 }, () => r.nextU32());
  t.deepEqual(seq(new Random(7, 'users')), seq(new Random(7, 'users')));
  t.notDeepEqual(seq(new Random(7, 'users')), seq(new Random(7, 'posts')));
  t.notDeepEqual(seq(new Random(7, 'users')), seq(new Random(8, 'users')));
  const sampler = new AliasSampler([1, 2, 7]);
  const rng = new Random(1);
  const counts = [0, 0, 0];
  for (let i = 0; i < 100_000; i++) counts[sampler.sample(rng)]!++;
  t.true(Math.abs(counts[0]! / 100_000 - 0.1) < 0.01);
  t.true(Math.abs(counts[2]! / 100_000 - 0.7) < 0.01);
});

import test from 'ava';
import { isPilotScopeError } from '../src/errors.js';
import { tokenize, type Token } from '../src/sql/index.js';

const kinds = (ts: Token[]): string[] => ts.filter((t) => t.kind !== 'eof').map((t) => `${t.kind}:${t.value}`);

test('unquoted identifiers fold to lower case; quoted ones keep case and "" escapes', (t) => {
  t.deepEqual(kinds(tokenize('SELECT Foo, "Bar", "a""b", ÄbC, x$1')), [
    'word:select',
    'word:foo',
    'punct:,',
    'ident:Bar',
    'punct:,',
    'ident:a"b',
    'punct:,',
    'word:Äbc',
    'punct:,',
    'word:x$1',
  ]);
});

test('string constants: doubled quotes, E-strings with escapes, continuation across a newline', (t) => {
  const [a, b, c, d] = tokenize(`'it''s' E'a\\nb\\x41\\101\\u00e9\\'q' 'one'\n  'two' N'nat'`);
  t.deepEqual([a!.kind, a!.value], ['string', "it's"]);
  t.deepEqual([b!.kind, b!.value, b!.prefix], ['string', "a\nbAAé'q", 'E']);
  t.is(c!.value, 'onetwo');
  t.is(d!.value, 'nat');
  // without a newline in between, two constants are two tokens (and a syntax error later)
  t.is(tokenize(`'a' 'b'`).filter((x) => x.kind === 'string').length, 2);
  // standard strings keep backslashes
  t.is(tokenize(`'a\\b'`)[0]!.value, 'a\\b');
});

test('dollar-quoted strings and $n parameters', (t) => {
  t.deepEqual(kinds(tokenize("$$it's$$ $tag$a $$ b$tag$ $1 $23")), ["string:it's", 'string:a $$ b', 'param:1', 'param:23']);
});

test('numbers: integers, decimals, exponents; 1..5 is 1 then ..', (t) => {
  t.deepEqual(kinds(tokenize('1 1.5 .5 5. 1e10 1.5E-3 2e+2')), [
    'number:1',
    'number:1.5',
    'number:.5',
    'number:5.',
    'number:1e10',
    'number:1.5E-3',
    'number:2e+2',
  ]);
  t.deepEqual(kinds(tokenize('1..5')), ['number:1', 'punct:..', 'number:5']);
  // "1e" is 1 followed by the word e, as in PostgreSQL 15
  t.deepEqual(kinds(tokenize('1e')), ['number:1', 'word:e']);
});

test('comments, including nested block comments, are skipped', (t) => {
  t.deepEqual(kinds(tokenize('a -- line\n/* outer /* inner */ still comment */ b')), ['word:a', 'word:b']);
  const err = t.throws(() => tokenize('a /* open /* nested */ b'));
  t.true(isPilotScopeError(err, 'SQL_PARSE_ERROR'));
  t.regex(err!.message, /line 1, column 3/);
});

test('operators follow PostgreSQL maximal munch: >=-2 is >= then -', (t) => {
  t.deepEqual(kinds(tokenize('x>=-2')), ['word:x', 'op:>=', 'op:-', 'number:2']);
  t.deepEqual(kinds(tokenize('a<>b a!=b a||b a@>b a~~*b a::int a--c')), [
    'word:a',
    'op:<>',
    'word:b',
    'word:a',
    'op:<>',
    'word:b',
    'word:a',
    'op:||',
    'word:b',
    'word:a',
    'op:@>',
    'word:b',
    'word:a',
    'op:~~*',
    'word:b',
    'word:a',
    'punct:::',
    'word:int',
    'word:a',
  ]);
  // an operator containing one of ~!@#%^&|`? may end in + or -
  t.deepEqual(kinds(tokenize('a @- b')), ['word:a', 'op:@-', 'word:b']);
});

test('U& strings and identifiers with Unicode escapes and UESCAPE', (t) => {
  t.is(tokenize("U&'d\\0061t\\+000061'")[0]!.value, 'data');
  t.is(tokenize("U&'d!0061t' UESCAPE '!'")[0]!.value, 'dat');
  const id = tokenize('U&"\\0041bc"')[0]!;
  t.deepEqual([id.kind, id.value], ['ident', 'Abc']);
});

test('bit strings', (t) => {
  const [b, x] = tokenize("B'0101' X'1F'");
  t.deepEqual([b!.kind, b!.value, b!.prefix], ['bits', '0101', 'B']);
  t.deepEqual([x!.kind, x!.value, x!.prefix], ['bits', '1F', 'X']);
  t.throws(() => tokenize("B'012'"), { message: /binary digits/ });
});

test('Spark mode: backtick identifiers, double-quoted and backslash-escaped strings, <=>, numeric suffixes', (t) => {
  t.deepEqual(kinds(tokenize("`My Col` \"str\" x 'it\\'s' 'a' \"b\" x <=> 10L 1.5D", 'spark')), [
    'ident:My Col',
    'string:str',
    'word:x',
    "string:it'sab",
    'word:x',
    'op:<=>',
    'number:10',
    'number:1.5',
  ]);
});

test('unterminated constants report where they start', (t) => {
  for (const [sql, line, column] of [
    ["SELECT 'abc", 1, 8],
    ['SELECT\n  "abc', 2, 3],
    ['SELECT $$abc', 1, 8],
  ] as const) {
    const err = t.throws(() => tokenize(sql));
    t.true(isPilotScopeError(err, 'SQL_PARSE_ERROR'));
    t.like((err as unknown as { details: object }).details, { line, column });
  }
  t.throws(() => tokenize('SELECT ""'), { message: /non-empty quoted identifier/ });
  t.throws(() => tokenize('SELECT 1 \u0000'), { message: /character/ });
});

import test from 'ava';
import { splitStatements } from '../src/sql/index.js';

test('statements split at semicolons outside strings, comments and dollar quotes', (t) => {
  const script = "select 'a;b' as x; -- c;d\nselect $$e;f$$; /* g; */ select \"h;i\" from t;;  ";
  t.deepEqual(splitStatements(script), ["select 'a;b' as x", '-- c;d\nselect $$e;f$$', '/* g; */ select "h;i" from t']);
});

test('empty scripts and comment-only pieces give no statements', (t) => {
  t.deepEqual(splitStatements(''), []);
  t.deepEqual(splitStatements(' ; -- nothing\n; /* x */ ;'), []);
});

test('spark dialect: backticks and backslash escapes', (t) => {
  t.deepEqual(splitStatements("select `a;b`, 'c\\';d' ; select 1", 'spark'), ["select `a;b`, 'c\\';d'", 'select 1']);
});

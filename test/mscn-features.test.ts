/** Unit tests of MSCN's featurization from the SQL analysis. */
import test from 'ava';
import { joinName, relSetSpec } from '../src/algorithms/mscn/features.js';
import { cdfPosition, QuantileTransform } from '../src/algorithms/mscn/quantiles.js';
import { featurizationOf, transformFrom, type MscnBundle } from '../src/algorithms/mscn/train.js';
import { analyze, enumerateRelationSets, relationSetOf } from '../src/sql/index.js';

test('joins are named by table and column in a fixed order; filters by table.column with their literals', (t) => {
  const sql =
    "select count(*) from posts as p, users as u, comments as c where u.id = p.owneruserid and c.postid = p.id and p.score between -3 and 10 " +
    "and u.reputation in (1, 5, 9) and c.text like 'ab%' and u.creationdate >= date '2014-01-01' and p.title is null and (u.views = 1 or u.views > 40)";
  const graph = analyze(sql);
  const spec = relSetSpec(graph, relationSetOf(graph, ['c', 'p', 'u']));
  t.deepEqual(spec.tables, ['comments', 'posts', 'users']);
  t.deepEqual([...spec.joins].sort(), ['comments.postid=posts.id', 'posts.owneruserid=users.id']);
  t.is(joinName('users', 'id', 'posts', 'owneruserid'), joinName('posts', 'owneruserid', 'users', 'id'));
  const byColumn = Object.fromEntries(spec.predicates.map((p) => [`${p.column} ${p.operator}`, p.values]));
  t.deepEqual(byColumn['posts.score BETWEEN'], [-3, 10]);
  t.deepEqual(byColumn['users.reputation IN'], [1, 5, 9]);
  t.deepEqual(byColumn['comments.text LIKE'], ['ab%']);
  t.deepEqual(byColumn['users.creationdate >='], [Date.UTC(2014, 0, 1) / 1000]);
  t.deepEqual(byColumn['posts.title IS NULL'], []);
  t.deepEqual(byColumn['users.views OR'], [1, 40]);
});

test('the same join and filter in two queries with different aliases give the same features', (t) => {
  const a = analyze('select count(*) from badges as b, users as u where b.userid = u.id and u.reputation > 10');
  const b = analyze('select count(*) from users as x, badges as y where x.id = y.userid and x.reputation > 10');
  const specA = relSetSpec(a, enumerateRelationSets(a).sets.at(-1)!);
  const specB = relSetSpec(b, enumerateRelationSets(b).sets.at(-1)!);
  t.deepEqual(specA, specB);
});

test('quantile positions: skewed values spread over [0, 1], runs of a frequent value sit mid-run, outliers just outside', (t) => {
  const boundaries = [0, 1, 1, 1, 2, 1000];
  t.is(cdfPosition(boundaries, 0), 0);
  t.is(cdfPosition(boundaries, 1), 0.4, 'the run of 1s covers positions 1..3 of 5');
  t.is(cdfPosition(boundaries, 1.5), 0.7);
  t.is(cdfPosition(boundaries, 501), 0.9);
  t.is(cdfPosition(boundaries, 1000), 1);
  t.true(cdfPosition(boundaries, -7) < 0 && cdfPosition(boundaries, -7) > -0.25);
  t.true(cdfPosition(boundaries, 5000) > 1 && cdfPosition(boundaries, 5000) < 1.25);
  t.is(cdfPosition([3], 3), 0.5, 'a constant column');
});

test('quantile positions of bounds: a frequent value as a lower bound sits at its run\'s start, as an upper bound at its end', (t) => {
  // 0 is the value of 60% of the rows, as with comment counts.
  const boundaries = [0, 0, 0, 0, 1, 7];
  t.is(cdfPosition(boundaries, 0, 'below'), 0, 'x >= 0 keeps every row');
  t.is(cdfPosition(boundaries, 0, 'upto'), 0.6, 'x <= 0 keeps the 60%');
  t.is(cdfPosition(boundaries, 0, 'mid'), 0.3);
  t.is(cdfPosition(boundaries, 4, 'below'), cdfPosition(boundaries, 4, 'upto'), 'outside runs every side agrees');
  const transform = new QuantileTransform({ 'posts.commentcount': boundaries });
  const at = (operator: string, values: number[]) => transform.apply({ tables: ['posts'], joins: [], predicates: [{ column: 'posts.commentcount', operator, values }] }).predicates[0]!.values;
  t.deepEqual(at('>=', [0]), [0]);
  t.deepEqual(at('>', [0]), [0.6]);
  t.deepEqual(at('<', [0]), [0]);
  t.deepEqual(at('<=', [0]), [0.6]);
  t.deepEqual(at('BETWEEN', [0, 0]), [0, 0.6]);
  t.deepEqual(at('=', [0]), [0.3]);
  t.deepEqual(at('IN', [0, 1]), [0.3, 0.8]);
});

test('the quantile transform rewrites numeric literals of known columns only, LIKE patterns and other columns untouched', (t) => {
  const transform = new QuantileTransform({ 'users.reputation': [0, 10, 20] });
  const spec = {
    tables: ['users'],
    joins: [],
    predicates: [
      { column: 'users.reputation', operator: 'BETWEEN', values: [5, 15] },
      { column: 'users.views', operator: '>', values: [7] },
      { column: 'users.reputation', operator: 'IS NULL', values: [] },
    ],
  };
  const out = transform.apply(spec);
  t.deepEqual(out.predicates[0]!.values, [0.25, 0.75]);
  t.deepEqual(out.predicates[1]!.values, [7]);
  t.deepEqual(out.predicates[2]!.values, []);
  t.deepEqual(spec.predicates[0]!.values, [5, 15], 'the input is not modified');
  t.is(QuantileTransform.empty().apply(spec), spec);
});

test('the registry record keeps how bounds were placed; models saved before run edges keep mid-run positions', (t) => {
  const quantiles = { 'posts.commentcount': [0, 0, 0, 0, 1, 7] };
  const spec = { tables: ['posts'], joins: [], predicates: [{ column: 'posts.commentcount', operator: '>=', values: [0] }] };
  const current = transformFrom(featurizationOf({ transform: new QuantileTransform(quantiles) } as MscnBundle));
  t.deepEqual(current.apply(spec).predicates[0]!.values, [0]);
  const legacy = transformFrom({ quantiles });
  t.false(legacy.boundsAtRunEdges);
  t.deepEqual(legacy.apply(spec).predicates[0]!.values, [0.3]);
});

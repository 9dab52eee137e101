/** Unit tests of MSCN's featurization from the SQL analysis. */
import test from 'ava';
import { joinName, relSetSpec } from '../src/algorithms/mscn/features.js';
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

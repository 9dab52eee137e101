/** Indexable columns from SQL text and which candidate indexes matter to which query (no database). */
import test from 'ava';
import type { ExistingIndex, SchemaInfo } from '../src/engine/types.js';
import { coveredByExisting, relevantIndexes, workloadColumns } from '../src/tuning/index-advisor/candidates.js';
import { advisedIndexName } from '../src/tuning/index-advisor/advisor.js';

const schema: SchemaInfo = {
  tables: [
    { name: 'users', rowCount: 10, columns: ['id', 'reputation', 'views'].map((name) => ({ name, kind: 'integer' as const, nativeType: 'integer' })) },
    { name: 'posts', rowCount: 10, columns: ['id', 'owneruserid', 'score', 'title'].map((name) => ({ name, kind: 'integer' as const, nativeType: 'integer' })) },
  ],
};

test('filters, OR groups and join columns are indexable; unknown columns and tables are not', (t) => {
  const w = workloadColumns(
    [
      'select count(*) from users u, posts p where u.id = p.owneruserid and (p.score > 3 or p.title like \'a%\') and u.reputation between 1 and 9',
      'select count(*) from users where views = 3 and nosuch = 1',
      'select count(*) from comments c where c.score = 1',
    ],
    schema,
    'postgresql',
  );
  t.deepEqual([...w.queries[0]!.columns.entries()].map(([table, cols]) => [table, [...cols].sort()]).sort(), [
    ['posts', ['owneruserid', 'score', 'title']],
    ['users', ['id', 'reputation']],
  ]);
  t.deepEqual([...w.queries[1]!.columns.entries()].map(([table, cols]) => [table, [...cols]]), [['users', ['views']]]);
  t.is(w.queries[2]!.columns.size, 0, 'a table the schema does not know gives no candidate');
  t.deepEqual(w.indexable.map((c) => `${c.table}.${c.column}`), ['posts.owneruserid', 'posts.score', 'posts.title', 'users.id', 'users.reputation', 'users.views']);
  t.deepEqual(w.notices, []);
});

test('a statement the analysis cannot read counts against every index', (t) => {
  const w = workloadColumns(['select from where'], schema, 'postgresql');
  t.truthy(w.queries[0]!.unreadable);
  t.regex(w.notices[0]!, /1 query could not be analysed/);
  t.is(relevantIndexes(w.queries[0]!, [{ table: 'users', columns: ['views'] }]).length, 1);
});

test('an index matters to a query that reads its table and uses one of its columns', (t) => {
  const [q] = workloadColumns(['select count(*) from users u, posts p where u.id = p.owneruserid and p.score = 1'], schema, 'postgresql').queries;
  const set = [
    { table: 'posts', columns: ['score'] },
    { table: 'posts', columns: ['title', 'score'] },
    { table: 'posts', columns: ['title'] },
    { table: 'users', columns: ['views'] },
  ];
  t.deepEqual(relevantIndexes(q!, set), set.slice(0, 2));
});

test('a candidate is covered by an existing index that starts with its columns', (t) => {
  const existing: ExistingIndex[] = [
    { name: 'posts_owner_score', table: 'posts', columns: ['owneruserid', 'score'], expression: false, unique: false, constraint: false },
    { name: 'users_expr', table: 'users', columns: ['views'], expression: true, unique: false, constraint: false },
  ];
  t.true(coveredByExisting({ table: 'posts', columns: ['owneruserid'] }, existing));
  t.true(coveredByExisting({ table: 'posts', columns: ['owneruserid', 'score'] }, existing));
  t.false(coveredByExisting({ table: 'posts', columns: ['score'] }, existing));
  t.false(coveredByExisting({ table: 'posts', columns: ['owneruserid', 'title'] }, existing));
  t.false(coveredByExisting({ table: 'users', columns: ['views'] }, existing), 'an expression index does not serve plain columns');
});

test('advised index names are stable and fit PostgreSQL identifiers', (t) => {
  t.is(advisedIndexName({ table: 'posts', columns: ['owneruserid', 'score'] }), 'pilotscope_posts_owneruserid_score');
  t.is(advisedIndexName({ table: 'a'.repeat(40), columns: ['b'.repeat(40)] }).length, 63);
});

/** What the index advisor needs from the PostgreSQL engine: listing, sizing (hypopg) and dropping indexes. */
import test from 'ava';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { isPilotScopeError } from '../src/errors.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';
import { loadSharedDump } from './helpers/load-dump.js';

let server: TestServer;
let engine: PostgresEngine;

test.before(async () => {
  server = await startTestServer();
  await loadSharedDump(server, 'stats_tiny');
  engine = await PostgresEngine.open({ target: server.target, database: 'stats_tiny', timeoutMs: 60_000, parallelism: 1 });
});

test.after.always(async () => {
  await engine?.close();
  await server?.stop();
});

test.serial('existing indexes are listed with their key columns and constraint flag', async (t) => {
  const indexes = await engine.listIndexes();
  const pkey = indexes.find((i) => i.name === 'badges_pkey');
  t.deepEqual(pkey, { name: 'badges_pkey', table: 'badges', columns: ['id'], expression: false, unique: true, constraint: true });
});

test.serial('hypothetical sizes grow with the table and the width, and leave the what-if set alone', async (t) => {
  await engine.setIndexes([{ table: 'votes', columns: ['userid'] }], { hypothetical: true });
  const before = await engine.run({ sql: 'select count(*) from votes where userid = 3', pull: { physicalPlan: true } });
  const [votes1, votes2, tags1] = await engine.indexSizes([
    { table: 'votes', columns: ['userid'] },
    { table: 'votes', columns: ['userid', 'postid'] },
    { table: 'tags', columns: ['count'] },
  ]);
  t.log(`votes(userid) ${votes1} B, votes(userid, postid) ${votes2} B, tags(count) ${tags1} B`);
  t.true(votes1! > tags1!, 'a 3280-row table needs a bigger index than a 10-row one');
  t.true(votes2! >= votes1!, 'a wider key is not smaller');
  const after = await engine.run({ sql: 'select count(*) from votes where userid = 3', pull: { physicalPlan: true } });
  t.is(JSON.stringify(after.physicalPlan).includes('btree_votes_userid'), JSON.stringify(before.physicalPlan).includes('btree_votes_userid'));
  await engine.setIndexes([], { hypothetical: true });
});

test.serial('built indexes can be dropped by name; constraint indexes are refused', async (t) => {
  const spec = { table: 'votes', columns: ['userid'] };
  await engine.setIndexes([spec]);
  t.true((await engine.listIndexes()).some((i) => i.name === 'pilotscope_votes_userid'));
  t.deepEqual(await engine.dropIndexes([spec]), ['pilotscope_votes_userid']);
  t.false((await engine.listIndexes()).some((i) => i.name === 'pilotscope_votes_userid'));
  t.deepEqual(await engine.dropIndexes([spec]), [], 'dropping a missing index is harmless');
  const err = await t.throwsAsync(engine.dropIndexes([{ table: 'badges', columns: ['id'], name: 'badges_pkey' }]));
  t.true(isPilotScopeError(err, 'USAGE'));
  t.true((await engine.listIndexes()).some((i) => i.name === 'badges_pkey'));
});

test.serial('execution time comes with its planning share', async (t) => {
  const data = await engine.run({ sql: 'select count(*) from votes v, posts p where v.postid = p.id', pull: { executionTime: true } });
  t.true(data.planningTime! > 0);
  t.true(data.planningTime! < data.executionTime!);
  const plan = await engine.run({ sql: 'select count(*) from votes', pull: { estimatedCost: true } });
  t.true(plan.planningTime! > 0, 'an EXPLAIN reports its planning time too');
});

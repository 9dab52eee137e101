/**
 * The PostgreSQL knob journal: originals are recorded before ALTER SYSTEM, a new engine (as a new
 * process would) restores them, a user's own ALTER SYSTEM value comes back exactly, and an
 * embedded server left unable to start gets its journaled postgresql.auto.conf back.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { connect } from '../adapters/postgres/connection.js';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { KnobJournal } from '../adapters/postgres/knob-journal.js';
import { restoreJournaledAutoConf } from '../adapters/postgres/knobs.js';
import { isPilotScopeError } from '../src/errors.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';

let server: TestServer;

test.before(async () => {
  server = await startTestServer();
});

test.after.always(async () => {
  await server?.stop();
});

const open = () => PostgresEngine.open({ target: server.target, database: 'postgres', timeoutMs: 30_000, parallelism: 2 });

/** Statements PostgreSQL refuses inside the engine's implicit transaction (ALTER SYSTEM). */
async function adminSql(...statements: string[]): Promise<void> {
  const client = await connect(server.target, 'postgres');
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

async function setting(engine: PostgresEngine, name: string): Promise<string> {
  const data = await engine.run({ sql: `select current_setting('${name}') as v`, pull: { records: true } });
  return data.records![0]!.v as string;
}

test.serial('a new engine restores the originals journaled by an engine that went away', async (t) => {
  await adminSql('ALTER SYSTEM SET random_page_cost = 3.5', 'SELECT pg_reload_conf()');

  const first = await open();
  await first.setKnobs({ random_page_cost: 1.1, work_mem: '8MB' });
  t.is(await setting(first, 'work_mem'), '8MB');
  const journal = new KnobJournal(server.target.knobJournal!).read()!;
  t.deepEqual(journal.knobs.random_page_cost, { original: '3.5', context: 'user' });
  t.deepEqual(journal.knobs.work_mem, { original: null, context: 'user' });
  t.is(typeof journal.autoConf, 'string', 'the embedded server keeps a copy of postgresql.auto.conf');
  // A second change keeps the first original.
  await first.setKnobs({ random_page_cost: 2 });
  t.is(new KnobJournal(server.target.knobJournal!).read()!.knobs.random_page_cost!.original, '3.5');
  await first.close(); // no reset: as if the process had died

  const second = await open();
  t.deepEqual(Object.keys(second.pendingKnobs()).sort(), ['random_page_cost', 'work_mem']);
  await second.resetKnobs();
  t.is(await setting(second, 'random_page_cost'), '3.5', "the user's own ALTER SYSTEM value is back");
  t.is(await setting(second, 'work_mem'), '4MB');
  t.false(fs.existsSync(server.target.knobJournal!), 'the journal is gone once everything is restored');
  t.deepEqual(second.pendingKnobs(), {});
  await second.close();
  await adminSql('ALTER SYSTEM RESET random_page_cost', 'SELECT pg_reload_conf()');
});

test.serial('restart knobs are restored with a restart', async (t) => {
  const engine = await open();
  const change = await engine.setKnobs({ shared_buffers: '48MB' });
  t.is(change.method, 'restart');
  t.is(await setting(engine, 'shared_buffers'), '48MB');
  await engine.resetKnobs();
  t.is(await setting(engine, 'shared_buffers'), '128MB');
  await engine.close();
});

test.serial('a server that cannot start gets its journaled postgresql.auto.conf back', async (t) => {
  const engine = await open();
  await engine.setKnobs({ work_mem: '16MB' }); // journals the original postgresql.auto.conf
  await engine.close();
  await server.cluster.stop();
  // What a crash between ALTER SYSTEM and the restart check would leave behind.
  const autoConf = path.join(server.cluster.paths.dataDir, 'postgresql.auto.conf');
  fs.appendFileSync(autoConf, "shared_buffers = '4TB'\n");
  const err = await t.throwsAsync(server.cluster.start());
  t.true(isPilotScopeError(err, 'DB_START_FAILED'));
  t.true(restoreJournaledAutoConf(server.cluster, server.target.knobJournal!));
  await server.cluster.start();
  const after = await open();
  t.is(await setting(after, 'shared_buffers'), '128MB');
  t.is(await setting(after, 'work_mem'), '4MB', 'the file is as it was before the first change');
  await after.resetKnobs(); // nothing left to restore but the journal entry
  t.false(fs.existsSync(server.target.knobJournal!));
  await after.close();
});

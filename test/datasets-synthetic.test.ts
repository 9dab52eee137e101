/** The synthetic generator: determinism, loading into PostgreSQL, keys that resolve, correlations. */
import test from 'ava';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { loadSettings } from '../src/config/settings.js';
import { EmbeddedPostgres } from '../adapters/postgres/cluster.js';
import { connect, resolveServer, type ServerTarget } from '../adapters/postgres/connection.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { SYNTHETIC_SCHEMA, checkSyntheticParams, syntheticDatabaseName, syntheticDataset } from '../src/datasets/synthetic/index.js';
import type { Dataset } from '../src/datasets/types.js';
import { isPilotScopeError } from '../src/errors.js';

const home = fs.mkdtempSync(path.join('/tmp', 'pilotscope-ds-synth-'));
fs.chmodSync(home, 0o755);
const settings = loadSettings({ home }, { PILOTSCOPE_HOME: home });
let target: ServerTarget | undefined;

test.after.always(async () => {
  if (target) await new EmbeddedPostgres(home).stop();
  fs.rmSync(home, { recursive: true, force: true });
});

async function dataDigest(dataset: Dataset): Promise<Record<string, string>> {
  if (dataset.data.kind !== 'generated') throw new Error('not generated');
  const digests: Record<string, string> = {};
  for (const table of dataset.data.tables) {
    const hash = crypto.createHash('sha256');
    for await (const chunk of table.data.open()) hash.update(chunk as string);
    digests[table.name] = hash.digest('hex');
  }
  return digests;
}

test('same scale and seed give the same rows and queries; another seed gives others', async (t) => {
  const a = syntheticDataset({ scale: 0.01, seed: 7 });
  const b = syntheticDataset({ scale: 0.01, seed: 7 });
  const c = syntheticDataset({ scale: 0.01, seed: 8 });
  const [da, db, dc] = await Promise.all([dataDigest(a), dataDigest(b), dataDigest(c)]);
  t.deepEqual(da, db);
  for (const table of Object.keys(da)) t.not(da[table], dc[table], `${table} differs with another seed`);
  // A second pass over the same dataset object streams the same bytes.
  t.deepEqual(await dataDigest(a), da);
  const [wa, wb, wc] = await Promise.all([a.workload(), b.workload(), c.workload()]);
  t.deepEqual(wa, wb);
  t.notDeepEqual(wa.train, wc.train);
  t.is(wa.train.length, 1000);
  t.is(wa.test.length, 100);
  t.is(new Set([...wa.train, ...wa.test]).size, 1100, 'no query repeats across train and test');
  t.is(a.fingerprint, b.fingerprint);
  t.not(a.fingerprint, c.fingerprint);
});

test('parameters are checked and name the database', (t) => {
  t.is(syntheticDatabaseName({ scale: 0.1, seed: 7 }), 'synthetic_sf0_1_s7');
  t.is(syntheticDatabaseName({ scale: 2, seed: 0 }), 'synthetic_sf2_s0');
  t.deepEqual(checkSyntheticParams({}), { scale: 0.1, seed: 7 });
  for (const bad of [{ scale: 0 }, { scale: -1 }, { scale: Number.NaN }, { seed: 1.5 }, { seed: -3 }]) {
    const err = t.throws(() => checkSyntheticParams(bad));
    t.true(isPilotScopeError(err, 'USAGE'));
  }
});

test('generated queries join 2 to 6 tables along foreign keys, count(*) with predicates', async (t) => {
  const { train } = await syntheticDataset({ scale: 0.01, seed: 3 }).workload();
  const sizes = new Set<number>();
  for (const q of train) {
    t.regex(q, /^SELECT COUNT\(\*\) FROM /);
    const from = /FROM (.*) WHERE/.exec(q)![1]!.split(', ');
    sizes.add(from.length);
    const joins = q.match(/\w+\.id = \w+\.\w+/g) ?? [];
    t.is(joins.length, from.length - 1, q);
    t.true(/ (>=|<=|=) -?\d+/.test(q.replace(/\w+\.id = \w+\.\w+/g, '')), q);
  }
  t.deepEqual([...sizes].sort(), [2, 3, 4, 5, 6]);
});

test.serial('SF 0.01 loads into PostgreSQL; every foreign key resolves; stored counts match child rows', async (t) => {
  t.timeout(120_000);
  target = await resolveServer(settings);
  const dataset = syntheticDataset({ scale: 0.01, seed: 7 });
  const result = await new PostgresDatasetLoader(settings, target).load(dataset);
  t.log(`SF 0.01 loaded in ${result.seconds.toFixed(2)} s`);
  t.is(result.database, 'synthetic_sf0_01_s7');
  const client = await connect(target, dataset.database);
  try {
    for (const table of SYNTHETIC_SCHEMA) {
      for (const fk of table.foreignKeys ?? []) {
        const col = fk.columns[0]!;
        const joined = await client.query(`SELECT count(*) AS n FROM ${table.name} c JOIN ${fk.table} p ON c.${col} = p.id`);
        const nonNull = await client.query(`SELECT count(*) AS n FROM ${table.name} WHERE ${col} IS NOT NULL`);
        t.is(joined.rows[0].n, nonNull.rows[0].n, `${table.name}.${col} -> ${fk.table}`);
        t.true(Number(nonNull.rows[0].n) > 0 || col === 'userid' || col === 'lasteditoruserid', `${table.name}.${col} has values`);
      }
    }
    const constraints = await client.query("SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace");
    t.is(Number(constraints.rows[0].n), SYNTHETIC_SCHEMA.reduce((s, x) => s + (x.foreignKeys?.length ?? 0), 0));
    const mismatched = await client.query('SELECT count(*) AS n FROM posts p WHERE p.commentcount <> (SELECT count(*) FROM comments c WHERE c.postid = p.id)');
    t.is(Number(mismatched.rows[0].n), 0, 'posts.commentcount equals its comments');
    const score = await client.query(
      "SELECT count(*) AS n FROM posts p WHERE p.score <> (SELECT count(*) FILTER (WHERE votetypeid = 2) - count(*) FILTER (WHERE votetypeid = 3) FROM votes v WHERE v.postid = p.id)",
    );
    t.is(Number(score.rows[0].n), 0, 'posts.score = up votes - down votes');
    // The cross-table correlation the generator exists for: high-reputation users own far more posts each.
    const fanout = await client.query(`
      WITH r AS (SELECT u.id, u.reputation, count(p.id) AS posts FROM users u LEFT JOIN posts p ON p.owneruserid = u.id GROUP BY u.id)
      SELECT avg(posts) FILTER (WHERE reputation >= (SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY reputation) FROM users)) AS top,
             avg(posts) FILTER (WHERE reputation <= (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY reputation) FROM users)) AS bottom FROM r`);
    t.true(Number(fanout.rows[0].top) > 5 * Number(fanout.rows[0].bottom), JSON.stringify(fanout.rows[0]));
    const { test: queries } = await dataset.workload();
    let nonEmpty = 0;
    for (const q of queries) if (Number((await client.query(q)).rows[0].count) > 0) nonEmpty++;
    t.log(`${nonEmpty} of ${queries.length} test queries return rows at SF 0.01`);
    t.true(nonEmpty >= queries.length * 0.6, `${nonEmpty} of ${queries.length} non-empty`);
  } finally {
    await client.end();
  }
  const again = await new PostgresDatasetLoader(settings, target).load(syntheticDataset({ scale: 0.01, seed: 7 }));
  t.true(again.skipped);
});

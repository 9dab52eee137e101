/**
 * The PostgreSQL adapter and extension: planning time with the extension idle, pulling, and
 * pushing every relation set, against plain EXPLAIN in a backend that never loaded the library,
 * on the largest stats_tiny queries; and the adapter's per-statement overhead beyond the server's
 * own time.
 *
 * `npm run bench -- postgres [reps]` (default 60 repetitions per query and mode).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { fileURLToPath } from 'node:url';
import { EmbeddedPostgres } from '../adapters/postgres/cluster.js';
import { resolveServer } from '../adapters/postgres/connection.js';
import { PostgresEngine } from '../adapters/postgres/engine.js';
import { cardsPayload, literal } from '../adapters/postgres/script.js';
import { loadSettings } from '../src/config/settings.js';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { analyze, enumerateRelationSets, splitStatements } from '../src/sql/index.js';
import { median, type BenchContext } from './harness.js';

const STATS_TINY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'datasets', 'stats_tiny');
const LARGEST = 10;

type Mode = 'plain' | 'idle' | 'pull' | 'push';

export default async function bench(ctx: BenchContext): Promise<void> {
  const reps = Number(ctx.args[0] ?? 60);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-bench-pg-'));
  fs.chmodSync(home, 0o755);
  const cluster = new EmbeddedPostgres(home, undefined, { preloadExtension: false });
  await cluster.start();
  try {
    const settings = loadSettings({ home }, { PILOTSCOPE_HOME: home });
    const target = await resolveServer(settings);
    new DatasetRegistry(home).add('stats_tiny', STATS_TINY);
    await new PostgresDatasetLoader(settings, target).load(await new DatasetRegistry(home).open('stats_tiny'));
    const queries = largestQueries(LARGEST);
    ctx.note(`planning time: ${queries.length} stats_tiny queries with ${queries.map((q) => q.sets).join('/')} relation sets, ${reps} reps per mode, modes interleaved`);
    await planningTimes(ctx, target.clientConfig('stats_tiny'), queries, reps);
    await adapterOverhead(ctx, target, settings.timeoutMs, queries.map((q) => q.sql), reps);
  } finally {
    await cluster.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

interface BenchQuery {
  sql: string;
  sets: number;
  cards: Record<string, number>;
}

function largestQueries(n: number): BenchQuery[] {
  const all = splitStatements(fs.readFileSync(path.join(STATS_TINY, 'train.sql'), 'utf8')).map((sql) => {
    const sets = enumerateRelationSets(analyze(sql)).sets;
    // Any positive rows exercise the push path fully; use a spread of values so plans differ.
    return { sql, sets: sets.length, cards: Object.fromEntries(sets.map((s, i) => [s.key, 10 + ((i * 7919) % 5000)])) };
  });
  return all.sort((a, b) => b.sets - a.sets).slice(0, n);
}

/** Planning time as the server reports it (EXPLAIN SUMMARY), per mode, in two sessions. */
async function planningTimes(ctx: BenchContext, config: pg.ClientConfig, queries: BenchQuery[], reps: number): Promise<void> {
  const plain = new pg.Client(config);
  const loaded = new pg.Client(config);
  await plain.connect();
  await loaded.connect();
  await loaded.query("LOAD 'pilotscope'");
  const times: Record<Mode, number[][]> = { plain: [], idle: [], pull: [], push: [] };
  const planning = async (client: pg.Client, prefix: string, sql: string): Promise<number> => {
    const reply = await client.query(`${prefix}EXPLAIN (SUMMARY ON, FORMAT JSON) ${sql}`);
    const last = Array.isArray(reply) ? reply[reply.length - 1]! : reply;
    return (last.rows[0]['QUERY PLAN'] as Array<{ 'Planning Time': number }>)[0]!['Planning Time'];
  };
  const modes: Array<[Mode, pg.Client, (q: BenchQuery) => string]> = [
    ['plain', plain, () => ''],
    ['idle', loaded, () => ''],
    ['pull', loaded, () => "SELECT set_config('pilotscope.collect', 'on', true); "],
    ['push', loaded, (q) => `SELECT set_config('pilotscope.cards', ${literal(cardsPayload(q.cards))}, true); `],
  ];
  for (const [qi, q] of queries.entries()) {
    for (const [mode] of modes) times[mode][qi] = [];
    for (let r = 0; r < 5; r++) for (const [, client, prefix] of modes) await planning(client, prefix(q), q.sql); // warm caches
    for (let r = 0; r < reps; r++) {
      for (let k = 0; k < modes.length; k++) {
        const [mode, client, prefix] = modes[(r + k) % modes.length]!;
        times[mode][qi]!.push(await planning(client, prefix(q), q.sql));
      }
    }
  }
  await plain.end();
  await loaded.end();
  const perQueryMedian = (mode: Mode) => times[mode].map((samples) => median(samples));
  const plainMedians = perQueryMedian('plain');
  ctx.figure('pg_planning_plain_ms', median(plainMedians), 'ms');
  for (const mode of ['idle', 'pull', 'push'] as const) {
    const medians = perQueryMedian(mode);
    ctx.figure(`pg_planning_${mode}_ms`, median(medians), 'ms');
    ctx.figure(`pg_planning_${mode}_ratio`, median(medians.map((m, i) => m / plainMedians[i]!)), 'x', 'median over queries of (median planning time / plain)');
  }
}

/** Wall time of engine.run minus the server's own time, for statements that do little work. */
async function adapterOverhead(ctx: BenchContext, target: Awaited<ReturnType<typeof resolveServer>>, timeoutMs: number, queries: string[], reps: number): Promise<void> {
  const engine = await PostgresEngine.open({ target, database: 'stats_tiny', timeoutMs, parallelism: 1 });
  try {
    const overheads: number[] = [];
    const rawOverheads: number[] = [];
    const raw = new pg.Client(target.clientConfig('stats_tiny'));
    await raw.connect();
    for (let r = 0; r < reps; r++) {
      for (const sql of queries) {
        const data = await engine.run({ sql, pull: { executionTime: true } });
        overheads.push((data.wallTime! - data.serverTime!) * 1e6);
        // The same statement over a bare pg client: what any client pays for the round trip.
        const started = process.hrtime.bigint();
        const reply = await raw.query(`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) ${sql}`);
        const wall = Number(process.hrtime.bigint() - started) / 1e3;
        const doc = (reply.rows[0]['QUERY PLAN'] as Array<{ 'Planning Time': number; 'Execution Time': number }>)[0]!;
        rawOverheads.push(wall - (doc['Planning Time'] + doc['Execution Time']) * 1e3);
      }
    }
    await raw.end();
    ctx.figure('pg_adapter_overhead_us', median(overheads), 'us', 'median of engine.run wall time minus server planning+execution time');
    ctx.figure('pg_bare_client_overhead_us', median(rawOverheads), 'us', 'the same statement through a bare pg client');
  } finally {
    await engine.close();
  }
}

/**
 * The Spark adapter on a real Spark Thrift Server (local[2], stats_tiny loaded from its dump),
 * over queries of the stats_tiny training workload:
 *
 * - spark_overhead_share: per query, the share of end-to-end time (engine.run with records and
 *   execution time) that is not Spark's own work (ExecuteStatement until the server reports the
 *   statement finished): session handling, fetching and converting rows, our bookkeeping. Shown
 *   next to the bare hive-driver client running the same statements.
 * - spark_subquery_pull_ms_per_query: pulling Spark's estimate for every connected relation set,
 *   batched into UNION ALL statements, next to one EXPLAIN per set (on one session and on four).
 * - spark_join_order_followed_share: cardinality push by join order: for each query and several
 *   pushed cardinality vectors (Spark's own estimates, and Lero-style swings), the share of plans
 *   whose joins Spark ran in the chosen order with the chosen methods.
 *
 * Usage: npm run bench -- spark [--queries N]   (default 16)
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import hive from 'hive-driver';
import { SparkEngine } from '../adapters/spark/engine.js';
import { SparkLoader } from '../adapters/spark/loader.js';
import { analyzeForSpark } from '../adapters/spark/query-analysis.js';
import { splitStatements } from '../src/sql/index.js';
import { sharedDataset } from '../test/helpers/paths.js';
import { startSparkTestServer, type SparkTestServer } from '../test/helpers/spark.js';
import { median, quantile, type BenchContext } from './harness.js';

const SWINGS = [0.01, 100];

export default async function (ctx: BenchContext): Promise<void> {
  const at = ctx.args.indexOf('--queries');
  const count = at === -1 ? 16 : Number(ctx.args[at + 1]);
  const spark = await startSparkTestServer();
  const engines: SparkEngine[] = [];
  try {
    await new SparkLoader(spark.endpoint, { database: 'stats_tiny' }).loadDump(path.join(sharedDataset('stats_tiny'), 'data.sql'));
    const open = async (parallelism: number, subqueriesPerStatement?: number) => {
      const engine = await SparkEngine.open({ endpoint: spark.endpoint, database: 'stats_tiny', timeoutMs: 300_000, parallelism, ...(subqueriesPerStatement ? { subqueriesPerStatement } : {}) });
      engines.push(engine);
      return engine;
    };
    const queries = workload(count);
    const sets = queries.map((q) => analyzeForSpark(q, 'bench').sets.length);
    ctx.note(`${queries.length} stats_tiny training queries, ${Math.min(...sets)}..${Math.max(...sets)} relation sets each (median ${median(sets)}); Spark local[2] on ${process.platform}`);

    const engine = await open(4);
    await overhead(ctx, engine, spark, queries);
    await subqueryPull(ctx, engine, await open(1, 1), await open(4, 1), queries);
    await joinOrderFollowed(ctx, engine, queries);
  } finally {
    await Promise.all(engines.map((e) => e.close()));
    await spark.stop();
  }
}

/** Every k-th training query, so all join sizes appear. */
function workload(count: number): string[] {
  const all = splitStatements(fs.readFileSync(path.join(sharedDataset('stats_tiny'), 'train.sql'), 'utf8'));
  const step = Math.max(1, Math.floor(all.length / count));
  return all.filter((_, i) => i % step === 0).slice(0, count);
}

async function overhead(ctx: BenchContext, engine: SparkEngine, spark: SparkTestServer, queries: string[]): Promise<void> {
  const raw = await openRawHiveDriver(spark);
  try {
    for (const q of queries) await engine.run({ sql: q, pull: { records: true } }); // warm caches and code generation
    const shares: number[] = [];
    const overheadMs: number[] = [];
    const adapterMs: number[] = [];
    const rawMs: number[] = [];
    for (let rep = 0; rep < 4; rep++) {
      for (const q of queries) {
        // Alternate which client goes first, so neither profits from the other warming Spark up.
        if (rep % 2 === 1) rawMs.push(await raw.run(q));
        const data = await engine.run({ sql: q, pull: { records: true, executionTime: true } });
        const wall = data.wallTime! * 1000;
        const own = data.executionTime! * 1000;
        shares.push((wall - own) / wall);
        overheadMs.push(wall - own);
        adapterMs.push(wall);
        if (rep % 2 === 0) rawMs.push(await raw.run(q));
      }
    }
    ctx.figure('spark_overhead_share', median(shares), 'ratio', `median over ${shares.length} runs; p90 ${quantile(shares, 0.9).toFixed(3)}`);
    ctx.figure('spark_overhead_ms', median(overheadMs), 'ms', 'end-to-end minus ExecuteStatement-to-finished, per query');
    ctx.figure('spark_query_wall_ms', median(adapterMs), 'ms', 'engine.run with records and execution time');
    ctx.figure('spark_hive_driver_wall_ms', median(rawMs), 'ms', 'the same statements through the bare hive-driver client (execute, wait, fetch all)');
    ctx.figure('spark_adapter_vs_hive_driver', median(adapterMs.map((a, i) => a / rawMs[i]!)), 'ratio', 'median of per-run ratios (same query, back to back); Spark\'s own run-to-run variation is of the same order');
  } finally {
    await raw.close();
  }
}

async function subqueryPull(ctx: BenchContext, engine: SparkEngine, serial: SparkEngine, spread: SparkEngine, queries: string[]): Promise<void> {
  for (const q of queries) await engine.run({ sql: q, pull: { subqueryCards: true } });
  const batched: number[] = [];
  const oneByOne: number[] = [];
  const oneByOneSpread: number[] = [];
  const timed = async (e: SparkEngine, q: string, into: number[]) => {
    const t0 = performance.now();
    const data = await e.run({ sql: q, pull: { subqueryCards: true } });
    into.push(performance.now() - t0);
    return JSON.stringify(data.subqueryCards);
  };
  for (const q of queries) {
    const a = await timed(engine, q, batched);
    const b = await timed(serial, q, oneByOne);
    const c = await timed(spread, q, oneByOneSpread);
    if (a !== b || a !== c) ctx.note(`estimates differ between batched and single EXPLAINs for: ${q}`);
  }
  ctx.figure('spark_subquery_pull_ms_per_query', median(batched), 'ms', 'count(*) sub-queries as UNION ALL, up to 32 per EXPLAIN COST; several EXPLAINs over 4 sessions');
  ctx.figure('spark_subquery_pull_ms_per_query_one_by_one', median(oneByOne), 'ms', 'one EXPLAIN COST per relation set, one session');
  ctx.figure('spark_subquery_pull_ms_per_query_one_by_one_4_sessions', median(oneByOneSpread), 'ms', 'one EXPLAIN COST per relation set, spread over 4 sessions');
  ctx.figure('spark_subquery_pull_speedup', median(oneByOne) / median(batched), 'ratio', 'one by one on one session / batched');
}

async function joinOrderFollowed(ctx: BenchContext, engine: SparkEngine, queries: string[]): Promise<void> {
  let tried = 0;
  let followed = 0;
  const orders = new Set<string>();
  const pushMs: number[] = [];
  for (const q of queries) {
    const estimates = (await engine.run({ sql: q, pull: { subqueryCards: true } })).subqueryCards!;
    const maxSize = Math.max(...Object.keys(estimates).map((k) => k.split(',').length));
    if (maxSize < 2) continue;
    // Spark's own estimates, then each join-set size swung up and down (as Lero's candidates are).
    const variants: Array<Record<string, number>> = [estimates];
    for (let size = 2; size <= maxSize; size++) {
      for (const factor of SWINGS) {
        variants.push(Object.fromEntries(Object.entries(estimates).map(([k, v]) => [k, k.split(',').length === size ? Math.max(1, Math.round(v * factor)) : v])));
      }
    }
    for (const cards of variants) {
      const t0 = performance.now();
      const data = await engine.run({ sql: q, push: { cards }, pull: { physicalPlan: true } });
      pushMs.push(performance.now() - t0);
      tried++;
      if (data.joinOrderFollowed) followed++;
      else ctx.note(`not followed: ${JSON.stringify(data.joinOrder)} for ${q}`);
      orders.add(`${q}\u0000${JSON.stringify(data.joinOrder)}`);
    }
  }
  ctx.figure('spark_join_order_followed_share', followed / tried, 'ratio', `${followed} of ${tried} forced plans; ${orders.size} distinct join orders`);
  ctx.figure('spark_push_card_plan_ms', median(pushMs), 'ms', 'push cardinalities + pull the physical plan (DP, emitted SQL, EXPLAIN FORMATTED + COST)');
}

/** The same statements through hive-driver's own session API, as its documentation shows it. */
async function openRawHiveDriver(spark: SparkTestServer): Promise<{ run(sql: string): Promise<number>; close(): Promise<void> }> {
  const { TCLIService, TCLIService_types } = hive.thrift;
  const client = new hive.HiveClient(TCLIService, TCLIService_types);
  client.on('error', () => undefined);
  await client.connect({ host: spark.endpoint.host, port: spark.endpoint.port }, new hive.connections.TcpConnection(), new hive.auth.PlainTcpAuthentication({ username: 'anonymous', password: 'x' }));
  const session = await client.openSession({ client_protocol: TCLIService_types.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10 });
  const utils = new hive.HiveUtils(TCLIService_types);
  await session.executeStatement('USE stats_tiny').then((op) => op.close());
  return {
    async run(sql: string) {
      const t0 = performance.now();
      const operation = await session.executeStatement(sql, { runAsync: true });
      await utils.waitUntilReady(operation, false, () => undefined);
      operation.setMaxRows(10_000);
      await utils.fetchAll(operation);
      utils.getResult(operation).getValue();
      await operation.close();
      return performance.now() - t0;
    },
    async close() {
      await session.close();
      client.close();
    },
  };
}

/**
 * The Spark engine: vanilla Apache Spark through its Thrift Server.
 *
 * - Plans and estimates come from EXPLAIN FORMATTED (physical plan) and EXPLAIN COST (optimized
 *   logical plan with row counts); a request that only pulls those does not run the statement.
 * - executionTime is the client's wall clock from ExecuteStatement until the server reports the
 *   statement finished (Spark has computed and collected the whole result by then; fetching the
 *   rows afterwards is not counted). The Thrift Server leaves the operation's own start/complete
 *   times empty, so a server-side time is not available.
 * - Sub-query cardinalities are Spark's estimates for each connected relation set of the query,
 *   from EXPLAIN COST of its count(*) sub-query, several sub-queries per statement (UNION ALL) and
 *   statements spread over the pooled sessions.
 * - Pushed cardinalities choose a join order and join methods (join-order.ts); the query is then
 *   sent with that order written out and method hints, with CBO join reordering off.
 * - Hints and knobs are session settings: hints are SET for one statement and restored after it,
 *   knobs are kept on every pooled session.
 */
import { performance } from 'node:perf_hooks';
import { assertSupported, operatorsOf } from '../../src/engine/capabilities.js';
import { relSetAliases } from '../../src/engine/relset-key.js';
import type {
  Engine,
  EngineCapabilities,
  ExecutionRequest,
  IndexOptions,
  IndexSpec,
  JoinTree,
  KnobChange,
  Operator,
  PilotTransData,
  PushReport,
  RelSetEstimate,
  RelSetKey,
  SchemaInfo,
  SettingValue,
} from '../../src/engine/types.js';
import { PilotScopeError } from '../../src/errors.js';
import type { SparkEndpoint, StatementOutcome } from './client.js';
import { countBatchRows, estimatedCost, parseExplainCost, parseExplainFormatted, type LogicalNode, type SparkPhysicalNode } from './explain.js';
import { followsJoinOrder } from './follow.js';
import { chooseJoinOrder, DEFAULT_COST_MODEL, type SparkJoinCostModel } from './join-order.js';
import { parseSize } from './plan-text.js';
import { joinTreeOf, toPlanTree } from './plan-tree.js';
import { SessionPool, type PooledSession } from './pool.js';
import { analyzeForSpark, countSql, keyOfMask, sqlWithJoinOrder, tableOf, type AnalyzedQuery } from './query-analysis.js';
import { describeTable, listTables } from './schema.js';
import { settingError, settingName, settingValue, SparkKnobs } from './settings.js';
import { withComment } from './statement.js';
import { singleStatement } from '../../src/sql/index.js';

const OPERATORS: Operator[] = ['pushCard', 'pushHint', 'pushKnob', 'pushJoinOrder', 'pullSubqueryCard', 'pullPhysicalPlan', 'pullEstimatedCost', 'pullExecutionTime', 'pullRecord'];

/**
 * count(*) sub-queries explained per statement. Each statement costs Spark a fixed overhead that
 * dwarfs planning one more UNION ALL branch, so sub-queries go into as few statements as possible
 * (bench/spark.ts compares), and several statements run on several sessions.
 */
const SUBQUERIES_PER_STATEMENT = 32;
/** Query text -> bytes per row of each relation (for the join-order cost model). */
const WIDTH_CACHE_SIZE = 256;

export interface SparkEngineOptions {
  endpoint: SparkEndpoint;
  /** The Spark database (schema) the tables live in. */
  database: string;
  /** Default statement timeout (ms) for requests that set none. */
  timeoutMs: number;
  /** Pool size: the most statements run at once. */
  parallelism: number;
  /** count(*) sub-queries explained per statement when pulling sub-query cardinalities (default 32). */
  subqueriesPerStatement?: number;
}

type Settings = Map<string, string>;

/** The statement a request sends, and what it was derived from. */
interface Prepared {
  statement: string;
  query?: AnalyzedQuery;
  joinOrder?: JoinTree;
}

export class SparkEngine implements Engine {
  readonly kind = 'spark';
  readonly name: string;
  readonly capabilities: EngineCapabilities = {
    operators: new Set(OPERATORS),
    cardinalityPush: 'join-order',
    hypotheticalIndexes: false,
    restartKnobs: false,
    dialect: 'spark',
  };
  readonly database: string;
  private readonly pool: SessionPool;
  private readonly knobs: SparkKnobs;
  private schemaCache?: SchemaInfo;
  private readonly widthCache = new Map<string, number[]>();
  private costModel?: Promise<SparkJoinCostModel>;

  private constructor(private readonly options: SparkEngineOptions) {
    this.database = options.database;
    this.name = `Spark "${options.database}" (${options.endpoint.description})`;
    this.pool = new SessionPool(options.endpoint, options.database, options.parallelism);
    this.knobs = new SparkKnobs(this.pool, options.endpoint.description);
  }

  /** Connects (one session, to check the server and the database) and returns the engine. */
  static async open(options: SparkEngineOptions): Promise<SparkEngine> {
    const engine = new SparkEngine(options);
    try {
      await engine.pool.use(async () => undefined);
    } catch (err) {
      await engine.pool.close();
      throw err;
    }
    return engine;
  }

  async run(request: ExecutionRequest): Promise<PilotTransData> {
    assertSupported(this, operatorsOf(request));
    const started = performance.now();
    const deadline = started + (request.timeoutMs ?? this.options.timeoutMs);
    const { pull = {} } = request;
    const settings = requestSettings(request.push?.settings);
    const data: PilotTransData = { sql: request.sql, status: 'ok' };

    const prepared = await this.prepare(request, settings, deadline, data);
    if (prepared === 'timeout') return this.timedOut(data, started);
    const execute = pull.records === true || pull.executionTime === true || !(pull.physicalPlan || pull.estimatedCost || pull.subqueryCards);
    if (execute || pull.physicalPlan || pull.estimatedCost) {
      const serverMs = await this.withSession(settings, async (session) => {
        const explained = pull.physicalPlan || pull.estimatedCost ? await this.explainInto(session, prepared, request, data, deadline) : 0;
        if (explained === 'timeout' || !execute) return explained;
        const result = await session.connection.execute(prepared.statement, { fetch: pull.records === true, ...this.timing(deadline) });
        if (result.status === 'timeout') return 'timeout';
        if (pull.records) data.records = result.rows;
        if (pull.executionTime) data.executionTime = result.executionMs / 1000;
        return explained + result.executionMs;
      });
      if (serverMs === 'timeout') return this.timedOut(data, started);
      data.serverTime = serverMs / 1000;
    }
    data.wallTime = (performance.now() - started) / 1000;
    return data;
  }

  /**
   * The statement to send: the request's SQL, or the query rewritten in a forced join order (given,
   * or chosen from pushed cardinalities), with a pushed comment placed. Fills the push report and
   * the sub-query cardinalities on the way.
   */
  private async prepare(request: ExecutionRequest, settings: Settings, deadline: number, data: PilotTransData): Promise<Prepared | 'timeout'> {
    const { push = {}, pull = {} } = request;
    const original = singleStatement(request.sql, 'spark');
    if (push.cards === undefined && push.joinOrder === undefined && !pull.subqueryCards) {
      const statement = withComment(original, push.comment);
      if (statement !== original) data.executedSql = statement;
      return { statement };
    }
    const what = push.cards !== undefined ? 'Pushing cardinalities on Spark' : push.joinOrder !== undefined ? 'Forcing a join order on Spark' : 'Pulling sub-query cardinalities on Spark';
    const query = analyzeForSpark(request.sql, what);
    let pushedCards: Map<number, number> | undefined;
    if (push.cards !== undefined) {
      const matched = matchPushedCards(query, push.cards);
      pushedCards = matched.cards;
      data.pushReport = matched.report;
    }

    // Spark's estimates: every set for a sub-query pull; for the DP, the sets not pushed.
    let sparkRows = new Map<RelSetKey, number>();
    const wanted = query.sets.filter((s) => pull.subqueryCards || (pushedCards && !pushedCards.has(query.masks.get(s.key)!))).map((s) => s.key);
    if (wanted.length > 0) {
      const estimated = await this.estimateRelationSets(query, wanted, settings, deadline);
      if (estimated === 'timeout') return 'timeout';
      sparkRows = estimated;
    }
    if (pull.subqueryCards) {
      data.relSets = query.sets.map((set) => relSetEstimate(set.key, query, sparkRows, pushedCards));
      data.subqueryCards = Object.fromEntries(data.relSets.map((r) => [r.key, r.rows]));
    }

    // An explicit join order wins over one derived from pushed cardinalities.
    let joinOrder: JoinTree | undefined = push.joinOrder;
    if (pushedCards && joinOrder === undefined) {
      const widths = await this.relationWidths(query, settings, deadline);
      if (widths === 'timeout') return 'timeout';
      joinOrder = chooseJoinOrder({
        graph: query.joinGraph,
        widths,
        model: await this.joinCostModel(settings),
        rows: (mask) => pushedCards.get(mask) ?? sparkRows.get(keyOfMask(query, mask)) ?? Number.NaN,
      }).tree;
    }
    let statement = original;
    if (joinOrder !== undefined) {
      statement = sqlWithJoinOrder(query, joinOrder);
      // Keep the written order: CBO join reordering would otherwise re-plan unhinted joins.
      settings.set('spark.sql.cbo.joinReorder.enabled', 'false');
      data.joinOrder = joinOrder;
    }
    statement = withComment(statement, push.comment);
    if (statement !== original) data.executedSql = statement;
    return { statement, query, ...(joinOrder !== undefined ? { joinOrder } : {}) };
  }

  /** EXPLAIN FORMATTED (for the plan) and EXPLAIN COST (estimates) of the statement; returns the server time in ms. */
  private async explainInto(session: PooledSession, prepared: Prepared, request: ExecutionRequest, data: PilotTransData, deadline: number): Promise<number | 'timeout'> {
    const { pull = {} } = request;
    let serverMs = 0;
    let physical: SparkPhysicalNode | undefined;
    if (pull.physicalPlan) {
      const formatted = await this.explain(session, `EXPLAIN FORMATTED ${prepared.statement}`, deadline);
      if (formatted === 'timeout') return 'timeout';
      serverMs += formatted.executionMs;
      physical = parseExplainFormatted(planText(formatted));
      data.physicalPlan = physical;
    }
    const cost = await this.explain(session, `EXPLAIN COST ${prepared.statement}`, deadline);
    if (cost === 'timeout') return 'timeout';
    serverMs += cost.executionMs;
    const logical = parseExplainCost(planText(cost));
    if (pull.estimatedCost) data.estimatedCost = estimatedCost(logical);
    if (physical) {
      data.planTree = toPlanTree(physical, logical);
      const { joinOrder, query } = prepared;
      if (joinOrder !== undefined && query) data.joinOrderFollowed = followsJoinOrder(joinOrder, joinTreeOf(physical), (alias) => tableOf(query, alias));
    }
    return serverMs;
  }

  setKnobs(knobs: Readonly<Record<string, SettingValue>>): Promise<KnobChange> {
    this.costModel = undefined;
    return this.knobs.set(knobs);
  }

  resetKnobs(): Promise<void> {
    this.costModel = undefined;
    return this.knobs.reset();
  }

  async setIndexes(_indexes: readonly IndexSpec[], _options?: IndexOptions): Promise<void> {
    throw new PilotScopeError('ENGINE_UNSUPPORTED_OPERATOR', `pushIndex is not supported by ${this.name}: Spark has no indexes. Operators it supports: ${[...this.capabilities.operators].sort().join(', ')}.`, { operator: 'pushIndex', engine: this.name });
  }

  async schema(): Promise<SchemaInfo> {
    if (!this.schemaCache) {
      const tables = await this.pool.use((session) => listTables(session.connection));
      const infos = await Promise.all(tables.map((table) => this.pool.use((session) => describeTable(session.connection, table))));
      this.schemaCache = { tables: infos };
    }
    return this.schemaCache;
  }

  /** Forgets the cached schema (after loading or changing tables). */
  invalidateSchema(): void {
    this.schemaCache = undefined;
    this.widthCache.clear();
  }

  setParallelism(connections: number): void {
    if (!Number.isInteger(connections) || connections < 1) throw new PilotScopeError('USAGE', `Parallelism must be a positive integer, got ${connections}.`);
    this.options.parallelism = connections;
    this.pool.resize(connections);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Runs `fn` on a session with per-request settings applied, restoring them afterwards. */
  private async withSession<T>(settings: Settings, fn: (session: PooledSession) => Promise<T>): Promise<T> {
    return this.pool.use(async (session) => {
      const applied: string[] = [];
      try {
        for (const [key, value] of settings) {
          try {
            await session.connection.execute(`SET ${key}=${value}`);
          } catch (err) {
            throw settingError(err, key);
          }
          applied.push(key);
        }
        return await fn(session);
      } finally {
        await this.restoreSettings(session, applied);
      }
    });
  }

  private async restoreSettings(session: PooledSession, keys: string[]): Promise<void> {
    if (keys.length === 0 || session.connection.isLost) return;
    try {
      for (const key of keys) {
        const knob = session.knobs.get(key);
        await session.connection.execute(knob === undefined ? `RESET ${key}` : `SET ${key}=${knob}`);
      }
    } catch {
      session.connection.destroy(); // a session with leftover settings must not serve other statements
    }
  }

  private async explain(session: PooledSession, sql: string, deadline: number): Promise<StatementOutcome | 'timeout'> {
    const result = await session.connection.execute(sql, { fetch: true, ...this.timing(deadline) });
    return result.status === 'timeout' ? 'timeout' : result;
  }

  private timing(deadline: number): { timeoutMs: number; cancel: (handle: Parameters<SessionPool['cancel']>[0]) => Promise<void> } {
    return { timeoutMs: Math.max(1, deadline - performance.now()), cancel: (handle) => this.pool.cancel(handle) };
  }

  private timedOut(data: PilotTransData, started: number): PilotTransData {
    return { sql: data.sql, status: 'timeout', wallTime: (performance.now() - started) / 1000, ...(data.executedSql ? { executedSql: data.executedSql } : {}) };
  }

  /**
   * Spark's row estimates for relation sets: EXPLAIN COST of their count(*) sub-queries, batched
   * as UNION ALL and spread over the pooled sessions.
   */
  private async estimateRelationSets(query: AnalyzedQuery, keys: RelSetKey[], settings: Settings, deadline: number): Promise<Map<RelSetKey, number> | 'timeout'> {
    const perStatement = Math.max(1, this.options.subqueriesPerStatement ?? SUBQUERIES_PER_STATEMENT);
    const batches: RelSetKey[][] = [];
    for (let i = 0; i < keys.length; i += perStatement) batches.push(keys.slice(i, i + perStatement));
    const rows = new Map<RelSetKey, number>();
    let next = 0;
    let timedOut = false;
    const worker = () =>
      this.withSession(settings, async (session) => {
        while (next < batches.length && !timedOut) {
          const batch = batches[next++]!;
          const sql = `EXPLAIN COST ${batch.map((key) => countSql(query, key)).join(' UNION ALL ')}`;
          const result = await this.explain(session, sql, deadline);
          if (result === 'timeout') {
            timedOut = true;
            return;
          }
          countBatchRows(parseExplainCost(planText(result))).forEach((r, i) => rows.set(batch[i]!, r));
        }
      });
    const workers = Math.min(this.options.parallelism, batches.length);
    await Promise.all(Array.from({ length: workers }, worker));
    return timedOut ? 'timeout' : rows;
  }

  /**
   * Bytes per row that each relation contributes, from the projections over the base relations in
   * EXPLAIN COST of the query itself (cached per query text: it does not depend on pushed values).
   */
  private async relationWidths(query: AnalyzedQuery, settings: Settings, deadline: number): Promise<number[] | 'timeout'> {
    const cached = this.widthCache.get(query.graph.sql);
    if (cached) return cached;
    const plan = await this.withSession(settings, (session) => this.explain(session, `EXPLAIN COST ${query.graph.sql}`, deadline));
    if (plan === 'timeout') return 'timeout';
    const widths = widthsByAlias(query, parseExplainCost(planText(plan)));
    if (this.widthCache.size >= WIDTH_CACHE_SIZE) this.widthCache.delete(this.widthCache.keys().next().value as string);
    this.widthCache.set(query.graph.sql, widths);
    return widths;
  }

  /** Broadcast threshold and shuffle partitions as the statement will see them. */
  private async joinCostModel(settings: Settings): Promise<SparkJoinCostModel> {
    this.costModel ??= this.pool
      .use(async (session) => {
        const read = async (key: string) => String((await session.connection.execute(`SET ${key}`, { fetch: true })).rows[0]?.value ?? '');
        return {
          broadcastThreshold: sizeSetting(await read('spark.sql.autoBroadcastJoinThreshold'), DEFAULT_COST_MODEL.broadcastThreshold),
          shufflePartitions: Number(await read('spark.sql.shuffle.partitions')) || DEFAULT_COST_MODEL.shufflePartitions,
        };
      })
      .catch((err: unknown) => {
        this.costModel = undefined;
        throw err;
      });
    const model = { ...(await this.costModel) };
    const threshold = settings.get('spark.sql.autoBroadcastJoinThreshold');
    if (threshold !== undefined) model.broadcastThreshold = sizeSetting(threshold, model.broadcastThreshold);
    const partitions = Number(settings.get('spark.sql.shuffle.partitions'));
    if (partitions > 0) model.shufflePartitions = partitions;
    return model;
  }
}

function requestSettings(settings: Readonly<Record<string, SettingValue>> | undefined): Settings {
  const out: Settings = new Map();
  for (const [key, value] of Object.entries(settings ?? {})) out.set(settingName(key), settingValue(key, value));
  return out;
}

/** The plan text of an EXPLAIN result (one row, column "plan"). */
function planText(result: StatementOutcome): string {
  return result.rows.map((r) => String(r.plan ?? Object.values(r)[0] ?? '')).join('\n');
}

/** Spark sizes: "10485760", "10485760b", "10MB", "-1". */
function sizeSetting(text: string, fallback: number): number {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$/i.exec(text);
  if (!match) {
    const parsed = parseSize(text);
    return Number.isFinite(parsed) ? parsed : fallback;
  }
  const units: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };
  return Number(match[1]) * units[match[2]!.toLowerCase()]!;
}

/** Pushed cardinalities by relation-set bitmask, and which keys do not name a relation set of the query. */
function matchPushedCards(query: AnalyzedQuery, cards: Readonly<Record<RelSetKey, number>>): { cards: Map<number, number>; report: PushReport } {
  const out = new Map<number, number>();
  const report: PushReport = { applied: [], notApplied: [] };
  const aliases = new Set(query.joinGraph.aliases);
  for (const [key, rows] of Object.entries(cards)) {
    const normalized = relSetAliases(key).sort().join(',');
    const mask = query.masks.get(normalized);
    if (typeof rows !== 'number' || !Number.isFinite(rows) || rows < 0) {
      report.notApplied.push({ key, reason: `the cardinality ${JSON.stringify(rows)} is not a finite non-negative number` });
    } else if (mask === undefined) {
      const unknown = relSetAliases(key).filter((a) => !aliases.has(a));
      report.notApplied.push({
        key,
        reason: unknown.length ? `${unknown.join(', ')} ${unknown.length === 1 ? 'is not an alias' : 'are not aliases'} of the query` : 'these relations are not connected by join conditions in the query',
      });
    } else {
      out.set(mask, rows);
      report.applied.push(normalized);
    }
  }
  return { cards: out, report };
}

function relSetEstimate(key: RelSetKey, query: AnalyzedQuery, sparkRows: Map<RelSetKey, number>, pushed: Map<number, number> | undefined): RelSetEstimate {
  const aliases = relSetAliases(key);
  const plannerRows = sparkRows.get(key) ?? Number.NaN;
  const pushedRows = pushed?.get(query.masks.get(key)!);
  return {
    key,
    aliases,
    relations: aliases.map((a) => tableOf(query, a)),
    kind: aliases.length === 1 ? 'base' : 'join',
    level: 1,
    rows: pushedRows ?? plannerRows,
    plannerRows,
    pushed: pushedRows !== undefined,
  };
}

/**
 * Bytes per row of each alias: the projection right above each base relation (the columns the
 * query reads), matched to aliases by table name in FROM order.
 */
function widthsByAlias(query: AnalyzedQuery, plan: LogicalNode): number[] {
  const found: Array<{ table: string; width: number }> = [];
  const visit = (node: LogicalNode, above: LogicalNode[]) => {
    if (node.table !== undefined) {
      const projection = above.find((n) => n.operator === 'Project' && n.stats?.rowCount);
      const source = projection ?? node;
      const rows = source.stats?.rowCount ?? 0;
      found.push({ table: node.table, width: rows > 0 ? source.stats!.sizeInBytes / rows : 8 });
    }
    node.children.forEach((child) => visit(child, node.operator === 'Join' ? [] : [node, ...above]));
  };
  visit(plan, []);
  return query.joinGraph.aliases.map((alias) => {
    const table = tableOf(query, alias);
    const at = found.findIndex((f) => f.table === table);
    if (at === -1) return 8;
    return Math.max(1, found.splice(at, 1)[0]!.width);
  });
}

/**
 * The PostgreSQL engine: vanilla PostgreSQL 15 plus the pilotscope extension, through `pg`.
 * Every request is one simple-protocol message (see script.ts) on a pooled connection.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { assertSupported, operatorsOf } from '../../src/engine/capabilities.js';
import { relSetKey } from '../../src/engine/relset-key.js';
import type {
  Engine,
  EngineCapabilities,
  ExecutionRequest,
  ExistingIndex,
  IndexOptions,
  IndexSpec,
  KnobChange,
  Operator,
  PilotTransData,
  PushReport,
  RelSetEstimate,
  SchemaInfo,
  SettingValue,
} from '../../src/engine/types.js';
import { PilotScopeError } from '../../src/errors.js';
import { connectionError, type ServerTarget } from './connection.js';
import { KnobManager } from './knobs.js';
import type { JournalEntry } from './knob-journal.js';
import { IndexManager } from './indexes.js';
import { readSchema } from './schema.js';
import { toPlanTree, type PgExplainDocument } from './plan.js';
import { buildScript, type ScriptPlan } from './script.js';

const BASE_OPERATORS: Operator[] = ['pushHint', 'pushKnob', 'pushIndex', 'pullPhysicalPlan', 'pullEstimatedCost', 'pullExecutionTime', 'pullRecord'];

export interface PostgresEngineOptions {
  target: ServerTarget;
  database: string;
  /** Default statement timeout (ms) for requests that set none. */
  timeoutMs: number;
  /** Pool size: the most statements run at once. */
  parallelism: number;
}

/** What the database offers beyond vanilla PostgreSQL. */
interface Extensions {
  pilotscope: boolean;
  /** The library must be LOADed per connection because the server does not preload it. */
  loadPilotscopePerConnection: boolean;
  buffercache: boolean;
  hypopg: boolean;
  missingReason?: string;
}

type Client = pg.PoolClient;

export class PostgresEngine implements Engine {
  readonly kind = 'postgresql';
  readonly name: string;
  readonly capabilities: EngineCapabilities;
  readonly database: string;
  private pool: pg.Pool;
  private readonly prepared = new WeakSet<Client>();
  private readonly knobs: KnobManager;
  private readonly indexes: IndexManager;
  private schemaCache?: SchemaInfo;

  private constructor(private readonly options: PostgresEngineOptions, private readonly extensions: Extensions) {
    this.database = options.database;
    this.name = `PostgreSQL "${options.database}" (${options.target.description})`;
    const operators = new Set<Operator>(BASE_OPERATORS);
    if (extensions.pilotscope) operators.add('pushCard').add('pullSubqueryCard');
    if (extensions.buffercache) operators.add('pullBuffercache');
    this.capabilities = {
      operators,
      cardinalityPush: extensions.pilotscope ? 'planner' : 'none',
      hypotheticalIndexes: extensions.hypopg,
      restartKnobs: options.target.embedded !== undefined,
      dialect: 'postgresql',
    };
    this.pool = this.createPool();
    this.knobs = new KnobManager(this, options.target);
    this.indexes = new IndexManager(this);
  }

  /** Connects, installs the extensions the database needs, and reports what is available. */
  static async open(options: PostgresEngineOptions): Promise<PostgresEngine> {
    const client = new pg.Client(options.target.clientConfig(options.database));
    try {
      await client.connect();
    } catch (err) {
      throw connectionError(err, options.target, options.database);
    }
    try {
      const extensions = await prepareExtensions(client);
      return new PostgresEngine(options, extensions);
    } finally {
      await client.end();
    }
  }

  /** Why an operator is missing, for error messages. */
  get missingExtensionReason(): string | undefined {
    return this.extensions.missingReason;
  }

  async run(request: ExecutionRequest): Promise<PilotTransData> {
    const operators = operatorsOf(request);
    if (this.extensions.missingReason && operators.some((op) => op === 'pushCard' || op === 'pullSubqueryCard')) {
      throw new PilotScopeError('DB_EXTENSION_MISSING', this.extensions.missingReason);
    }
    assertSupported(this, operators);
    const script = buildScript(request, this.options.timeoutMs);
    return this.withClient(async (client) => {
      const started = performance.now();
      try {
        const reply = await client.query(script.text);
        const results = Array.isArray(reply) ? reply : [reply];
        return assemble(request, script, results, (performance.now() - started) / 1000);
      } catch (err) {
        const wallTime = (performance.now() - started) / 1000;
        if (isStatementTimeout(err)) return { sql: request.sql, status: 'timeout', wallTime };
        throw queryError(err, request.sql);
      }
    });
  }

  setKnobs(knobs: Readonly<Record<string, SettingValue>>): Promise<KnobChange> {
    return this.knobs.set(knobs);
  }

  resetKnobs(): Promise<void> {
    return this.knobs.reset();
  }

  /** Knobs pilotscope changed on this server and has not reset yet, with the originals it will restore. */
  pendingKnobs(): Record<string, JournalEntry> {
    return this.knobs.pending();
  }

  async setIndexes(indexes: readonly IndexSpec[], options: IndexOptions = {}): Promise<void> {
    if (options.hypothetical && !this.extensions.hypopg) {
      throw new PilotScopeError('DB_EXTENSION_MISSING', `Hypothetical indexes need the hypopg extension, which ${this.name} does not have. Install postgresql-15-hypopg (\`npm run setup\`) or use real indexes.`);
    }
    await this.indexes.set(indexes, options);
    this.schemaCache = undefined;
  }

  listIndexes(): Promise<ExistingIndex[]> {
    return this.indexes.list();
  }

  async indexSizes(indexes: readonly IndexSpec[]): Promise<number[]> {
    if (!this.extensions.hypopg) {
      throw new PilotScopeError('DB_EXTENSION_MISSING', `Estimating index sizes needs the hypopg extension, which ${this.name} does not have. Install postgresql-15-hypopg (\`npm run setup\`).`);
    }
    return this.indexes.estimateSizes(indexes);
  }

  async dropIndexes(indexes: readonly IndexSpec[]): Promise<string[]> {
    const dropped = await this.indexes.drop(indexes);
    this.schemaCache = undefined;
    return dropped;
  }

  /** Recreates the real indexes that setIndexes(..., { dropOthers: true }) dropped. */
  async restoreDroppedIndexes(): Promise<string[]> {
    const restored = await this.indexes.restoreDropped();
    this.schemaCache = undefined;
    return restored;
  }

  async schema(): Promise<SchemaInfo> {
    this.schemaCache ??= await this.withClient((client) => readSchema(client));
    return this.schemaCache;
  }

  setParallelism(connections: number): void {
    if (!Number.isInteger(connections) || connections < 1) throw new PilotScopeError('USAGE', `Parallelism must be a positive integer, got ${connections}.`);
    this.options.parallelism = connections;
    this.pool.options.max = connections;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * Runs `fn` on a pooled connection that has been prepared (extension loaded, hypothetical
   * indexes current). A connection that broke is destroyed rather than returned to the pool.
   */
  async withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    let client: Client;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw connectionError(err, this.options.target, this.database);
    }
    let broken = false;
    try {
      if (!this.prepared.has(client)) {
        if (this.extensions.loadPilotscopePerConnection) await client.query("LOAD 'pilotscope'");
        this.prepared.add(client);
      }
      await this.indexes.syncHypothetical(client);
      return await fn(client);
    } catch (err) {
      broken = isConnectionLost(err);
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** After a server restart every pooled connection is dead: start a fresh pool. */
  async resetPool(): Promise<void> {
    const old = this.pool;
    this.pool = this.createPool();
    await old.end().catch(() => undefined);
  }

  private createPool(): pg.Pool {
    const pool = new pg.Pool({ ...this.options.target.clientConfig(this.database), max: this.options.parallelism, idleTimeoutMillis: 30_000 });
    pool.on('error', () => undefined); // an idle connection that dies is simply replaced
    return pool;
  }
}

async function prepareExtensions(client: pg.Client): Promise<Extensions> {
  const available = new Set(
    (await client.query<{ name: string }>("SELECT name FROM pg_available_extensions WHERE name IN ('pilotscope', 'pg_buffercache', 'hypopg')")).rows.map((r) => r.name),
  );
  const create = async (name: string): Promise<boolean> => {
    if (!available.has(name)) return false;
    try {
      await client.query(`CREATE EXTENSION IF NOT EXISTS ${name}`);
      return true;
    } catch {
      return (await client.query('SELECT 1 FROM pg_extension WHERE extname = $1', [name])).rowCount === 1;
    }
  };
  const extensions: Extensions = {
    pilotscope: false,
    loadPilotscopePerConnection: false,
    buffercache: await create('pg_buffercache'),
    hypopg: await create('hypopg'),
  };
  if (!(await create('pilotscope'))) {
    extensions.missingReason =
      'The pilotscope PostgreSQL extension is not installed on this server, so cardinalities cannot be pushed or pulled. ' +
      'Run `npm run setup` for the embedded server; for your own server build and install adapters/postgres/extension ' +
      '(see its README), add pilotscope to shared_preload_libraries and restart.';
    return extensions;
  }
  const preload = (await client.query<{ s: string }>("SELECT current_setting('shared_preload_libraries') AS s")).rows[0]!.s;
  if (!/(^|[,\s])pilotscope([,\s]|$)/.test(preload)) {
    try {
      await client.query("LOAD 'pilotscope'");
      extensions.loadPilotscopePerConnection = true;
    } catch (err) {
      extensions.missingReason = `The pilotscope extension is installed but not preloaded, and loading it per session failed (${(err as Error).message}). Add pilotscope to shared_preload_libraries and restart the server.`;
      return extensions;
    }
  }
  extensions.pilotscope = true;
  return extensions;
}

function assemble(request: ExecutionRequest, script: ScriptPlan, results: pg.QueryResult[], wallTime: number): PilotTransData {
  const { pull = {} } = request;
  const data: PilotTransData = { sql: request.sql, status: 'ok', wallTime };
  const explainAt = script.mode === 'execute' ? script.at.explainBeforeExecute : script.at.statement;
  const doc = explainAt !== undefined ? explainDocument(results[explainAt]!) : undefined;

  if (doc && (pull.physicalPlan || pull.estimatedCost)) {
    if (pull.physicalPlan) {
      data.physicalPlan = doc.Plan;
      data.planTree = toPlanTree(doc.Plan);
    }
    if (pull.estimatedCost) data.estimatedCost = doc.Plan['Total Cost'];
  }
  if (script.mode === 'execute') {
    if (pull.records) data.records = results[script.at.statement]!.rows;
    if (script.at.clockBefore !== undefined && script.at.clockAfter !== undefined) {
      const before = Number(results[script.at.clockBefore]!.rows[0].t);
      const after = Number(results[script.at.clockAfter]!.rows[0].t);
      data.executionTime = after - before;
      data.serverTime = data.executionTime;
    }
  } else if (doc) {
    const planning = (doc['Planning Time'] ?? 0) / 1000;
    const execution = (doc['Execution Time'] ?? 0) / 1000;
    data.serverTime = planning + execution;
    if (doc['Planning Time'] !== undefined) data.planningTime = planning;
    if (script.mode === 'explain-analyze' && pull.executionTime) data.executionTime = planning + execution;
  }
  if (script.at.relsets !== undefined) {
    data.relSets = results[script.at.relsets]!.rows.map(toRelSetEstimate);
    data.subqueryCards = Object.fromEntries(data.relSets.filter((r) => r.level === 1).map((r) => [r.key, r.rows]));
  }
  if (script.at.pushReport !== undefined) data.pushReport = toPushReport(results[script.at.pushReport]!.rows);
  if (script.at.buffercache !== undefined) {
    data.buffercache = Object.fromEntries(results[script.at.buffercache]!.rows.map((r: { relname: string; buffers: number }) => [r.relname, r.buffers]));
  }
  return data;
}

function explainDocument(result: pg.QueryResult): PgExplainDocument {
  const value = result.rows[0]?.['QUERY PLAN'] as unknown;
  const parsed = (typeof value === 'string' ? JSON.parse(value) : value) as PgExplainDocument[];
  return parsed[0]!;
}

interface RelSetRow {
  query_level: number;
  kind: 'base' | 'join';
  aliases: string[];
  relnames: string[];
  join_type: string | null;
  rows: number;
  planner_rows: number;
  pushed: boolean;
}

function toRelSetEstimate(row: RelSetRow): RelSetEstimate {
  const estimate: RelSetEstimate = {
    key: relSetKey(row.aliases),
    aliases: row.aliases,
    relations: row.relnames,
    kind: row.kind,
    level: row.query_level,
    rows: Number(row.rows),
    plannerRows: Number(row.planner_rows),
    pushed: row.pushed,
  };
  if (row.join_type) estimate.joinType = row.join_type;
  return estimate;
}

function toPushReport(rows: Array<{ aliases: string[]; applied: boolean; reason: string | null }>): PushReport {
  const report: PushReport = { applied: [], notApplied: [] };
  for (const row of rows) {
    const key = relSetKey(row.aliases);
    if (row.applied) report.applied.push(key);
    else report.notApplied.push({ key, reason: row.reason ?? 'not applied' });
  }
  return report;
}

function isStatementTimeout(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === '57014' && /statement timeout/i.test(e.message ?? '');
}

function isConnectionLost(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return ['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE'].includes(e.code ?? '') || /Connection terminated/i.test(e.message ?? '');
}

function queryError(err: unknown, sql: string): PilotScopeError {
  if (err instanceof PilotScopeError) return err;
  const e = err as { code?: string; message?: string };
  return new PilotScopeError('QUERY_ERROR', `PostgreSQL rejected the statement: ${e.message ?? String(err)}.`, { sqlstate: e.code, sql }, { cause: err });
}

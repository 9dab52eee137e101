/**
 * PilotDataInteractor: the user-facing builder of push and pull operators around statements.
 * Operators registered before execute() apply to that statement and are then cleared (unless
 * `reset: false`). Unlike upstream, pushing cardinalities and pulling sub-query cardinalities in
 * one call is allowed: the pull then reports what the planner used.
 */
import { assertSupported, operatorsOf } from '../engine/capabilities.js';
import type {
  Engine,
  EngineConfig,
  ExecutionRequest,
  IndexOptions,
  IndexSpec,
  JoinTree,
  PilotTransData,
  PullSpec,
  PushSpec,
  RelSetKey,
  SettingValue,
} from '../engine/types.js';
import { PilotScopeError, toPilotScopeError } from '../errors.js';

export interface ExecuteOptions {
  /** Clear the registered operators after this statement (default true). */
  reset?: boolean;
  /** Statement timeout in milliseconds for this call. */
  timeoutMs?: number;
}

export type SettledResult = { status: 'fulfilled'; value: PilotTransData } | { status: 'rejected'; reason: PilotScopeError };

interface Registered {
  push: PushSpec;
  pull: PullSpec;
  knobs?: Record<string, SettingValue>;
  indexes?: { indexes: IndexSpec[]; options: IndexOptions };
}

export class PilotDataInteractor {
  private enginePromise?: Promise<Engine>;
  private config?: EngineConfig;
  private readonly ownsEngine: boolean;
  private registered: Registered = { push: {}, pull: {} };
  /** What is applied on the engine now, so repeated pushes do not re-apply (or restart) needlessly. */
  private appliedKnobs?: string;
  private appliedIndexes?: string;

  constructor(source: Engine | EngineConfig, private readonly defaults: { timeoutMs?: number } = {}) {
    if (isEngine(source)) {
      this.enginePromise = Promise.resolve(source);
      this.ownsEngine = false;
    } else {
      this.config = source;
      this.ownsEngine = true;
    }
  }

  /** The engine, opened on first use when the interactor was built from a config. */
  engine(): Promise<Engine> {
    this.enginePromise ??= this.config!.createEngine();
    return this.enginePromise;
  }

  pushCard(cards: Readonly<Record<RelSetKey, number>> | ReadonlyMap<RelSetKey, number>): this {
    this.registered.push.cards = cards instanceof Map ? Object.fromEntries(cards) : { ...(cards as Record<RelSetKey, number>) };
    return this;
  }

  /** Session settings for the statement (upstream's push_hint); `comment` is placed before the SQL. */
  pushHint(settings: Readonly<Record<string, SettingValue>>, comment?: string): this {
    this.registered.push.settings = { ...this.registered.push.settings, ...settings };
    if (comment !== undefined) this.registered.push.comment = comment;
    return this;
  }

  pushJoinOrder(tree: JoinTree): this {
    this.registered.push.joinOrder = tree;
    return this;
  }

  /** Server knobs, applied before the statement (reload or restart as each needs). */
  pushKnob(knobs: Readonly<Record<string, SettingValue>>): this {
    this.registered.knobs = { ...this.registered.knobs, ...knobs };
    return this;
  }

  pushIndex(indexes: readonly IndexSpec[], options: IndexOptions = {}): this {
    this.registered.indexes = { indexes: [...indexes], options };
    return this;
  }

  pullSubqueryCard(): this {
    this.registered.pull.subqueryCards = true;
    return this;
  }

  pullPhysicalPlan(): this {
    this.registered.pull.physicalPlan = true;
    return this;
  }

  pullEstimatedCost(): this {
    this.registered.pull.estimatedCost = true;
    return this;
  }

  pullExecutionTime(): this {
    this.registered.pull.executionTime = true;
    return this;
  }

  pullRecord(): this {
    this.registered.pull.records = true;
    return this;
  }

  pullBuffercache(): this {
    this.registered.pull.buffercache = true;
    return this;
  }

  /** Forgets every registered operator. */
  reset(): this {
    this.registered = { push: {}, pull: {} };
    return this;
  }

  async execute(sql: string, options: ExecuteOptions = {}): Promise<PilotTransData> {
    const engine = await this.engine();
    const request = this.request(sql, options);
    assertSupported(engine, this.operators(request));
    try {
      await this.applyServerState(engine);
      return await engine.run(request);
    } finally {
      if (options.reset !== false) this.reset();
    }
  }

  /** Runs statements one after another with the same operators; resets after the last. */
  async executeBatch(sqls: readonly string[], options: ExecuteOptions = {}): Promise<PilotTransData[]> {
    const results: PilotTransData[] = [];
    try {
      for (const sql of sqls) results.push(await this.execute(sql, { ...options, reset: false }));
    } finally {
      if (options.reset !== false) this.reset();
    }
    return results;
  }

  /**
   * Runs statements concurrently over `parallelism` connections with the same operators. Results
   * come back in input order; a statement that fails yields its own rejected entry.
   */
  async executeParallel(sqls: readonly string[], parallelism = 4, options: ExecuteOptions = {}): Promise<SettledResult[]> {
    if (!Number.isInteger(parallelism) || parallelism < 1) throw new PilotScopeError('USAGE', `parallelism must be a positive integer, got ${parallelism}.`);
    const engine = await this.engine();
    const template = this.request('', options);
    assertSupported(engine, this.operators(template));
    try {
      await this.applyServerState(engine);
      engine.setParallelism(Math.max(parallelism, 1));
      const results: SettledResult[] = new Array(sqls.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < sqls.length) {
          const i = next++;
          try {
            results[i] = { status: 'fulfilled', value: await engine.run({ ...template, sql: sqls[i]! }) };
          } catch (err) {
            results[i] = { status: 'rejected', reason: toPilotScopeError(err, 'QUERY_ERROR') };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallelism, sqls.length) }, worker));
      return results;
    } finally {
      if (options.reset !== false) this.reset();
    }
  }

  async close(): Promise<void> {
    if (this.ownsEngine && this.enginePromise) {
      const engine = await this.enginePromise.catch(() => undefined);
      this.enginePromise = undefined;
      await engine?.close();
    }
  }

  private request(sql: string, options: ExecuteOptions): ExecutionRequest {
    const timeoutMs = options.timeoutMs ?? this.defaults.timeoutMs;
    return {
      sql,
      push: { ...this.registered.push },
      pull: { ...this.registered.pull },
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    };
  }

  private operators(request: ExecutionRequest) {
    const ops = operatorsOf(request);
    if (this.registered.knobs) ops.push('pushKnob');
    if (this.registered.indexes) ops.push('pushIndex');
    return ops;
  }

  private async applyServerState(engine: Engine): Promise<void> {
    const { knobs, indexes } = this.registered;
    if (knobs) {
      const signature = JSON.stringify(Object.entries(knobs).sort());
      if (signature !== this.appliedKnobs) {
        await engine.setKnobs(knobs);
        this.appliedKnobs = signature;
      }
    }
    if (indexes) {
      const signature = JSON.stringify(indexes);
      if (signature !== this.appliedIndexes) {
        await engine.setIndexes(indexes.indexes, indexes.options);
        this.appliedIndexes = signature;
      }
    }
  }
}

function isEngine(source: Engine | EngineConfig): source is Engine {
  return typeof (source as Engine).run === 'function';
}

/**
 * PilotScheduler: applies an algorithm to every query. init() runs start-up events (pretraining:
 * collect then train); execute(sql) asks the registered handlers what to push, runs the statement
 * with the pulls registered as required, stores what was pulled, and fires per-query events.
 */
import { performance } from 'node:perf_hooks';
import type { Engine, ExecutionRequest, PilotTransData, PullSpec, PushSpec } from '../engine/types.js';
import { PilotScopeError } from '../errors.js';
import { TimeStatistic } from '../timing/index.js';
import type { HandlerDecision, ProgressReporter, QueryHandler, QueryOutcome, RowStore, SchedulerContext, SchedulerEvent } from './types.js';

export interface SchedulerOptions {
  engine: Engine;
  store: RowStore;
  timers?: TimeStatistic;
  progress?: ProgressReporter;
  /** Statement timeout for executed queries (ms). */
  timeoutMs?: number;
}

export const SILENT_PROGRESS: ProgressReporter = { start() {}, tick() {}, finish() {} };

export class PilotScheduler {
  readonly timers: TimeStatistic;
  readonly notices: string[] = [];
  private readonly handlers: QueryHandler[] = [];
  private readonly events: SchedulerEvent[] = [];
  private required?: { table: string; pull: PullSpec };
  private initialized = false;
  private readonly context: SchedulerContext;
  /** Server time spent by handlers' own engine calls during the current query. */
  private handlerServerTime = 0;
  /**
   * Stored rows are written behind the queries: a durable write (fsync) costs milliseconds, so it
   * overlaps the next query instead of adding to this one. Rows queued meanwhile go out as one
   * batch. flush() waits for them; a write error surfaces at the next execute() or flush().
   */
  private readonly queuedRows: Record<string, unknown>[] = [];
  private writer?: Promise<void>;
  private writeError?: unknown;

  constructor(private readonly options: SchedulerOptions) {
    this.timers = options.timers ?? new TimeStatistic();
    const engine = this.meteredEngine(options.engine);
    this.context = {
      engine,
      store: options.store,
      timers: this.timers,
      progress: options.progress ?? SILENT_PROGRESS,
      timeoutMs: options.timeoutMs ?? 300_000,
      notice: (text) => {
        this.notices.push(text);
      },
      flushStore: () => this.flush(),
    };
  }

  get engine(): Engine {
    return this.options.engine;
  }

  registerHandlers(...handlers: QueryHandler[]): this {
    for (const handler of handlers) {
      if (this.handlers.some((h) => h.name === handler.name)) {
        throw new PilotScopeError('USAGE', `A handler named "${handler.name}" is already registered.`);
      }
      this.handlers.push(handler);
    }
    return this;
  }

  registerEvents(...events: SchedulerEvent[]): this {
    this.events.push(...events);
    return this;
  }

  /** Every executed query stores these pulls (plus its timings) as one row of `table`. */
  registerRequiredData(table: string, pull: PullSpec): this {
    this.required = { table, pull: { ...pull } };
    return this;
  }

  /** Runs start-up events once (pretraining and the like). */
  async init(): Promise<void> {
    if (this.initialized) return;
    for (const event of this.events) {
      if (event.onInit) await this.timers.time(`event:${event.name}`, () => event.onInit!(this.context));
    }
    this.initialized = true;
  }

  async execute(sql: string): Promise<QueryOutcome> {
    this.throwWriteError();
    if (!this.initialized) await this.init();
    const started = performance.now();
    this.handlerServerTime = 0;
    const decisions: Array<{ handler: QueryHandler; decision: HandlerDecision }> = [];
    for (const handler of this.handlers) {
      const decision = await this.timers.time(`decide:${handler.name}`, () => handler.decide(sql, this.context));
      decisions.push({ handler, decision });
    }
    const request: ExecutionRequest = {
      sql,
      push: mergePushes(decisions.map((d) => d.decision.push)),
      pull: mergePulls([this.required?.pull ?? { executionTime: true }, ...decisions.map((d) => d.decision.pull)]),
      timeoutMs: this.context.timeoutMs,
    };
    const data = await this.timers.time('engine', () => this.options.engine.run(request));
    const handlers: QueryOutcome['handlers'] = [];
    for (const { handler, decision } of decisions) {
      const extra = handler.after ? await this.timers.time(`after:${handler.name}`, () => handler.after!(sql, decision, data, this.context)) : undefined;
      const details = { ...decision.details, ...(extra ?? {}) };
      handlers.push({
        name: handler.name,
        ...(decision.fallback !== undefined ? { fallback: decision.fallback } : {}),
        ...(Object.keys(details).length ? { details } : {}),
      });
    }
    const endToEndTime = (performance.now() - started) / 1000;
    const outcome: QueryOutcome = {
      sql,
      data,
      handlers,
      endToEndTime,
      overheadTime: Math.max(0, endToEndTime - (data.serverTime ?? 0) - this.handlerServerTime),
    };
    if (this.required) this.queueRow(storedRow(outcome));
    if (data.status === 'ok') {
      for (const event of this.events) {
        if (event.onQueryFinished) await this.timers.time(`event:${event.name}`, () => event.onQueryFinished!(outcome, this.context));
      }
    }
    return outcome;
  }

  /** Waits until every stored row is written. */
  async flush(): Promise<void> {
    while (this.writer) await this.writer;
    this.throwWriteError();
  }

  private queueRow(row: Record<string, unknown>): void {
    this.queuedRows.push(row);
    this.writer ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queuedRows.length > 0) {
        const rows = this.queuedRows.splice(0);
        await this.timers.time('store', () => this.options.store.saveBatch(this.required!.table, rows));
      }
    } catch (err) {
      this.writeError ??= err;
    } finally {
      this.writer = undefined;
    }
  }

  private throwWriteError(): void {
    if (this.writeError === undefined) return;
    const err = this.writeError;
    this.writeError = undefined;
    throw err;
  }

  /** Wraps the engine so the server time of handlers' own requests is known (it is database work, not overhead). */
  private meteredEngine(engine: Engine): Engine {
    const run = async (request: ExecutionRequest): Promise<PilotTransData> => {
      const data = await engine.run(request);
      this.handlerServerTime += data.serverTime ?? 0;
      return data;
    };
    return new Proxy(engine, {
      get: (target, prop, receiver) => (prop === 'run' ? run : Reflect.get(target, prop, receiver)),
    });
  }
}

/** Later handlers add to (and, for the same key, override) what earlier ones push. */
export function mergePushes(pushes: ReadonlyArray<PushSpec | undefined>): PushSpec {
  const merged: PushSpec = {};
  for (const push of pushes) {
    if (!push) continue;
    if (push.cards) merged.cards = { ...merged.cards, ...push.cards };
    if (push.settings) merged.settings = { ...merged.settings, ...push.settings };
    if (push.comment !== undefined) merged.comment = merged.comment ? `${merged.comment} ${push.comment}` : push.comment;
    if (push.joinOrder !== undefined) merged.joinOrder = push.joinOrder;
  }
  return merged;
}

export function mergePulls(pulls: ReadonlyArray<PullSpec | undefined>): PullSpec {
  const merged: PullSpec = {};
  for (const pull of pulls) {
    for (const [key, value] of Object.entries(pull ?? {})) if (value) merged[key as keyof PullSpec] = true;
  }
  return merged;
}

/** One stored row per executed query: what was pulled, what was pushed, and where time went. */
function storedRow(outcome: QueryOutcome): Record<string, unknown> {
  const { data } = outcome;
  const row: Record<string, unknown> = {
    sql: outcome.sql,
    status: data.status,
    end_to_end_time: outcome.endToEndTime,
    overhead_time: outcome.overheadTime,
  };
  if (data.executionTime !== undefined) row.execution_time = data.executionTime;
  if (data.estimatedCost !== undefined) row.estimated_cost = data.estimatedCost;
  if (data.physicalPlan !== undefined) row.physical_plan = data.physicalPlan;
  if (data.subqueryCards !== undefined) row.subquery_cards = data.subqueryCards;
  if (data.buffercache !== undefined) row.buffercache = data.buffercache;
  if (data.records !== undefined) row.record_count = data.records.length;
  const fallbacks = outcome.handlers.filter((h) => h.fallback).map((h) => `${h.name}: ${h.fallback}`);
  if (fallbacks.length) row.fallback = fallbacks.join('; ');
  return row;
}

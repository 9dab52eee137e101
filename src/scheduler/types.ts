/**
 * What algorithms plug into the scheduler: query handlers decide what to push for each query;
 * events run at start-up (pretraining: collect then train) and after queries (periodic model
 * updates, periodic collection).
 */
import type { Engine, PilotTransData, PullSpec, PushSpec } from '../engine/types.js';
import type { TimeStatistic } from '../timing/index.js';

/** Where collected rows go (the DataManager). */
export interface RowStore {
  save(table: string, row: Record<string, unknown>): Promise<unknown>;
  saveBatch(table: string, rows: readonly Record<string, unknown>[]): Promise<unknown>;
  readAll(table: string): Promise<Record<string, unknown>[]>;
  readUpdate(table: string, reader?: string): Promise<Record<string, unknown>[]>;
}

/** Progress of long work (collection, training), for bars and logs. */
export interface ProgressReporter {
  start(task: string, total?: number): void;
  tick(task: string, done: number, detail?: string): void;
  finish(task: string, detail?: string): void;
}

export interface SchedulerContext {
  readonly engine: Engine;
  readonly store: RowStore;
  readonly timers: TimeStatistic;
  readonly progress: ProgressReporter;
  /** Statement timeout for the workload (ms). */
  readonly timeoutMs: number;
  /** Free-text notices for the run's summary (e.g. "12 queries fell back to PostgreSQL's estimates"). */
  notice(text: string): void;
  /** Waits until the rows of executed queries are in the store (they are written behind the queries). */
  flushStore(): Promise<void>;
}

/** A handler's decision for one query. */
export interface HandlerDecision {
  push?: PushSpec;
  /** Extra pulls the handler needs to check the outcome (e.g. the executed plan). */
  pull?: PullSpec;
  /** Set when the handler stepped aside for this query: why (the query then runs unassisted). */
  fallback?: string;
  /** Anything worth recording per query (pushed cardinalities, chosen candidate, ...). */
  details?: Record<string, unknown>;
}

export interface QueryHandler {
  readonly name: string;
  decide(sql: string, ctx: SchedulerContext): Promise<HandlerDecision>;
  /** Called after the statement ran; what it returns is merged into the query's details. */
  after?(sql: string, decision: HandlerDecision, data: PilotTransData, ctx: SchedulerContext): Promise<Record<string, unknown> | void>;
}

/** The result of one scheduled query. */
export interface QueryOutcome {
  sql: string;
  data: PilotTransData;
  /** Per handler: its fallback reason (if any) and details. */
  handlers: Array<{ name: string; fallback?: string; details?: Record<string, unknown> }>;
  /** Middleware time for this query in seconds: everything except the engine's own work. */
  overheadTime: number;
  /** End-to-end time as the caller saw it, seconds. */
  endToEndTime: number;
}

export interface SchedulerEvent {
  readonly name: string;
  /** Runs during scheduler.init(), in registration order. */
  onInit?(ctx: SchedulerContext): Promise<void>;
  /** Runs after each successfully executed query. */
  onQueryFinished?(outcome: QueryOutcome, ctx: SchedulerContext): Promise<void>;
}

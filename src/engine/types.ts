/**
 * The engine interface: one request/response shape per statement, for every database.
 *
 * Adapters (adapters/postgres, adapters/spark) implement `Engine`. Nothing else in src/ knows
 * which database it talks to; it receives an Engine.
 */

/**
 * A relation set (a sub-query of a join query) is keyed by the sorted list of its aliases in the
 * query, joined by ','. The same key is used to push and to pull, on every engine.
 */
export type RelSetKey = string;

/** The push and pull operators, named as on PilotDataInteractor. */
export type Operator =
  | 'pushCard'
  | 'pushHint'
  | 'pushKnob'
  | 'pushIndex'
  | 'pushJoinOrder'
  | 'pullSubqueryCard'
  | 'pullPhysicalPlan'
  | 'pullEstimatedCost'
  | 'pullExecutionTime'
  | 'pullRecord'
  | 'pullBuffercache';

export const ALL_OPERATORS: readonly Operator[] = [
  'pushCard',
  'pushHint',
  'pushKnob',
  'pushIndex',
  'pushJoinOrder',
  'pullSubqueryCard',
  'pullPhysicalPlan',
  'pullEstimatedCost',
  'pullExecutionTime',
  'pullRecord',
  'pullBuffercache',
];

/** What an engine can do. Asking for anything else fails before any SQL is sent. */
export interface EngineCapabilities {
  readonly operators: ReadonlySet<Operator>;
  /**
   * How pushed cardinalities take effect: 'planner' means the database's own planner uses them
   * for every relation set (PostgreSQL extension); 'join-order' means we choose the join order and
   * methods from them and emit SQL the engine keeps (Spark).
   */
  readonly cardinalityPush: 'planner' | 'join-order' | 'none';
  /** Indexes can be hypothetical (what-if, planner only). */
  readonly hypotheticalIndexes: boolean;
  /** Knobs whose context needs a restart can be applied (only on a server we manage). */
  readonly restartKnobs: boolean;
  /** SQL dialect for generated sub-queries and rewritten statements. */
  readonly dialect: 'postgresql' | 'spark';
}

export type SettingValue = string | number | boolean;

/** A join tree for pushJoinOrder: leaves are aliases, inner nodes join two subtrees. */
export type JoinTree = string | { left: JoinTree; right: JoinTree; method?: JoinMethod };
export type JoinMethod = 'hash' | 'merge' | 'nestloop' | 'broadcast';

export interface PushSpec {
  /** Row counts per relation set; the planner uses them instead of its own estimates. */
  cards?: Readonly<Record<RelSetKey, number>>;
  /** Session settings for this statement only (SET LOCAL on PostgreSQL, SET/RESET on Spark). */
  settings?: Readonly<Record<string, SettingValue>>;
  /** A comment placed before the statement (hint text for engines that read it). */
  comment?: string;
  /** Force this join order (and optionally join methods). */
  joinOrder?: JoinTree;
}

export interface PullSpec {
  subqueryCards?: boolean;
  physicalPlan?: boolean;
  estimatedCost?: boolean;
  executionTime?: boolean;
  records?: boolean;
  buffercache?: boolean;
}

export interface ExecutionRequest {
  sql: string;
  push?: PushSpec;
  pull?: PullSpec;
  /** Statement timeout in milliseconds; on expiry the result has status 'timeout'. */
  timeoutMs?: number;
}

/** A relation set the planner built, as pulled from the engine. */
export interface RelSetEstimate {
  key: RelSetKey;
  aliases: string[];
  /** Table names, in the order of `aliases`. */
  relations: string[];
  kind: 'base' | 'join';
  /** Query level (1 = top level) where the engine distinguishes nesting. */
  level: number;
  joinType?: string;
  /** Rows the planner used (after any push). */
  rows: number;
  /** The planner's own estimate before any push. */
  plannerRows: number;
  /** A pushed value was applied to this relation set. */
  pushed: boolean;
}

/** Pushed cardinalities that did not take effect, and why. */
export interface PushReport {
  applied: RelSetKey[];
  notApplied: Array<{ key: RelSetKey; reason: string }>;
}

/** An engine-neutral plan tree (what learned optimizers featurize). */
export interface PlanNode {
  nodeType: string;
  relationName?: string;
  alias?: string;
  /** Estimated output rows. */
  rows: number;
  /** Estimated average row width in bytes. */
  width: number;
  totalCost?: number;
  actualRows?: number;
  children: PlanNode[];
}

export type Row = Record<string, unknown>;

/** What came back from one statement (upstream's PilotTransData, camelCase). */
export interface PilotTransData {
  sql: string;
  /** 'timeout' when the statement timeout fired; the pulls that need execution are then absent. */
  status: 'ok' | 'timeout';
  records?: Row[];
  /** The engine's own plan document (PostgreSQL: the "Plan" object of EXPLAIN FORMAT JSON). */
  physicalPlan?: unknown;
  /** The same plan, engine-neutral. */
  planTree?: PlanNode;
  /** Execution time in seconds, measured by the server where it can be. */
  executionTime?: number;
  estimatedCost?: number;
  /** Buffers in the shared buffer cache per relation. */
  buffercache?: Record<string, number>;
  /** Rows per relation set, as the planner used them. */
  subqueryCards?: Record<RelSetKey, number>;
  /** Detail behind subqueryCards. */
  relSets?: RelSetEstimate[];
  /** Present when cardinalities were pushed. */
  pushReport?: PushReport;
  /** The statement the engine ran instead of `sql` when it rewrote it (a forced join order). */
  executedSql?: string;
  /**
   * The join order the engine chose from pushed cardinalities ('join-order' engines), with the
   * join methods it asked for.
   */
  joinOrder?: JoinTree;
  /** With a forced join order and a pulled plan: whether the engine's plan kept that order and those methods. */
  joinOrderFollowed?: boolean;
  /** Time spent inside the engine's server for this request (planning + execution), seconds. */
  serverTime?: number;
  /** Of that, the time spent planning, seconds (engines that report it; PostgreSQL when the statement ran as EXPLAIN). */
  planningTime?: number;
  /** Wall time of the whole request as the client saw it, seconds. */
  wallTime?: number;
}

export type ColumnKind = 'integer' | 'float' | 'text' | 'date' | 'timestamp' | 'boolean' | 'other';

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  /** The engine's own type name. */
  nativeType: string;
  /** Numeric view of the range (dates and timestamps as epoch seconds). */
  min?: number;
  max?: number;
  distinct?: number;
  nullFraction?: number;
}

export interface TableInfo {
  name: string;
  rowCount: number;
  columns: ColumnInfo[];
}

export interface SchemaInfo {
  tables: TableInfo[];
}

export interface IndexSpec {
  table: string;
  columns: string[];
  name?: string;
}

/** A real index as an engine lists it. */
export interface ExistingIndex extends IndexSpec {
  name: string;
  /** Key columns in order; `expression` is set when some keys are expressions (not listed). */
  expression: boolean;
  unique: boolean;
  /** Backs a primary key, unique or exclusion constraint (never dropped by pilotscope). */
  constraint: boolean;
}

export interface IndexOptions {
  /** What-if indexes visible to the planner only. */
  hypothetical?: boolean;
  /** Drop (or hide, when hypothetical) other non-constraint indexes on the tables. */
  dropOthers?: boolean;
}

export interface KnobChange {
  applied: Record<string, SettingValue>;
  /** How the change took effect. */
  method: 'session' | 'reload' | 'restart';
}

export interface Engine {
  /** 'postgresql' or 'spark'. */
  readonly kind: string;
  /** A human-readable name for messages, e.g. "PostgreSQL stats_tiny@127.0.0.1:5433". */
  readonly name: string;
  readonly capabilities: EngineCapabilities;

  /** Runs one statement with its pushes and pulls. Safe to call concurrently (a pool serves it). */
  run(request: ExecutionRequest): Promise<PilotTransData>;

  /** Applies knobs (reload or restart as the setting needs); `resetKnobs` restores the originals. */
  setKnobs(knobs: Readonly<Record<string, SettingValue>>): Promise<KnobChange>;
  resetKnobs(): Promise<void>;

  /** Replaces the set of indexes the planner sees (real or hypothetical). */
  setIndexes(indexes: readonly IndexSpec[], options?: IndexOptions): Promise<void>;

  /** Engines with indexes: the real indexes that exist now. */
  listIndexes?(): Promise<ExistingIndex[]>;
  /** Engines with hypothetical indexes: estimated size in bytes of each index if it were built. */
  indexSizes?(indexes: readonly IndexSpec[]): Promise<number[]>;
  /** Engines with indexes: drops real indexes by name (as setIndexes names them); returns the names dropped. */
  dropIndexes?(indexes: readonly IndexSpec[]): Promise<string[]>;

  schema(): Promise<SchemaInfo>;

  /** Upper bound on concurrent statements (the connection pool size). */
  setParallelism(connections: number): void;

  close(): Promise<void>;
}

/** Anything that can open an engine: the config classes of the adapters. */
export interface EngineConfig {
  readonly engineKind: string;
  createEngine(): Promise<Engine>;
}

/**
 * Experiments: what to run (algorithm x dataset x parameters x workload), what the runner needs
 * from its surroundings (datasets, engines, algorithms), and what it writes (summaries and
 * per-query detail rows).
 */
import type { Algorithm, AlgorithmName, ModelInfo, ParamValue, QualityReport } from '../algorithms/types.js';
import type { Engine } from '../engine/types.js';
import type { ProgressReporter, RowStore } from '../scheduler/types.js';

/** A dataset as the registry names it; scale and seed apply to the generated `synthetic` one. */
export interface DatasetRef {
  name: string;
  scale?: number;
  seed?: number;
}

/**
 * Which queries an experiment runs (its test workload). By default the tested dataset's test
 * split. `dataset`: the test queries of another registered dataset, run against the tested
 * dataset's database (e.g. a custom workload over the same data). `file`: a file of SQL
 * statements. `split: 'validation'` is the held-out part of the training split (sweeps).
 */
export interface WorkloadRef {
  dataset?: DatasetRef;
  file?: string;
  split?: 'test' | 'validation';
}

/** One experiment: an algorithm with parameters on a dataset. */
export interface ExperimentSpec {
  /** Names the result files: 1-100 characters from A-Z a-z 0-9 _ - (not starting with -). */
  name: string;
  algorithm: AlgorithmName;
  dataset: DatasetRef;
  /** Algorithm parameters as given (checked against the algorithm's ParamSpecs). */
  params: Readonly<Record<string, unknown>>;
  workload?: WorkloadRef;
  /** Run only the first `limit` queries of the workload. */
  limit?: number;
  /** Statement timeout for the workload's queries (ms); default from the settings. */
  timeoutMs?: number;
  /** Seed for everything random in the algorithm (default 42). */
  seed?: number;
}

/** The queries of a dataset, as the dataset registry returns them. */
export interface WorkloadQueries {
  train: string[];
  test: string[];
  notices: string[];
}

/** What the runner needs of a dataset (structurally the datasets module's `Dataset`). */
export interface DatasetHandle {
  name: string;
  /** The database its data lives in. */
  database: string;
  workload(): Promise<WorkloadQueries>;
  notices: string[];
}

/** Finds datasets by name (the dataset registry). */
export interface DatasetSource {
  open(ref: DatasetRef): Promise<DatasetHandle>;
  /** Names that `open` accepts, for error messages. */
  names(): string[];
}

/** Opens engines of one kind and loads datasets into them. */
export interface EngineProvider {
  /** 'postgresql' or 'spark'. */
  kind: string;
  /** Makes sure the dataset's data is loaded (skipped when it already is). */
  prepare(dataset: DatasetHandle, onProgress?: (message: string) => void): Promise<void>;
  open(database: string): Promise<Engine>;
}

/** Everything the runner takes from its surroundings (the CLI or a program builds it). */
export interface ExperimentEnvironment {
  /** State directory: the algorithms keep models and collected data under it. */
  home: string;
  datasets: DatasetSource;
  engine: EngineProvider;
  /** The algorithm registry. */
  algorithms: ReadonlyMap<string, Algorithm>;
  /** Where algorithms store collected rows (created under `home` when absent). */
  store?: RowStore & { close?(): Promise<void> };
  progress?: ProgressReporter;
  /** Human notices (stderr in the CLI). */
  log?(text: string): void;
  timeoutMs: number;
  parallelism: number;
}

/** How the runner treats earlier results of the same experiment in the output directory. */
export interface RunOptions {
  /** Where results go (created if missing). */
  output: string;
  /** Discard earlier (finished or interrupted) results of the same experiment and start over. */
  fresh?: boolean;
}

/** Per-query status in the detail table. */
export type QueryStatus = 'ok' | 'timeout' | 'failed';

/** One relation set of a query: what the planner used, its own estimate, and the truth when known. */
export interface CardinalityRow {
  key: string;
  /** Rows the planner used (a pushed value when one was applied). */
  rows: number;
  /** The database's own estimate. */
  planner_rows: number;
  pushed: boolean;
  /** Actual rows from the executed plan (null when the plan does not show them). */
  true_rows: number | null;
}

/** One row of the per-query detail table (`<experiment>.arrow` / `.parquet`). */
export interface QueryDetailRow {
  query_index: number;
  sql: string;
  status: QueryStatus;
  error: string | null;
  /** End-to-end seconds as the runner saw them (the time until the timeout for timeouts). */
  time: number;
  /** Seconds the database spent executing (server-measured where possible). */
  execution_time: number | null;
  /** Middleware seconds (everything except the database's own work). */
  overhead_time: number | null;
  estimated_cost: number | null;
  /** The engine's own plan document (PostgreSQL: EXPLAIN's "Plan" object). */
  physical_plan: unknown;
  /** The same plan, engine-neutral (node type, relation, alias, rows, children). */
  plan_tree: unknown;
  plan_signature: string | null;
  /** Whether the plan differs from the baseline's plan of the same query (null: no baseline). */
  plan_changed: boolean | null;
  cards: CardinalityRow[] | null;
  fallback: string | null;
  /** Handler details (pushed cardinalities, chosen candidate, ...). */
  handlers: unknown;
  /** Milliseconds per timing stage spent on this query. */
  stages: Record<string, number>;
}

export interface Percentiles {
  count: number;
  median: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface EnvironmentInfo {
  pilotscope: string;
  node: string;
  engine: { kind: string; version: string | null };
  os: { platform: string; release: string; arch: string };
  machine: { cpu: string; cores: number; memory_gb: number };
}

/** The JSON summary of one experiment (`<experiment>.json`). Times are in seconds. */
export interface ExperimentSummary {
  format: 'pilotscope-experiment';
  format_version: 1;
  experiment: string;
  algorithm: string;
  /** A label: the name, with scale and seed for synthetic data. */
  dataset: string;
  dataset_ref: DatasetRef;
  database: string;
  engine: string;
  workload: { source: string; queries: number };
  parameters: Record<string, ParamValue>;
  model: ModelInfo | null;
  queries: number;
  completed: number;
  timeouts: number;
  failures: number;
  total_time: number;
  average_time: number;
  median_time: number;
  p95_time: number;
  db_execution_time: number;
  overhead_time: number;
  collection_time: number;
  training_time: number;
  /** Timing stages (TimeStatistic, ms): `init` covers collection and training, `workload` the test queries. */
  overhead_breakdown: { unit: 'ms'; init: Record<string, StageFigures>; workload: Record<string, StageFigures> };
  /** q-error of the cardinalities the planner used against the executed plan's actual rows. */
  q_error: { used: Percentiles | null; database: Percentiles | null };
  plan_changes: { compared: number; changed: number } | null;
  quality: QualityReport;
  notices: string[];
  environment: EnvironmentInfo;
  started_at: string;
  finished_at: string;
  /** How many times an interrupted run was continued. */
  resumed: number;
  fingerprint: string;
  files: { detail_arrow: string; detail_parquet: string };
}

/** One timing stage: how often it ran and the milliseconds it took (nested stages count in their parents too). */
export interface StageFigures {
  count: number;
  total_ms: number;
  mean_ms: number;
}

/** The run's outcome for callers: the summary and where it was written. */
export interface ExperimentResult {
  summary: ExperimentSummary;
  file: string;
  /** True when an earlier finished result was reused as is. */
  reused: boolean;
}

/**
 * The contract between algorithms (baseline, mscn, lero, knob, index) and whoever runs them (the
 * experiment runner, programs importing the library). An algorithm builds a scheduler for one
 * experiment; collection and training happen in scheduler.init(), the tested workload goes
 * through scheduler.execute().
 */
import type { Engine } from '../engine/types.js';
import type { PilotScheduler } from '../scheduler/scheduler.js';
import type { ProgressReporter, RowStore } from '../scheduler/types.js';
import type { TimeStatistic } from '../timing/index.js';

export const ALGORITHM_NAMES = ['baseline', 'mscn', 'lero', 'knob', 'index'] as const;
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];

export type ParamValue = string | number | boolean;

/** One tunable parameter. Names are snake_case as in experiment files and `--set k=v`. */
export interface ParamSpec {
  name: string;
  type: 'boolean' | 'integer' | 'number' | 'string';
  default: ParamValue | null;
  description: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

/** A workload to train on: its queries and an engine on the database they run against. */
export interface TrainingWorkload {
  /** The dataset the queries belong to (for model metadata), or "file:<path>". */
  dataset: string;
  engine: Engine;
  queries: string[];
}

export interface AlgorithmContext {
  /** The dataset under test and an engine on its database. */
  dataset: string;
  engine: Engine;
  /** The tested dataset's training workload (what "trainingDataset: auto" means). */
  trainingQueries: string[];
  /**
   * Resolves a training choice: a registered dataset name (its train workload, on its own
   * database, loaded on demand) or a file of SQL (run against `dataset`'s database).
   */
  trainingWorkload(choice: { dataset?: string; file?: string }): Promise<TrainingWorkload>;
  store: RowStore;
  /** State directory: models and collected data live under it. */
  home: string;
  timers: TimeStatistic;
  progress: ProgressReporter;
  timeoutMs: number;
  parallelism: number;
  /** Seed for everything random in the algorithm. */
  seed: number;
  notice(text: string): void;
}

/** What an algorithm reports about its model (recorded in results). */
export interface ModelInfo {
  id: string;
  algorithm: AlgorithmName;
  trainedOn: string;
  createdAt: string;
  trainingSamples?: number;
  validation?: Record<string, number>;
}

/** Algorithm-specific quality figures for the results file (q-error percentiles, plan choices, ...). */
export type QualityReport = Record<string, unknown>;

export interface AlgorithmRun {
  scheduler: PilotScheduler;
  /** The model in use, once init() has run (undefined for model-free algorithms). */
  model(): ModelInfo | undefined;
  /** Quality figures after the workload ran. */
  quality?(): Promise<QualityReport>;
  /** Puts the database back as it was (knobs, indexes). Always called, even after a failure. */
  cleanup?(): Promise<void>;
}

export interface Algorithm {
  name: AlgorithmName;
  description: string;
  params: readonly ParamSpec[];
  /** Engines it can run on ('postgresql', 'spark'). */
  engines: readonly string[];
  create(params: Readonly<Record<string, ParamValue>>, ctx: AlgorithmContext): Promise<AlgorithmRun>;
}

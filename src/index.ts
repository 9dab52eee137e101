/**
 * The public API of pilotscope. This module wires the engine-neutral core together with the
 * concrete adapters (like src/cli, it may import adapters/): programs import everything from here.
 */
import { setDefaultEnvironment } from './experiments/api.js';
import { experimentEnvironment } from './cli/engines.js';

export { PilotScopeError, isPilotScopeError, type ErrorCode } from './errors.js';
export type * from './engine/types.js';
export { relSetKey, relSetAliases } from './engine/relset-key.js';
export { assertSupported, operatorsOf } from './engine/capabilities.js';
export { loadSettings, type Settings, type SettingsOverrides } from './config/settings.js';
export { PilotDataInteractor, type ExecuteOptions, type SettledResult } from './interactor/data-interactor.js';
export { PilotScheduler, mergePulls, mergePushes, type SchedulerOptions } from './scheduler/scheduler.js';
export { PeriodicEvent, PretrainingEvent, type PeriodicOptions, type PretrainingOptions } from './scheduler/events.js';
export type { HandlerDecision, ProgressReporter, QueryHandler, QueryOutcome, RowStore, SchedulerContext, SchedulerEvent } from './scheduler/types.js';
export { DataManager, readParquet, readParquetRows, writeArrowFile, writeParquetFile } from './store/index.js';
export { TimeStatistic } from './timing/index.js';
export { analyze, enumerateRelationSets, joinOrderSql, splitStatements, subqueryCardsBySql, subquerySql, type QueryGraph, type RelationSet } from './sql/index.js';
export { LeroModel, MscnModel } from './native/index.js';
export type { Algorithm, AlgorithmContext, AlgorithmName, AlgorithmRun, ParamSpec } from './algorithms/types.js';
export { PostgreSQLConfig, type PostgreSQLConfigOptions } from '../adapters/postgres/config.js';
export { PostgresEngine } from '../adapters/postgres/engine.js';
export { SparkConfig, type SparkConfigOptions } from '../adapters/spark/config.js';
export { SparkEngine } from '../adapters/spark/engine.js';
export {
  compareAlgorithms,
  getBestConfig,
  runConfigSweep,
  runExperiments,
  saveTestResult,
  loadExperimentFile,
  experimentSchema,
  type BestConfig,
  type Comparison,
  type ExperimentInput,
  type ExperimentSummary,
  type ExperimentResult,
  type QueryDetailRow,
  type SweepInput,
  type SweepResult,
  type PlanResult,
} from './experiments/index.js';
export { writeReport, type ReportOptions, type ReportResult } from './report/index.js';
export { experimentEnvironment, type EnvironmentOptions } from './cli/engines.js';

// Experiment functions called without an environment use the settings, dataset registry and server of this installation.
setDefaultEnvironment(() => experimentEnvironment());

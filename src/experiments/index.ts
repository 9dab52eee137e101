/** Experiments: the runner, sweeps, experiment files and the programmatic API. */
export * from './types.js';
export { compareAlgorithms, getBestConfig, runConfigSweep, runExperiments, saveTestResult, setDefaultEnvironment, type ApiOptions, type BestConfig, type Comparison, type ExperimentInput, type RunExperimentsOptions, type SweepInput, type TestResultInput } from './api.js';
export { checkPlan, loadExperimentFile, planFromDocument, planFromFlags, type ExperimentPlan } from './plan.js';
export { runPlan, type PlanResult } from './run-plan.js';
export { runExperiment } from './runner.js';
export { bestPoint, gridPoints, runSweep, type SweepPointResult, type SweepResult, type SweepSpec } from './sweep.js';
export { experimentSchema, experimentSchemaText, COMPARISON_METRICS, SWEEP_METRICS, type ComparisonMetric, type SweepMetric } from './schema.js';

/**
 * The programmatic API (what `pilotscope run/sweep/compare` do, for programs):
 *
 *   runExperiments(specs | plan | 'experiments.json', {output})  -> summaries (+ report)
 *   runConfigSweep({algorithm, dataset, grid, ...}, {output})     -> every point and the best
 *   getBestConfig(sweep | 'results/x.sweep.json', metric?)        -> the best parameters
 *   saveTestResult({algorithm, dataset, outcomes}, {output})      -> results of your own scheduler loop, in the same format
 *   compareAlgorithms(['results/'], {output})                    -> the HTML report and a ranking
 *
 * Runs need an environment (datasets, engine, algorithms); the package entry point registers the
 * default one (settings, dataset registry, embedded or configured PostgreSQL), and any call can
 * pass its own as `environment`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AlgorithmName, ModelInfo, ParamValue, QualityReport } from '../algorithms/types.js';
import { PilotScopeError } from '../errors.js';
import type { QueryOutcome } from '../scheduler/types.js';
import type { TimeStatistic } from '../timing/index.js';
import { writeReport, type ReportResult } from '../report/index.js';
import { environmentInfo } from './environment.js';
import { datasetLabel, defaultExperimentName } from './names.js';
import { DEFAULT_METRICS, DEFAULT_OUTPUT, REPORT_FILE, defaultSweepName, loadExperimentFile, type ExperimentPlan } from './plan.js';
import { readJson, ResultsDir } from './results-dir.js';
import { outcomeRow } from './runner.js';
import { runPlan, type PlanResult } from './run-plan.js';
import type { ComparisonMetric, SweepMetric } from './schema.js';
import { bestPoint, sweepFile, type SweepResult, type SweepSpec } from './sweep.js';
import { figuresOf, stageFigures } from './summary.js';
import type { DatasetRef, ExperimentEnvironment, ExperimentResult, ExperimentSpec, ExperimentSummary, WorkloadRef } from './types.js';

export interface ApiOptions {
  /** Datasets, engine and algorithms to use (default: the one the package registered). */
  environment?: ExperimentEnvironment;
  /** Results directory (default ./results, or the experiment file's comparison.output_dir). */
  output?: string;
  /** Start over instead of continuing or reusing earlier results. */
  fresh?: boolean;
}

let defaultEnvironment: (() => Promise<ExperimentEnvironment>) | undefined;

/** Registers how to build the environment when a call passes none (the package entry point does). */
export function setDefaultEnvironment(factory: () => Promise<ExperimentEnvironment>): void {
  defaultEnvironment = factory;
}

async function environmentOf(options: ApiOptions): Promise<ExperimentEnvironment> {
  if (options.environment) return options.environment;
  if (!defaultEnvironment) {
    throw new PilotScopeError('USAGE', 'No experiment environment: import the functions from the package root ("pilotscope"), or pass options.environment (see experimentEnvironment()).');
  }
  return defaultEnvironment();
}

/** An experiment as programs write it: dataset as a name or {name, scale, seed}; name defaults to <algorithm>_<dataset>. */
export interface ExperimentInput {
  name?: string;
  algorithm: AlgorithmName;
  dataset: string | DatasetRef;
  params?: Record<string, ParamValue>;
  workload?: WorkloadRef;
  limit?: number;
  seed?: number;
  timeoutMs?: number;
}

export interface RunExperimentsOptions extends ApiOptions {
  /** Write a comparison report at the end (default: true when given an array of several experiments). */
  report?: boolean;
  metrics?: ComparisonMetric[];
}

/** Runs experiments (an array, a plan, or an experiment file) one after another; see `pilotscope run`. */
export async function runExperiments(input: string | ExperimentPlan | readonly ExperimentInput[], options: RunExperimentsOptions = {}): Promise<PlanResult> {
  let plan: ExperimentPlan;
  if (typeof input === 'string') plan = loadExperimentFile(input);
  else if (Array.isArray(input)) plan = planOf(input as readonly ExperimentInput[], options);
  else plan = input as ExperimentPlan;
  if (options.output !== undefined) {
    const output = path.resolve(options.output);
    plan = { ...plan, comparison: { ...plan.comparison, output, reportFile: path.join(output, path.basename(plan.comparison.reportFile)) } };
  }
  if (options.report !== undefined || options.metrics) {
    plan = { ...plan, comparison: { ...plan.comparison, report: options.report ?? plan.comparison.report, metrics: options.metrics ?? plan.comparison.metrics } };
  }
  return runPlan(plan, await environmentOf(options), { ...(options.fresh ? { fresh: true } : {}) });
}

function planOf(inputs: readonly ExperimentInput[], options: RunExperimentsOptions): ExperimentPlan {
  const experiments: ExperimentSpec[] = inputs.map((e) => {
    const dataset = typeof e.dataset === 'string' ? { name: e.dataset } : e.dataset;
    return {
      name: e.name ?? defaultExperimentName(e.algorithm, dataset),
      algorithm: e.algorithm,
      dataset,
      params: e.params ?? {},
      ...(e.workload ? { workload: e.workload } : {}),
      ...(e.limit !== undefined ? { limit: e.limit } : {}),
      ...(e.seed !== undefined ? { seed: e.seed } : {}),
      ...(e.timeoutMs !== undefined ? { timeoutMs: e.timeoutMs } : {}),
    };
  });
  const output = path.resolve(options.output ?? DEFAULT_OUTPUT);
  return {
    experiments,
    sweeps: [],
    db: { engine: (options.environment?.engine.kind as 'postgresql' | 'spark' | undefined) ?? 'postgresql' },
    comparison: { report: options.report ?? inputs.length > 1, metrics: options.metrics ?? DEFAULT_METRICS, output, reportFile: path.join(output, REPORT_FILE) },
  };
}

export interface SweepInput {
  name?: string;
  algorithm: AlgorithmName;
  dataset: string | DatasetRef;
  /** Parameter -> values: every combination runs. */
  grid: Record<string, ParamValue[]>;
  params?: Record<string, ParamValue>;
  metric?: SweepMetric;
  evaluateOn?: 'validation' | 'test';
  rerunBest?: boolean;
  limit?: number;
  seed?: number;
  timeoutMs?: number;
}

/** Runs a config sweep and returns every point and the best; see `pilotscope sweep`. */
export async function runConfigSweep(input: SweepInput, options: ApiOptions = {}): Promise<SweepResult> {
  const dataset = typeof input.dataset === 'string' ? { name: input.dataset } : input.dataset;
  const sweep: SweepSpec = {
    name: input.name ?? defaultSweepName(input.algorithm, dataset),
    algorithm: input.algorithm,
    dataset,
    grid: input.grid,
    params: input.params ?? {},
    metric: input.metric ?? 'total_time',
    evaluateOn: input.evaluateOn ?? 'validation',
    rerunBest: input.rerunBest ?? false,
    ...(input.limit !== undefined ? { limit: input.limit } : {}),
    ...(input.seed !== undefined ? { seed: input.seed } : {}),
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
  };
  const output = path.resolve(options.output ?? DEFAULT_OUTPUT);
  const result = await runPlan({ experiments: [], sweeps: [sweep], db: { engine: 'postgresql' }, comparison: { report: false, metrics: DEFAULT_METRICS, output, reportFile: path.join(output, REPORT_FILE) } }, await environmentOf(options), { ...(options.fresh ? { fresh: true } : {}) });
  return result.sweeps[0]!;
}

export interface BestConfig {
  algorithm: string;
  dataset: string;
  metric: SweepMetric;
  value: number | null;
  /** Every parameter of the best configuration (fixed ones and grid values). */
  params: Record<string, ParamValue>;
  /** Only the grid values of the best point. */
  gridParams: Record<string, ParamValue>;
  experiment: string;
}

/**
 * The best configuration of a sweep (a result, its .sweep.json file, or a results directory with
 * one sweep), by the sweep's metric or another one the points recorded.
 */
export function getBestConfig(sweep: SweepResult | string, metric?: SweepMetric): BestConfig {
  const doc = typeof sweep === 'string' ? readSweep(sweep) : sweep;
  const chosen = metric ?? doc.metric;
  const points = doc.points.map((p) => ({ ...p, value: chosen === doc.metric ? p.value : chosen === 'q_error_p95' ? p.q_error_p95 : p[chosen] }));
  const best = bestPoint(points, chosen);
  const fixed = Object.fromEntries(Object.entries(doc.best_params).filter(([k]) => !(k in doc.grid)));
  return { algorithm: doc.algorithm, dataset: doc.dataset, metric: chosen, value: best.value, params: { ...fixed, ...best.params }, gridParams: best.params, experiment: best.experiment };
}

function readSweep(file: string): SweepResult {
  const candidates = file.endsWith('.json') ? [file] : sweepsIn(file);
  if (candidates.length !== 1) {
    throw new PilotScopeError('USAGE', candidates.length ? `${file} holds ${candidates.length} sweeps; name one of them: ${candidates.join(', ')}.` : `${file} holds no sweep result (<name>.sweep.json).`);
  }
  const doc = readJson<SweepResult>(candidates[0]!);
  if (doc?.format !== 'pilotscope-sweep') throw new PilotScopeError('USAGE', `${candidates[0]} is not a sweep result written by pilotscope sweep.`);
  return doc;
}

function sweepsIn(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((f) => f.endsWith('.sweep.json')).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

export interface TestResultInput {
  algorithm: string;
  dataset: string | DatasetRef;
  /** What scheduler.execute returned for each query, in order. */
  outcomes: readonly QueryOutcome[];
  name?: string;
  engine?: string;
  parameters?: Record<string, ParamValue>;
  model?: ModelInfo | null;
  /** The run's timers (collection and training times and the stage breakdown come from them). */
  timers?: TimeStatistic;
  quality?: QualityReport;
}

/**
 * Saves the results of queries you ran yourself (upstream's save_test_result) as an experiment:
 * <output>/<name>.json plus the per-query .arrow/.parquet, ready for compareAlgorithms.
 */
export async function saveTestResult(input: TestResultInput, options: { output?: string } = {}): Promise<ExperimentResult> {
  const dataset = typeof input.dataset === 'string' ? { name: input.dataset } : input.dataset;
  const name = input.name ?? defaultExperimentName(input.algorithm, dataset);
  const results = new ResultsDir(options.output ?? DEFAULT_OUTPUT);
  try {
    await results.reset(name);
    input.outcomes.forEach((outcome, i) => results.appendQuery(name, outcomeRow(i, outcome, {})));
    results.sync(name);
    const rows = results.queries(name);
    const { workload_stages, ...figures } = figuresOf(rows, rows.length);
    const stages = input.timers?.report().stages ?? {};
    const now = new Date().toISOString();
    const summary: ExperimentSummary = {
      format: 'pilotscope-experiment',
      format_version: 1,
      experiment: name,
      algorithm: input.algorithm,
      dataset: datasetLabel(dataset),
      dataset_ref: dataset,
      database: dataset.name,
      engine: input.engine ?? 'postgresql',
      workload: { source: `${datasetLabel(dataset)}:saved`, queries: rows.length },
      parameters: input.parameters ?? {},
      model: input.model ?? null,
      ...figures,
      collection_time: (stages.collection?.totalMs ?? 0) / 1000,
      training_time: (stages.training?.totalMs ?? 0) / 1000,
      overhead_breakdown: { unit: 'ms', init: stageFigures(stages), workload: workload_stages },
      quality: input.quality ?? {},
      notices: [],
      environment: environmentInfo(input.engine ?? 'postgresql', null),
      started_at: now,
      finished_at: now,
      resumed: 0,
      fingerprint: `saved-${Date.now()}`,
      files: { detail_arrow: `${name}.arrow`, detail_parquet: `${name}.parquet` },
    };
    await results.exportDetail(name);
    const file = results.writeSummary(summary);
    return { summary, file, reused: false };
  } finally {
    await results.close();
  }
}

export interface Comparison {
  report: ReportResult;
  /** Experiments ranked by the metric, best first (upstream's compare_algorithms return value). */
  ranking: Array<{ experiment: string; algorithm: string; dataset: string; value: number | null }>;
}

/** Writes the comparison report of results directories or files and ranks the experiments. */
export function compareAlgorithms(sources: readonly string[], options: { output?: string; metric?: ComparisonMetric; metrics?: ComparisonMetric[] } = {}): Comparison {
  const metric = options.metric ?? 'total_time';
  const report = writeReport(sources, { output: options.output ?? 'report.html', metrics: options.metrics ?? [metric] });
  const value = (s: ExperimentSummary): number | null => (metric === 'q_error_p95' ? s.q_error.used?.p95 ?? null : s[metric]);
  const ranking = report.model.entries
    .map((e) => ({ experiment: e.summary.experiment, algorithm: e.summary.algorithm, dataset: e.summary.dataset, value: value(e.summary) }))
    .sort((a, b) => (a.value ?? Infinity) - (b.value ?? Infinity));
  return { report, ranking };
}

export { sweepFile };

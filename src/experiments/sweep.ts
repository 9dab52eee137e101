/**
 * Config sweeps: every combination of a parameter grid is run and recorded, and the best
 * configuration is chosen by a metric (lower is better). Points run on the validation workload
 * (held-out training queries) by default, so choosing the best configuration does not look at
 * the test queries; the best one can then be re-run on the test workload.
 *
 * A sweep state file, keyed by the algorithm, dataset, engine, grid and fixed settings, records
 * finished points: a sweep started again after an interruption skips them and continues with
 * the rest (an interrupted point continues query by query, like any experiment).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type { ParamSpec, ParamValue } from '../algorithms/types.js';
import { canonicalParamName, resolveParams } from '../algorithms/params.js';
import { PilotScopeError } from '../errors.js';
import { datasetLabel } from './names.js';
import { ResultsDir, STATE_DIR, readJson, writeJsonAtomic } from './results-dir.js';
import { checkExperiment, runInto } from './runner.js';
import { stableJson } from './stable-json.js';
import type { SweepMetric } from './schema.js';
import type { DatasetRef, ExperimentEnvironment, ExperimentSpec, ExperimentSummary, RunOptions } from './types.js';

export interface SweepSpec {
  /** Names the sweep's files; points are <name>_p01, <name>_p02, ...; the re-run is <name>_best. */
  name: string;
  algorithm: ExperimentSpec['algorithm'];
  dataset: DatasetRef;
  /** Parameter -> values; every combination is one point. */
  grid: Readonly<Record<string, readonly ParamValue[]>>;
  /** Parameters fixed for every point. */
  params: Readonly<Record<string, unknown>>;
  metric: SweepMetric;
  evaluateOn: 'validation' | 'test';
  rerunBest: boolean;
  limit?: number;
  seed?: number;
  timeoutMs?: number;
}

export interface SweepPointResult {
  point: number;
  experiment: string;
  /** The grid values of this point. */
  params: Record<string, ParamValue>;
  /** The metric's value (null when the results do not have it, e.g. no true cardinalities). */
  value: number | null;
  total_time: number;
  average_time: number;
  median_time: number;
  p95_time: number;
  q_error_p95: number | null;
  timeouts: number;
  failures: number;
  training_time: number;
  /** Finished in an earlier, interrupted invocation (not re-run). */
  reused: boolean;
}

/** The sweep's JSON document (<output>/<name>.sweep.json, and `--json` output). */
export interface SweepResult {
  format: 'pilotscope-sweep';
  format_version: 1;
  sweep: string;
  algorithm: string;
  dataset: string;
  engine: string;
  metric: SweepMetric;
  evaluate_on: 'validation' | 'test';
  grid: Record<string, ParamValue[]>;
  fixed_params: Record<string, unknown>;
  points: SweepPointResult[];
  best: SweepPointResult;
  /** The best configuration's full parameters (fixed ones and grid values). */
  best_params: Record<string, ParamValue>;
  /** The best configuration re-run on the test workload. */
  rerun: ExperimentSummary | null;
  state_key: string;
}

interface SweepState {
  key: string;
  points: Record<string, { experiment: string; fingerprint: string }>;
}

/** Every combination of the grid, in the order the parameters and values were given. */
export function gridPoints(grid: Readonly<Record<string, readonly ParamValue[]>>): Array<Record<string, ParamValue>> {
  const entries = Object.entries(grid);
  if (entries.length === 0) throw new PilotScopeError('EXPERIMENT_INVALID', 'A sweep needs at least one parameter with values (--param <name> <values...>).');
  let points: Array<Record<string, ParamValue>> = [{}];
  for (const [name, values] of entries) {
    if (values.length === 0) throw new PilotScopeError('EXPERIMENT_INVALID', `Sweep parameter "${name}" has no values.`);
    points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
  }
  return points;
}

/** The value a point is judged by; lower is better. */
export function metricValue(summary: ExperimentSummary, metric: SweepMetric): number | null {
  if (metric === 'q_error_p95') return summary.q_error.used?.p95 ?? null;
  return summary[metric];
}

/**
 * The best point: among the points with the fewest failed queries (a configuration that fails
 * queries must not win by not timing them), the lowest metric value; ties go to the earlier point.
 */
export function bestPoint(points: readonly SweepPointResult[], metric: SweepMetric): SweepPointResult {
  const measured = points.filter((p) => p.value !== null && Number.isFinite(p.value));
  if (measured.length === 0) {
    throw new PilotScopeError(
      'EXPERIMENT_INVALID',
      metric === 'q_error_p95'
        ? 'No sweep point has q-errors: they need the true cardinalities of executed plans (the PostgreSQL engine with the pilotscope extension). Choose a time metric.'
        : `No sweep point has a value for ${metric}.`,
    );
  }
  const fewestFailures = Math.min(...measured.map((p) => p.failures));
  return measured.filter((p) => p.failures === fewestFailures).reduce((best, p) => (p.value! < best.value! ? p : best));
}

function pointName(sweep: string, index: number, total: number): string {
  return `${sweep}_p${String(index + 1).padStart(String(total).length, '0')}`;
}

export function sweepStateKey(spec: SweepSpec, engine: string): string {
  const identity = {
    algorithm: spec.algorithm,
    dataset: spec.dataset,
    engine,
    grid: Object.entries(spec.grid),
    params: spec.params,
    evaluateOn: spec.evaluateOn,
    limit: spec.limit ?? null,
    seed: spec.seed ?? null,
    timeoutMs: spec.timeoutMs ?? null,
  };
  return crypto.createHash('sha256').update(stableJson(identity)).digest('hex').slice(0, 16);
}

/** Checks every point's parameters before anything runs. */
export function checkSweep(spec: SweepSpec, env: Pick<ExperimentEnvironment, 'algorithms' | 'engine'>): void {
  for (const [i, point] of gridPoints(spec.grid).entries()) {
    checkExperiment(pointSpec(spec, point, i, 1), env, `sweep "${spec.name}" point ${i + 1} (${describeParams(point)})`);
  }
}

function pointSpec(spec: SweepSpec, point: Record<string, ParamValue>, index: number, total: number): ExperimentSpec {
  return {
    name: pointName(spec.name, index, total),
    algorithm: spec.algorithm,
    dataset: spec.dataset,
    params: { ...spec.params, ...point },
    workload: { split: spec.evaluateOn },
    ...(spec.limit !== undefined ? { limit: spec.limit } : {}),
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
  };
}

export function describeParams(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params).map(([k, v]) => `${k}=${String(v)}`).join(', ');
}

export async function runSweep(spec: SweepSpec, env: ExperimentEnvironment, options: RunOptions): Promise<SweepResult> {
  const results = new ResultsDir(options.output);
  try {
    return await sweepInto(results, spec, env, options);
  } finally {
    await results.close();
  }
}

export async function sweepInto(results: ResultsDir, spec: SweepSpec, env: ExperimentEnvironment, options: RunOptions): Promise<SweepResult> {
  checkSweep(spec, env);
  const log = env.log ?? (() => undefined);
  const progress = env.progress;
  const key = sweepStateKey(spec, env.engine.kind);
  const stateFile = path.join(results.dir, STATE_DIR, `sweep-${spec.name}-${key}.json`);
  let state = options.fresh ? undefined : readJson<SweepState>(stateFile);
  if (!state || state.key !== key) state = { key, points: {} };
  const grid = gridPoints(spec.grid);
  const task = `sweep ${spec.name}`;
  progress?.start(task, grid.length);

  const points: SweepPointResult[] = [];
  for (const [i, values] of grid.entries()) {
    const point = pointSpec(spec, values, i, grid.length);
    const recorded = state.points[String(i)];
    const earlier = recorded ? results.readSummary(recorded.experiment) : undefined;
    let summary: ExperimentSummary;
    let reused = false;
    if (earlier && earlier.fingerprint === recorded!.fingerprint && !options.fresh) {
      summary = earlier;
      reused = true;
      log(`${point.name} (${describeParams(values)}): finished earlier; not re-run.`);
    } else {
      log(`${point.name} (${describeParams(values)}): running`);
      summary = (await runInto(results, point, env, { output: results.dir, ...(options.fresh ? { fresh: true } : {}) })).summary;
      state.points[String(i)] = { experiment: point.name, fingerprint: summary.fingerprint };
      writeJsonAtomic(stateFile, state);
    }
    points.push(pointResult(i, point.name, values, summary, spec.metric, reused));
    progress?.tick(task, i + 1);
  }
  progress?.finish(task);

  const best = bestPoint(points, spec.metric);
  const bestParams = (results.readSummary(best.experiment)?.parameters ?? {}) as Record<string, ParamValue>;
  let rerun: ExperimentSummary | null = null;
  if (spec.rerunBest) {
    const rerunSpec: ExperimentSpec = { ...pointSpec(spec, grid[best.point]!, best.point, grid.length), name: `${spec.name}_best`, workload: { split: 'test' } };
    log(`${rerunSpec.name}: re-running the best configuration (${describeParams(best.params)}) on the test workload`);
    rerun = (await runInto(results, rerunSpec, env, { output: results.dir, ...(options.fresh ? { fresh: true } : {}) })).summary;
  }
  const document: SweepResult = {
    format: 'pilotscope-sweep',
    format_version: 1,
    sweep: spec.name,
    algorithm: spec.algorithm,
    dataset: datasetLabel(spec.dataset),
    engine: env.engine.kind,
    metric: spec.metric,
    evaluate_on: spec.evaluateOn,
    grid: Object.fromEntries(Object.entries(spec.grid).map(([k, v]) => [k, [...v]])),
    fixed_params: { ...spec.params },
    points,
    best,
    best_params: bestParams,
    rerun,
    state_key: key,
  };
  writeJsonAtomic(sweepFile(results.dir, spec.name), document);
  return document;
}

export function sweepFile(dir: string, name: string): string {
  return path.join(dir, `${name}.sweep.json`);
}

function pointResult(index: number, experiment: string, params: Record<string, ParamValue>, s: ExperimentSummary, metric: SweepMetric, reused: boolean): SweepPointResult {
  return {
    point: index,
    experiment,
    params,
    value: metricValue(s, metric),
    total_time: s.total_time,
    average_time: s.average_time,
    median_time: s.median_time,
    p95_time: s.p95_time,
    q_error_p95: s.q_error.used?.p95 ?? null,
    timeouts: s.timeouts,
    failures: s.failures,
    training_time: s.training_time,
    reused,
  };
}

/**
 * Converts grid values given as text (command line) to the parameter's type, so numeric
 * parameters sort and plot as numbers. Errors name the parameter and the value.
 */
export function typedGrid(algorithm: string, specs: readonly ParamSpec[], grid: Readonly<Record<string, readonly unknown[]>>): Record<string, ParamValue[]> {
  const out: Record<string, ParamValue[]> = {};
  for (const [name, values] of Object.entries(grid)) {
    const canonical = canonicalParamName(name);
    out[canonical] = values.map((v) => resolveParams(algorithm, specs, { [name]: v }, `sweep parameter ${name}`)[canonical]!);
  }
  return out;
}

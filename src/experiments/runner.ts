/**
 * Runs one experiment: opens (and loads, if needed) the dataset, builds the algorithm's
 * scheduler, runs collection and training (scheduler.init), runs the workload query by query,
 * appending each finished query to the results directory, and writes the summary and the detail
 * files. A run interrupted at any point continues where it stopped when started again with the
 * same experiment: finished queries are skipped and the model trained before the interruption is
 * reused (through the algorithm's `model` parameter) instead of being trained again.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Algorithm, AlgorithmContext, AlgorithmRun, ParamValue, QualityReport, TrainingWorkload } from '../algorithms/types.js';
import { resolveParams } from '../algorithms/params.js';
import { closest } from '../config/schema.js';
import type { Engine, PlanNode } from '../engine/types.js';
import { PilotScopeError, isPilotScopeError } from '../errors.js';
import { SILENT_PROGRESS } from '../scheduler/scheduler.js';
import type { QueryOutcome, RowStore } from '../scheduler/types.js';
import { DataManager } from '../store/index.js';
import { TimeStatistic } from '../timing/index.js';
import { engineVersion, environmentInfo } from './environment.js';
import { datasetLabel } from './names.js';
import { cardinalityRows, planSignature } from './plans.js';
import { ResultsDir, type RunState } from './results-dir.js';
import { stableJson } from './stable-json.js';
import { figuresOf, initSeconds, stageFigures } from './summary.js';
import type { DatasetHandle, ExperimentEnvironment, ExperimentResult, ExperimentSpec, ExperimentSummary, QueryDetailRow, RunOptions } from './types.js';
import { readSqlFile, resolveWorkload, type ResolvedWorkload } from './workload.js';

/** Error codes that concern one query; anything else stops the experiment (it can be resumed). */
const PER_QUERY_ERRORS = new Set(['QUERY_ERROR', 'QUERY_TIMEOUT', 'SQL_PARSE_ERROR', 'SQL_UNSUPPORTED']);
const DEFAULT_SEED = 42;

export function lookupAlgorithm(name: string, algorithms: ReadonlyMap<string, Algorithm>, engineKind: string, where = 'algorithm'): Algorithm {
  const algorithm = algorithms.get(name);
  const known = [...algorithms.keys()];
  if (!algorithm) {
    const hint = closest(name, known);
    throw new PilotScopeError('EXPERIMENT_INVALID', `${where}: there is no algorithm "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}. Available: ${known.join(', ')}.`);
  }
  if (!algorithm.engines.includes(engineKind)) {
    throw new PilotScopeError('EXPERIMENT_INVALID', `${where}: ${name} does not run on ${engineKind}; it supports ${algorithm.engines.join(', ')}.`);
  }
  return algorithm;
}

/** Checks an experiment before anything runs: algorithm, parameters (errors name the field). */
export function checkExperiment(spec: ExperimentSpec, env: Pick<ExperimentEnvironment, 'algorithms' | 'engine'>, where = `experiment "${spec.name}"`): Record<string, ParamValue> {
  const algorithm = lookupAlgorithm(spec.algorithm, env.algorithms, env.engine.kind, `${where}.algorithm`);
  return resolveParams(spec.algorithm, algorithm.params, spec.params, `${where}.params`);
}

export async function runExperiment(spec: ExperimentSpec, env: ExperimentEnvironment, options: RunOptions): Promise<ExperimentResult> {
  const results = new ResultsDir(options.output);
  try {
    return await runInto(results, spec, env, options);
  } finally {
    await results.close();
  }
}

/** Runs an experiment into an open results directory (sweeps and multi-experiment runs share one). */
export async function runInto(results: ResultsDir, spec: ExperimentSpec, env: ExperimentEnvironment, options: RunOptions): Promise<ExperimentResult> {
  const log = env.log ?? (() => undefined);
  const progress = env.progress ?? SILENT_PROGRESS;
  const algorithm = lookupAlgorithm(spec.algorithm, env.algorithms, env.engine.kind, `experiment "${spec.name}"`);
  const params = resolveParams(spec.algorithm, algorithm.params, spec.params, `experiment "${spec.name}" parameters`);
  const timeoutMs = spec.timeoutMs ?? env.timeoutMs;

  const dataset = await env.datasets.open(spec.dataset);
  for (const notice of dataset.notices) log(`note: ${notice}`);
  await env.engine.prepare(dataset, (m) => log(m));
  const workload = await resolveWorkload(spec, dataset, env);
  const fingerprint = fingerprintOf(spec, env.engine.kind, params, workload, timeoutMs);

  if (options.fresh) await results.reset(spec.name);
  let state = results.readState(spec.name);
  if (state && state.fingerprint !== fingerprint) {
    log(`${spec.name}: earlier results in ${results.dir} came from a different setup (algorithm, parameters, data or workload); starting over.`);
    await results.reset(spec.name);
    state = undefined;
  }
  const earlier = results.readSummary(spec.name);
  if (state?.finished && earlier?.fingerprint === fingerprint) {
    log(`${spec.name}: already finished in ${results.dir} (${earlier.queries} queries); reusing it. Use --fresh to run it again.`);
    return { summary: earlier, file: results.summaryFile(spec.name), reused: true };
  }
  const resuming = state !== undefined;
  state ??= { fingerprint, experiment: spec.name, started_at: new Date().toISOString(), resumed: 0, init: null, finished: false };
  if (resuming) state.resumed += 1;
  results.writeState(state);

  const effectiveParams = { ...params };
  if (state.init?.model && algorithm.params.some((p) => p.name === 'model') && !('model' in spec.params)) {
    effectiveParams.model = state.init.model.id;
    log(`${spec.name}: continuing an interrupted run with the model trained before (${state.init.model.id}).`);
  }

  const done = new Set(results.queries(spec.name).map((r) => r.query_index));
  if (resuming) log(`${spec.name}: continuing; ${done.size} of ${workload.queries.length} queries were already measured.`);
  const baselinePlans = spec.algorithm === 'baseline' ? undefined : await baselineSignatures(results, spec, workload.source);

  const engine = await env.engine.open(dataset.database);
  const opened: Engine[] = [];
  const ownStore = env.store ? undefined : new DataManager(path.join(env.home, 'data'));
  const timers = new TimeStatistic();
  const notices: string[] = [...workload.notices];
  let quality: QualityReport = {};
  let version: string | null = null;
  try {
    version = await engineVersion(engine);
    const ctx = algorithmContext(spec, env, dataset, engine, workload, timers, ownStore ?? env.store!, opened, notices, timeoutMs);
    const run: AlgorithmRun = await algorithm.create(effectiveParams, ctx);
    try {
      progress.start(`${spec.name}: collection and training`);
      await run.scheduler.init();
      progress.finish(`${spec.name}: collection and training`);
      if (!state.init) {
        state.init = { model: run.model() ?? null, stages: timers.report().stages };
        results.writeState(state);
      }
      await runWorkload(results, spec, run, workload, done, baselinePlans, timers, progress);
      await run.scheduler.flush();
      if (run.quality) quality = await run.quality();
      notices.push(...run.scheduler.notices);
    } finally {
      await run.cleanup?.();
    }
  } finally {
    await engine.close();
    for (const other of opened) await other.close().catch(() => undefined);
    await ownStore?.close();
  }

  results.sync(spec.name);
  const rows = results.queries(spec.name);
  const failed = rows.filter((r) => r.status === 'failed');
  if (failed.length) notices.push(`${failed.length} of ${rows.length} queries failed; the first error: ${failed[0]!.error}`);
  const summary = summaryOf(spec, dataset, workload, env.engine.kind, effectiveParams, state, rows, quality, notices, version, results);
  await results.exportDetail(spec.name);
  const file = results.writeSummary(summary);
  state.finished = true;
  results.writeState(state);
  return { summary, file, reused: false };
}

async function runWorkload(
  results: ResultsDir,
  spec: ExperimentSpec,
  run: AlgorithmRun,
  workload: ResolvedWorkload,
  done: ReadonlySet<number>,
  baselinePlans: ReadonlyMap<string, string> | undefined,
  timers: TimeStatistic,
  progress: NonNullable<ExperimentEnvironment['progress']>,
): Promise<void> {
  const task = `${spec.name}: workload`;
  progress.start(task, workload.queries.length);
  let finished = done.size;
  progress.tick(task, finished);
  for (let index = 0; index < workload.queries.length; index++) {
    if (done.has(index)) continue;
    const sql = workload.queries[index]!;
    const before = timers.sums();
    const started = performance.now();
    let row: QueryDetailRow;
    try {
      const outcome = await run.scheduler.execute(sql);
      row = outcomeRow(index, outcome, stagesSince(before, timers), baselinePlans);
    } catch (err) {
      if (!isPerQueryError(err)) throw err;
      row = failedRow(index, sql, err, (performance.now() - started) / 1000, stagesSince(before, timers));
    }
    results.appendQuery(spec.name, row);
    progress.tick(task, ++finished, row.status === 'ok' ? undefined : row.status);
  }
  progress.finish(task);
}

function isPerQueryError(err: unknown): boolean {
  if (isPilotScopeError(err)) return PER_QUERY_ERRORS.has(err.code);
  // An algorithm's own bug on one query is recorded as that query's failure, not fatal to the run.
  return !(err instanceof PilotScopeError);
}

function stagesSince(before: Record<string, number>, timers: TimeStatistic): Record<string, number> {
  const after = timers.sums();
  const stages: Record<string, number> = {};
  for (const [name, total] of Object.entries(after)) {
    const spent = total - (before[name] ?? 0);
    if (spent > 0) stages[name] = spent;
  }
  return stages;
}

export function outcomeRow(index: number, outcome: QueryOutcome, stages: Record<string, number>, baselinePlans?: ReadonlyMap<string, string>): QueryDetailRow {
  const { data } = outcome;
  const tree = data.planTree as PlanNode | undefined;
  const signature = tree ? planSignature(tree) : null;
  const baseline = baselinePlans?.get(outcome.sql);
  const fallbacks = outcome.handlers.filter((h) => h.fallback).map((h) => `${h.name}: ${h.fallback}`);
  return {
    query_index: index,
    sql: outcome.sql,
    status: data.status,
    error: null,
    time: outcome.endToEndTime,
    execution_time: data.executionTime ?? null,
    overhead_time: outcome.overheadTime,
    estimated_cost: data.estimatedCost ?? null,
    physical_plan: data.physicalPlan ?? null,
    plan_tree: tree ?? null,
    plan_signature: signature,
    plan_changed: signature !== null && baseline !== undefined ? signature !== baseline : null,
    cards: data.status === 'ok' ? cardinalityRows(data.relSets, tree) : null,
    fallback: fallbacks.length ? fallbacks.join('; ') : null,
    handlers: outcome.handlers,
    stages,
  };
}

function failedRow(index: number, sql: string, err: unknown, seconds: number, stages: Record<string, number>): QueryDetailRow {
  return {
    query_index: index,
    sql,
    status: 'failed',
    error: err instanceof Error ? err.message : String(err),
    time: seconds,
    execution_time: null,
    overhead_time: null,
    estimated_cost: null,
    physical_plan: null,
    plan_tree: null,
    plan_signature: null,
    plan_changed: null,
    cards: null,
    fallback: null,
    handlers: [],
    stages,
  };
}

function algorithmContext(
  spec: ExperimentSpec,
  env: ExperimentEnvironment,
  dataset: DatasetHandle,
  engine: Engine,
  workload: ResolvedWorkload,
  timers: TimeStatistic,
  store: RowStore,
  opened: Engine[],
  notices: string[],
  timeoutMs: number,
): AlgorithmContext {
  const label = datasetLabel(spec.dataset);
  return {
    dataset: dataset.name,
    engine,
    trainingQueries: workload.trainingQueries,
    async trainingWorkload(choice): Promise<TrainingWorkload> {
      if (choice.file !== undefined) return { dataset: `file:${choice.file}`, engine, queries: readSqlFile(choice.file) };
      if (choice.dataset === undefined || choice.dataset === 'auto' || choice.dataset === dataset.name) {
        return { dataset: label, engine, queries: workload.trainingQueries };
      }
      const other = await env.datasets.open({ name: choice.dataset });
      await env.engine.prepare(other, (m) => env.log?.(m));
      const otherEngine = await env.engine.open(other.database);
      opened.push(otherEngine);
      return { dataset: other.name, engine: otherEngine, queries: (await other.workload()).train };
    },
    store,
    home: env.home,
    timers,
    progress: env.progress ?? SILENT_PROGRESS,
    timeoutMs,
    parallelism: env.parallelism,
    seed: spec.seed ?? DEFAULT_SEED,
    notice(text) {
      notices.push(text);
    },
  };
}

/** Plan signatures of a finished baseline run of the same dataset and workload in the same directory. */
async function baselineSignatures(results: ResultsDir, spec: ExperimentSpec, source: string): Promise<Map<string, string> | undefined> {
  const label = datasetLabel(spec.dataset);
  const baseline = results.summaries().find((s) => s.algorithm === 'baseline' && s.dataset === label && s.workload.source === source);
  if (!baseline) return undefined;
  const signatures = new Map<string, string>();
  for (const row of results.queries(baseline.experiment)) if (row.plan_signature) signatures.set(row.sql, row.plan_signature);
  return signatures;
}

function fingerprintOf(spec: ExperimentSpec, engine: string, params: Record<string, ParamValue>, workload: ResolvedWorkload, timeoutMs: number): string {
  const queries = crypto.createHash('sha256').update(workload.queries.join('\u0000')).digest('hex');
  const identity = { algorithm: spec.algorithm, dataset: spec.dataset, engine, params, workload: workload.source, queries, timeoutMs, seed: spec.seed ?? DEFAULT_SEED };
  return crypto.createHash('sha256').update(stableJson(identity)).digest('hex').slice(0, 32);
}

function summaryOf(
  spec: ExperimentSpec,
  dataset: DatasetHandle,
  workload: ResolvedWorkload,
  engineKind: string,
  params: Record<string, ParamValue>,
  state: RunState,
  rows: QueryDetailRow[],
  quality: QualityReport,
  notices: string[],
  version: string | null,
  results: ResultsDir,
): ExperimentSummary {
  const figures = figuresOf(rows, workload.queries.length);
  const initStages = state.init?.stages ?? {};
  const { workload_stages, ...rest } = figures;
  return {
    format: 'pilotscope-experiment',
    format_version: 1,
    experiment: spec.name,
    algorithm: spec.algorithm,
    dataset: datasetLabel(spec.dataset),
    dataset_ref: spec.dataset,
    database: dataset.database,
    engine: engineKind,
    workload: { source: workload.source, queries: workload.queries.length },
    parameters: params,
    model: state.init?.model ?? null,
    ...rest,
    collection_time: initSeconds(initStages, 'collection'),
    training_time: initSeconds(initStages, 'training'),
    overhead_breakdown: { unit: 'ms', init: stageFigures(initStages), workload: workload_stages },
    quality,
    notices: [...new Set(notices)],
    environment: environmentInfo(engineKind, version),
    started_at: state.started_at,
    finished_at: new Date().toISOString(),
    resumed: state.resumed,
    fingerprint: state.fingerprint,
    files: { detail_arrow: path.basename(results.detailFile(spec.name, 'arrow')), detail_parquet: path.basename(results.detailFile(spec.name, 'parquet')) },
  };
}

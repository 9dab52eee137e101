/**
 * An experiment plan: the experiments and sweeps to run, where results go and what to compare.
 * Built from an experiment file (validated against the published schema) or from command-line
 * flags; both give the same plan.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AlgorithmName, ParamValue } from '../algorithms/types.js';
import { assertValid } from '../config/schema.js';
import { PilotScopeError } from '../errors.js';
import { checkExperimentName, datasetLabel, defaultExperimentName } from './names.js';
import { checkExperiment } from './runner.js';
import { experimentSchema, type ComparisonMetric, type SweepMetric } from './schema.js';
import { checkSweep, type SweepSpec } from './sweep.js';
import type { DatasetRef, ExperimentEnvironment, ExperimentSpec, WorkloadRef } from './types.js';

export interface DbConfig {
  engine: 'postgresql' | 'spark';
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  timeoutMs?: number;
}

export interface ExperimentPlan {
  experiments: ExperimentSpec[];
  sweeps: SweepSpec[];
  db: DbConfig;
  comparison: {
    /** Write a comparison report at the end. */
    report: boolean;
    metrics: ComparisonMetric[];
    output: string;
    /** Report file (absolute). */
    reportFile: string;
  };
}

export const DEFAULT_METRICS: ComparisonMetric[] = ['total_time', 'average_time', 'p95_time'];
export const DEFAULT_OUTPUT = 'results';
export const REPORT_FILE = 'report.html';

/** Reads and validates an experiment file; relative paths in it are relative to the file. */
export function loadExperimentFile(file: string): ExperimentPlan {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PilotScopeError('CONFIG_NOT_FOUND', `Cannot read the experiment file ${file}: ${(err as Error).message}.`, { file }, { cause: err });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new PilotScopeError('EXPERIMENT_INVALID', `Experiment file ${file} is not valid JSON: ${(err as Error).message}. Fix the syntax and retry.`, { file });
  }
  return planFromDocument(document, path.dirname(path.resolve(file)), `Experiment file ${file}`);
}

interface FileDataset {
  name: string;
  scale?: number;
  seed?: number;
}
type FileDatasetField = string | FileDataset;
type FileWorkload = 'test' | 'validation' | { dataset: FileDatasetField } | { file: string };
interface FileCommon {
  algorithm: AlgorithmName;
  dataset: FileDatasetField;
  params?: Record<string, ParamValue>;
  limit?: number;
  seed?: number;
  timeout_ms?: number;
}
interface FileDocument {
  db_config?: { engine?: 'postgresql' | 'spark'; host?: string; port?: number; user?: string; password?: string; timeout_ms?: number };
  defaults?: { params?: Record<string, ParamValue>; limit?: number; seed?: number; timeout_ms?: number };
  experiments?: Array<FileCommon & { name: string; workload?: FileWorkload }>;
  sweeps?: Array<FileCommon & { name?: string; grid: Record<string, ParamValue[]>; metric?: SweepMetric; evaluate_on?: 'validation' | 'test'; rerun_best?: boolean }>;
  comparison?: { baseline?: boolean; metrics?: ComparisonMetric[]; output_dir?: string; report?: string };
}

/** Validates a parsed experiment document and turns it into a plan. */
export function planFromDocument(document: unknown, baseDir: string, what = 'Experiment file'): ExperimentPlan {
  assertValid(document, experimentSchema, what, 'EXPERIMENT_INVALID');
  const doc = document as FileDocument;
  const defaults = doc.defaults ?? {};
  const resolvePath = (p: string) => path.resolve(baseDir, p);
  const common = (entry: FileCommon) => ({
    algorithm: entry.algorithm,
    dataset: datasetRef(entry.dataset),
    params: resolveParamPaths({ ...defaults.params, ...entry.params }, resolvePath),
    ...optional('limit', entry.limit ?? defaults.limit),
    ...optional('seed', entry.seed ?? defaults.seed),
    ...optional('timeoutMs', entry.timeout_ms ?? defaults.timeout_ms ?? doc.db_config?.timeout_ms),
  });
  const experiments: ExperimentSpec[] = (doc.experiments ?? []).map((entry) => ({
    name: entry.name,
    ...common(entry),
    ...(entry.workload !== undefined ? { workload: workloadRef(entry.workload, resolvePath) } : {}),
  }));
  const sweeps: SweepSpec[] = (doc.sweeps ?? []).map((entry) => {
    const base = common(entry);
    return {
      name: entry.name ?? defaultSweepName(entry.algorithm, base.dataset),
      ...base,
      grid: entry.grid,
      metric: entry.metric ?? 'total_time',
      evaluateOn: entry.evaluate_on ?? 'validation',
      rerunBest: entry.rerun_best ?? false,
    };
  });
  const output = resolvePath(doc.comparison?.output_dir ?? DEFAULT_OUTPUT);
  const plan: ExperimentPlan = {
    experiments: doc.comparison?.baseline ? withBaselines(experiments) : experiments,
    sweeps,
    db: {
      engine: doc.db_config?.engine ?? 'postgresql',
      ...optional('host', doc.db_config?.host),
      ...optional('port', doc.db_config?.port),
      ...optional('user', doc.db_config?.user),
      ...optional('password', doc.db_config?.password),
      ...optional('timeoutMs', doc.db_config?.timeout_ms),
    },
    comparison: {
      report: doc.comparison !== undefined,
      metrics: doc.comparison?.metrics ?? DEFAULT_METRICS,
      output,
      reportFile: path.resolve(output, doc.comparison?.report ?? REPORT_FILE),
    },
  };
  checkUniqueNames(plan);
  return plan;
}

export interface FlagOptions {
  algorithms: string[];
  datasets: DatasetRef[];
  engine?: 'postgresql' | 'spark';
  set?: Record<string, string>;
  workload?: WorkloadRef;
  compare?: boolean;
  output?: string;
  limit?: number;
  timeoutMs?: number;
}

/** `pilotscope run --algo ... --db ...`: every algorithm on every dataset (baseline first with --compare). */
export function planFromFlags(flags: FlagOptions): ExperimentPlan {
  const experiments: ExperimentSpec[] = [];
  for (const dataset of flags.datasets) {
    for (const algorithm of flags.algorithms) {
      experiments.push({
        name: defaultExperimentName(algorithm, dataset),
        algorithm: algorithm as AlgorithmName,
        dataset,
        params: algorithm === 'baseline' ? {} : { ...flags.set },
        ...(flags.workload ? { workload: flags.workload } : {}),
        ...optional('limit', flags.limit),
        ...optional('timeoutMs', flags.timeoutMs),
      });
    }
  }
  const output = path.resolve(flags.output ?? DEFAULT_OUTPUT);
  const plan: ExperimentPlan = {
    experiments: flags.compare ? withBaselines(experiments) : experiments,
    sweeps: [],
    db: { engine: flags.engine ?? 'postgresql' },
    comparison: { report: Boolean(flags.compare), metrics: DEFAULT_METRICS, output, reportFile: path.join(output, REPORT_FILE) },
  };
  checkUniqueNames(plan);
  return plan;
}

export function defaultSweepName(algorithm: string, dataset: DatasetRef): string {
  return checkExperimentName(`sweep_${algorithm}_${datasetLabel(dataset)}`.slice(0, 90));
}

/** Checks every experiment and sweep against the registry before anything runs. */
export function checkPlan(plan: ExperimentPlan, env: Pick<ExperimentEnvironment, 'algorithms' | 'engine' | 'datasets'>): void {
  const known = new Set(env.datasets.names());
  const checkDataset = (ref: DatasetRef, where: string) => {
    if (!known.has(ref.name)) {
      throw new PilotScopeError('DATASET_NOT_FOUND', `${where}: there is no dataset "${ref.name}". Known: ${[...known].join(', ')}. Register a directory with \`pilotscope dataset add ${ref.name} <dir>\`.`);
    }
  };
  plan.experiments.forEach((spec, i) => {
    const where = `experiments[${i}] ("${spec.name}")`;
    checkDataset(spec.dataset, `${where}.dataset`);
    if (spec.workload?.dataset) checkDataset(spec.workload.dataset, `${where}.workload.dataset`);
    checkExperiment(spec, env, where);
  });
  plan.sweeps.forEach((sweep, i) => {
    checkDataset(sweep.dataset, `sweeps[${i}].dataset`);
    checkSweep(sweep, env);
  });
}

/** Adds a baseline experiment first for every dataset and workload that has none. */
function withBaselines(experiments: ExperimentSpec[]): ExperimentSpec[] {
  const out: ExperimentSpec[] = [];
  const covered = new Set(experiments.filter((e) => e.algorithm === 'baseline').map((e) => groupKey(e)));
  for (const e of experiments) {
    const key = groupKey(e);
    if (!covered.has(key)) {
      covered.add(key);
      const names = new Set([...experiments, ...out].map((x) => x.name));
      const base = defaultExperimentName('baseline', e.dataset);
      let name = base;
      for (let n = 2; names.has(name); n++) name = `${base}_${n}`;
      out.push({ name, algorithm: 'baseline', dataset: e.dataset, params: {}, ...pick(e, ['workload', 'limit', 'timeoutMs']) });
    }
  }
  // Baselines first, so every later experiment can mark the plans it changed.
  return [...out, ...experiments.filter((e) => e.algorithm === 'baseline'), ...experiments.filter((e) => e.algorithm !== 'baseline')];
}

function groupKey(e: ExperimentSpec): string {
  return JSON.stringify([datasetLabel(e.dataset), e.workload ?? null, e.limit ?? null]);
}

function checkUniqueNames(plan: ExperimentPlan): void {
  const seen = new Set<string>();
  for (const name of [...plan.experiments.map((e) => e.name), ...plan.sweeps.map((s) => s.name)]) {
    checkExperimentName(name);
    if (seen.has(name)) throw new PilotScopeError('EXPERIMENT_INVALID', `Two experiments or sweeps are named "${name}"; names must be unique (they name the result files).`);
    seen.add(name);
  }
}

function datasetRef(field: FileDatasetField): DatasetRef {
  return typeof field === 'string' ? { name: field } : { ...field };
}

function workloadRef(field: FileWorkload, resolvePath: (p: string) => string): WorkloadRef {
  if (field === 'test' || field === 'validation') return { split: field };
  if ('file' in field) return { file: resolvePath(field.file) };
  return { dataset: datasetRef(field.dataset) };
}

/** File parameters name files relative to the experiment file. */
function resolveParamPaths(params: Record<string, ParamValue>, resolvePath: (p: string) => string): Record<string, ParamValue> {
  const out = { ...params };
  for (const key of ['training_data_file', 'trainingDataFile']) if (typeof out[key] === 'string') out[key] = resolvePath(out[key] as string);
  return out;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/**
 * Which queries an experiment runs and trains on. The tested data (dataset), the test workload
 * and the training workload are independent choices: a workload from another dataset or a file
 * runs against the tested dataset's database, never against a database named after the workload.
 */
import fs from 'node:fs';
import { PilotScopeError } from '../errors.js';
import { DEFAULT_SPLIT_SEED, splitByTemplate } from '../datasets/index.js';
import { splitStatements } from '../sql/index.js';
import { datasetLabel } from './names.js';
import type { DatasetHandle, ExperimentEnvironment, ExperimentSpec } from './types.js';

export interface ResolvedWorkload {
  /** The queries to run, in order. */
  queries: string[];
  /** What "training_dataset: auto" means for this experiment: the training queries that go with the workload. */
  trainingQueries: string[];
  /** For results: "stats_tiny:test", "stats_tiny:validation", "file:<path>", ... */
  source: string;
  notices: string[];
}

/** Share of the training queries held out as the validation workload (by template). */
export const VALIDATION_SHARE = 0.2;

export async function resolveWorkload(spec: ExperimentSpec, dataset: DatasetHandle, env: Pick<ExperimentEnvironment, 'datasets'>): Promise<ResolvedWorkload> {
  const own = await dataset.workload();
  const notices = [...own.notices];
  const choice = spec.workload ?? {};
  let resolved: ResolvedWorkload;
  if (choice.file !== undefined) {
    resolved = { queries: readSqlFile(choice.file), trainingQueries: own.train, source: `file:${choice.file}`, notices };
  } else if (choice.dataset !== undefined) {
    const other = await env.datasets.open(choice.dataset);
    const theirs = await other.workload();
    notices.push(...theirs.notices);
    resolved = { queries: theirs.test, trainingQueries: theirs.train, source: `${datasetLabel(choice.dataset)}:test`, notices };
  } else if (choice.split === 'validation') {
    const split = validationSplit(own.train);
    if (split.warning) notices.push(`validation split: ${split.warning}`);
    resolved = { queries: split.validation, trainingQueries: split.train, source: `${datasetLabel(spec.dataset)}:validation`, notices };
  } else {
    resolved = { queries: own.test, trainingQueries: own.train, source: `${datasetLabel(spec.dataset)}:test`, notices };
  }
  if (spec.limit !== undefined) resolved.queries = resolved.queries.slice(0, spec.limit);
  if (resolved.queries.length === 0) {
    throw new PilotScopeError('EXPERIMENT_INVALID', `Experiment "${spec.name}": the workload ${resolved.source} has no queries. Give the dataset a test workload (test.sql) or choose another workload.`);
  }
  return resolved;
}

export function readSqlFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PilotScopeError('EXPERIMENT_INVALID', `Cannot read the workload file ${file}: ${(err as Error).message}.`, { file }, { cause: err });
  }
  const statements = splitStatements(text);
  if (statements.length === 0) throw new PilotScopeError('EXPERIMENT_INVALID', `The workload file ${file} holds no SQL statements (separate them with ;).`);
  return statements;
}

/**
 * Splits training queries into a part to train on and a validation part, by query template
 * (literals replaced by ?), so queries differing only in constants stay on one side. Seeded:
 * the same queries always give the same split.
 */
export function validationSplit(train: readonly string[]): { train: string[]; validation: string[]; warning?: string } {
  const split = splitByTemplate(train, { trainRatio: 1 - VALIDATION_SHARE, seed: DEFAULT_SPLIT_SEED });
  return { train: split.train, validation: split.test, ...(split.warning ? { warning: split.warning } : {}) };
}

/**
 * Building an AlgorithmContext for programs that run presets directly (the experiment runner
 * builds its own): sensible defaults, notices collected in a list, and a training-workload
 * resolver that handles the tested dataset and files of SQL itself.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Engine } from '../engine/types.js';
import { PilotScopeError } from '../errors.js';
import { SILENT_PROGRESS } from '../scheduler/scheduler.js';
import type { ProgressReporter, RowStore } from '../scheduler/types.js';
import { splitStatements } from '../sql/index.js';
import { TimeStatistic } from '../timing/index.js';
import type { AlgorithmContext, TrainingWorkload } from './types.js';

export interface ContextOptions {
  dataset: string;
  engine: Engine;
  trainingQueries: readonly string[];
  store: RowStore;
  home: string;
  /** Resolves other datasets (cross-dataset training); files and the tested dataset are handled here. */
  resolveDataset?: (dataset: string) => Promise<TrainingWorkload>;
  timers?: TimeStatistic;
  progress?: ProgressReporter;
  timeoutMs?: number;
  parallelism?: number;
  seed?: number;
  notice?: (text: string) => void;
}

export interface BuiltContext extends AlgorithmContext {
  /** Every notice given to this context. */
  readonly notices: string[];
}

export function createAlgorithmContext(options: ContextOptions): BuiltContext {
  const notices: string[] = [];
  return {
    dataset: options.dataset,
    engine: options.engine,
    trainingQueries: [...options.trainingQueries],
    store: options.store,
    home: options.home,
    timers: options.timers ?? new TimeStatistic(),
    progress: options.progress ?? SILENT_PROGRESS,
    timeoutMs: options.timeoutMs ?? 300_000,
    parallelism: options.parallelism ?? 4,
    seed: options.seed ?? 42,
    notices,
    notice(text) {
      notices.push(text);
      options.notice?.(text);
    },
    async trainingWorkload(choice) {
      if (choice.file !== undefined) return { dataset: `file:${path.resolve(choice.file)}`, engine: options.engine, queries: await readSqlFile(choice.file) };
      if (choice.dataset === undefined || choice.dataset === options.dataset) {
        return { dataset: options.dataset, engine: options.engine, queries: [...options.trainingQueries] };
      }
      if (!options.resolveDataset) {
        throw new PilotScopeError('DATASET_NOT_FOUND', `Training on dataset "${choice.dataset}" needs its database; this context only knows "${options.dataset}". Pass resolveDataset, or use training_data_file.`, {
          dataset: choice.dataset,
        });
      }
      return options.resolveDataset(choice.dataset);
    },
  };
}

/** The statements of a SQL file (split with the SQL lexer, so `;` in literals is safe). */
export async function readSqlFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new PilotScopeError('USAGE', `Cannot read the training data file ${file}: ${(err as Error).message}. Give a file of SQL statements separated by ";".`, { file }, { cause: err });
  }
  const statements = splitStatements(text).map((s) => s.trim()).filter((s) => s.length > 0);
  if (statements.length === 0) throw new PilotScopeError('USAGE', `The training data file ${file} holds no SQL statements.`, { file });
  return statements;
}

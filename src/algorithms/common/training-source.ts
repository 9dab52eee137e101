/**
 * Where a learned preset gets its training queries: the tested dataset's training workload
 * ("auto"), another registered dataset (its own database: cross-dataset training), or a file of
 * SQL. Also names the store tables collected data goes to, one per training source, so data of
 * different databases never mixes.
 */
import { createHash } from 'node:crypto';
import type { Engine } from '../../engine/types.js';
import type { AlgorithmContext } from '../types.js';
import type { LearnedSettings } from './settings.js';

export interface TrainingSource {
  /** The dataset name recorded in model metadata ("file:<path>" for a file). */
  dataset: string;
  engine: Engine;
  queries: string[];
  /** True when the training database is the tested one. */
  sameDatabase: boolean;
}

/** The training dataset's name without opening anything (for "latest" lookups). */
export function trainingDatasetName(settings: LearnedSettings, ctx: AlgorithmContext): string {
  if (settings.trainingDataFile !== undefined) return `file:${settings.trainingDataFile}`;
  return settings.trainingDataset === 'auto' ? ctx.dataset : settings.trainingDataset;
}

export async function resolveTrainingSource(settings: LearnedSettings, ctx: AlgorithmContext): Promise<TrainingSource> {
  if (settings.trainingDataFile !== undefined) {
    const workload = await ctx.trainingWorkload({ file: settings.trainingDataFile });
    return { dataset: workload.dataset, engine: workload.engine, queries: workload.queries, sameDatabase: true };
  }
  const name = trainingDatasetName(settings, ctx);
  if (name === ctx.dataset) return { dataset: ctx.dataset, engine: ctx.engine, queries: [...ctx.trainingQueries], sameDatabase: true };
  const workload = await ctx.trainingWorkload({ dataset: name });
  return { dataset: workload.dataset, engine: workload.engine, queries: workload.queries, sameDatabase: false };
}

/** A store table name for `<prefix>` data of a training source (letters, digits, _ only). */
export function storeTableName(prefix: string, dataset: string): string {
  const clean = dataset.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (clean.length > 0 && clean.length <= 60 && !dataset.startsWith('file:')) return `${prefix}_${clean}`;
  const hash = createHash('sha256').update(dataset).digest('hex').slice(0, 12);
  return `${prefix}_${clean.slice(0, 40)}_${hash}`;
}

/** The first `n` items (all when n is undefined). */
export function firstN<T>(items: readonly T[], n: number | undefined): T[] {
  return n === undefined ? [...items] : items.slice(0, n);
}

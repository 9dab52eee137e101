/**
 * The real effect of advised indexes: the workload measured without them, then built (journaled),
 * then measured again; with the planner's own cost estimates before and after. Times are split
 * into planning and the rest where the engine reports planning: an index can only speed up
 * execution, while every extra index makes planning a little slower.
 */
import type { Engine, IndexSpec } from '../../engine/types.js';
import { measureWorkload, workloadTotals, type MeasureOptions } from '../workload.js';
import type { IndexJournal } from './index-journal.js';

export interface Totals {
  /** Seconds, sums of per-query medians. */
  total: number;
  planning?: number;
  execution?: number;
  /** The planner's estimated cost of the workload. */
  estimatedCost: number;
}

export interface IndexEffect {
  queries: number;
  without: Totals;
  with: Totals;
  /** without / with (> 1: faster with the indexes), end to end and without planning. */
  speedup: { total: number; execution?: number; estimatedCost: number };
  buildSeconds: number;
}

export async function measureIndexEffect(
  engine: Engine,
  journal: IndexJournal,
  indexes: ReadonlyArray<IndexSpec & { name: string }>,
  queries: readonly string[],
  measure: MeasureOptions,
): Promise<IndexEffect> {
  const without = { ...workloadTotals(await measureWorkload(engine, queries, measure)), estimatedCost: await estimatedCost(engine, queries) };
  const started = performance.now();
  await journal.build(engine, indexes);
  const buildSeconds = (performance.now() - started) / 1000;
  const withIndexes = { ...workloadTotals(await measureWorkload(engine, queries, measure)), estimatedCost: await estimatedCost(engine, queries) };
  const speedup: IndexEffect['speedup'] = { total: without.total / withIndexes.total, estimatedCost: without.estimatedCost / withIndexes.estimatedCost };
  if (without.execution !== undefined && withIndexes.execution !== undefined) speedup.execution = without.execution / withIndexes.execution;
  return { queries: queries.length, without, with: withIndexes, speedup, buildSeconds };
}

async function estimatedCost(engine: Engine, queries: readonly string[]): Promise<number> {
  let total = 0;
  for (const sql of queries) total += (await engine.run({ sql, pull: { estimatedCost: true } })).estimatedCost ?? 0;
  return total;
}

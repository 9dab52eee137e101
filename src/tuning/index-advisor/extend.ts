/**
 * Extend (Schlosser et al., as in PilotScope's index selection): grow an index configuration one
 * step at a time. Each step either adds a single-column index or widens a chosen index by one
 * column (up to the width limit), whichever buys the most estimated cost per byte, as long as the
 * configuration fits the storage budget and the cost falls by at least the minimum improvement.
 * Real indexes stay (an index some existing index already serves is not proposed).
 */
import type { ExistingIndex, IndexSpec } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';
import { coveredByExisting, indexKey } from './candidates.js';
import type { WhatIfCosts } from './what-if.js';

export interface ExtendOptions {
  /** Storage budget for the new indexes, bytes. */
  budgetBytes: number;
  maxWidth: number;
  /** A step must cut the cost by this factor: cost * minImprovement < current cost (1.003 = 0.3%). */
  minImprovement: number;
  /** At most this many steps (0: until nothing helps). */
  maxSteps: number;
  onStep?(step: ExtendStep): void;
}

export interface ExtendStep {
  action: 'add' | 'extend';
  index: IndexSpec;
  /** The index it widened (extend). */
  replaces?: IndexSpec;
  /** Workload cost after the step. */
  cost: number;
  /** Size of all chosen indexes after the step, bytes. */
  totalBytes: number;
}

export interface ExtendResult {
  indexes: Array<{ index: IndexSpec; bytes: number }>;
  baseCost: number;
  finalCost: number;
  steps: ExtendStep[];
  /** Why the search ended. */
  stoppedBy: 'no-improvement' | 'max-steps';
}

interface Move {
  action: 'add' | 'extend';
  index: IndexSpec;
  replaces?: IndexSpec;
  chosen: IndexSpec[];
  cost: number;
  totalBytes: number;
  ratio: number;
}

export async function extend(
  indexable: ReadonlyArray<{ table: string; column: string }>,
  existing: readonly ExistingIndex[],
  costs: WhatIfCosts,
  options: ExtendOptions,
): Promise<ExtendResult> {
  if (!(options.budgetBytes > 0)) throw new PilotScopeError('USAGE', `The index storage budget must be positive, got ${options.budgetBytes} bytes.`);
  if (!Number.isInteger(options.maxWidth) || options.maxWidth < 1) throw new PilotScopeError('USAGE', `max_width must be at least 1, got ${options.maxWidth}.`);
  if (!(options.minImprovement >= 1)) throw new PilotScopeError('USAGE', `min_improvement must be at least 1 (a cost ratio), got ${options.minImprovement}.`);

  const singles = indexable.map(({ table, column }) => ({ table, columns: [column] })).filter((i) => !coveredByExisting(i, existing));
  const columnsOf = new Map<string, string[]>();
  for (const { table, column } of indexable) columnsOf.set(table, [...(columnsOf.get(table) ?? []), column]);
  await costs.sizesOf(singles);

  const baseCost = await costs.workloadCost([]);
  let chosen: IndexSpec[] = [];
  let chosenBytes: number[] = [];
  let currentCost = baseCost;
  const steps: ExtendStep[] = [];
  let stoppedBy: ExtendResult['stoppedBy'] = 'no-improvement';

  while (true) {
    if (options.maxSteps > 0 && steps.length >= options.maxSteps) {
      stoppedBy = 'max-steps';
      break;
    }
    const total = chosenBytes.reduce((a, b) => a + b, 0);
    let best: Move | undefined;
    const consider = async (move: Omit<Move, 'cost' | 'ratio'>, addedBytes: number): Promise<void> => {
      if (move.totalBytes > options.budgetBytes) return;
      const cost = await costs.workloadCost(move.chosen);
      if (!(cost * options.minImprovement < currentCost)) return;
      const ratio = (currentCost - cost) / (addedBytes === 0 ? 1 : addedBytes);
      if (!best || ratio > best.ratio) best = { ...move, cost, ratio };
    };

    const chosenKeys = new Set(chosen.map(indexKey));
    for (const single of singles) {
      if (chosenKeys.has(indexKey(single))) continue;
      const bytes = await costs.size(single);
      await consider({ action: 'add', index: single, chosen: [...chosen, single], totalBytes: total + bytes }, bytes);
    }
    for (const [i, index] of chosen.entries()) {
      if (index.columns.length >= options.maxWidth) continue;
      for (const column of columnsOf.get(index.table) ?? []) {
        if (index.columns.includes(column)) continue;
        const wider: IndexSpec = { table: index.table, columns: [...index.columns, column] };
        if (chosenKeys.has(indexKey(wider)) || coveredByExisting(wider, existing)) continue;
        const bytes = await costs.size(wider);
        const next = chosen.map((c, j) => (j === i ? wider : c));
        await consider({ action: 'extend', index: wider, replaces: index, chosen: next, totalBytes: total - chosenBytes[i]! + bytes }, bytes - chosenBytes[i]!);
      }
    }
    const move: Move | undefined = best;
    if (!move || move.ratio <= 0) break;
    chosen = move.chosen;
    chosenBytes = await costs.sizesOf(chosen);
    currentCost = move.cost;
    const step: ExtendStep = { action: move.action, index: move.index, cost: move.cost, totalBytes: move.totalBytes };
    if (move.replaces) step.replaces = move.replaces;
    steps.push(step);
    options.onStep?.(step);
  }
  return { indexes: chosen.map((index, i) => ({ index, bytes: chosenBytes[i]! })), baseCost, finalCost: currentCost, steps, stoppedBy };
}

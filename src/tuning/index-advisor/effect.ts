/**
 * The real effect of advised indexes: the workload measured without them and with them, in
 * alternating rounds (drop, measure, build, measure, ...) so that a change in the machine's load
 * during the measurement does not land on one side only; each figure is the median over rounds.
 * Times are split into planning and the rest where the engine reports planning: an index can
 * only speed up execution, while every extra index makes planning a little slower. The indexes
 * are left built (journaled).
 */
import type { Engine, IndexSpec } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';
import { measureWorkload, median, workloadTotals, type MeasureOptions } from '../workload.js';
import type { IndexJournal } from './index-journal.js';

export interface Totals {
  /** Seconds: per round the sum of per-query medians, then the median over rounds. */
  total: number;
  planning?: number;
  execution?: number;
  /** The planner's estimated cost of the workload. */
  estimatedCost: number;
}

export interface IndexEffect {
  queries: number;
  rounds: number;
  without: Totals;
  with: Totals;
  /** without / with (> 1: faster with the indexes): medians over rounds of each round's ratio. */
  speedup: { total: number; execution?: number; estimatedCost: number };
  /** Each round's totals, for people who want to see the spread. */
  perRound: Array<{ without: Omit<Totals, 'estimatedCost'>; with: Omit<Totals, 'estimatedCost'> }>;
  /** Time to build the indexes (median over rounds), seconds. */
  buildSeconds: number;
}

export async function measureIndexEffect(
  engine: Engine,
  journal: IndexJournal,
  indexes: ReadonlyArray<IndexSpec & { name: string }>,
  queries: readonly string[],
  measure: MeasureOptions & { rounds?: number },
): Promise<IndexEffect> {
  const rounds = measure.rounds ?? 1;
  if (!Number.isInteger(rounds) || rounds < 1) throw new PilotScopeError('USAGE', `rounds must be at least 1, got ${rounds}.`);
  const names = indexes.map((i) => i.name);
  const perRound: IndexEffect['perRound'] = [];
  const builds: number[] = [];
  let costWithout = 0;
  let costWith = 0;
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await journal.drop(engine, names);
    const without = workloadTotals(await measureWorkload(engine, queries, measure));
    if (round === 0) costWithout = await estimatedCost(engine, queries);
    const started = performance.now();
    await journal.build(engine, indexes);
    builds.push((performance.now() - started) / 1000);
    const withIndexes = workloadTotals(await measureWorkload(engine, queries, measure));
    if (round === 0) costWith = await estimatedCost(engine, queries);
    perRound.push({ without, with: withIndexes });
  }
  const med = (pick: (r: IndexEffect['perRound'][number]) => number | undefined): number | undefined => {
    const values = perRound.map(pick);
    return values.every((v) => v !== undefined) ? median(values as number[]) : undefined;
  };
  const totals = (side: 'without' | 'with', cost: number): Totals => {
    const t: Totals = { total: med((r) => r[side].total)!, estimatedCost: cost };
    const planning = med((r) => r[side].planning);
    const execution = med((r) => r[side].execution);
    if (planning !== undefined) t.planning = planning;
    if (execution !== undefined) t.execution = execution;
    return t;
  };
  const speedup: IndexEffect['speedup'] = { total: med((r) => r.without.total / r.with.total)!, estimatedCost: costWithout / costWith };
  const execution = med((r) => (r.without.execution !== undefined && r.with.execution !== undefined ? r.without.execution / r.with.execution : undefined));
  if (execution !== undefined) speedup.execution = execution;
  return { queries: queries.length, rounds, without: totals('without', costWithout), with: totals('with', costWith), speedup, perRound, buildSeconds: median(builds) };
}

async function estimatedCost(engine: Engine, queries: readonly string[]): Promise<number> {
  let total = 0;
  for (const sql of queries) total += (await engine.run({ sql, pull: { estimatedCost: true } })).estimatedCost ?? 0;
  return total;
}

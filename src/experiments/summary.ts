/** Turns the per-query rows of an experiment into its summary figures. */
import type { StageStats } from '../timing/index.js';
import { mean, percentiles, percentile, qError, sum } from './statistics.js';
import type { ExperimentSummary, Percentiles, QueryDetailRow, StageFigures } from './types.js';

export interface Figures {
  queries: number;
  completed: number;
  timeouts: number;
  failures: number;
  total_time: number;
  average_time: number;
  median_time: number;
  p95_time: number;
  db_execution_time: number;
  overhead_time: number;
  q_error: ExperimentSummary['q_error'];
  plan_changes: ExperimentSummary['plan_changes'];
  workload_stages: Record<string, StageFigures>;
}

/**
 * Times cover the queries that finished or timed out (a timeout counts the time until it fired);
 * failed queries are counted but not timed. Medians and percentiles interpolate between ranks.
 */
export function figuresOf(rows: readonly QueryDetailRow[], plannedQueries: number): Figures {
  const timed = rows.filter((r) => r.status !== 'failed');
  const times = timed.map((r) => r.time);
  const compared = rows.filter((r) => r.plan_changed !== null && r.plan_changed !== undefined);
  return {
    queries: plannedQueries,
    completed: rows.filter((r) => r.status === 'ok').length,
    timeouts: rows.filter((r) => r.status === 'timeout').length,
    failures: rows.filter((r) => r.status === 'failed').length,
    total_time: sum(times),
    average_time: mean(times),
    median_time: times.length ? percentile(times, 50) : 0,
    p95_time: times.length ? percentile(times, 95) : 0,
    db_execution_time: sum(timed.map((r) => r.execution_time ?? 0)),
    overhead_time: sum(timed.map((r) => r.overhead_time ?? 0)),
    q_error: qErrors(rows),
    plan_changes: compared.length ? { compared: compared.length, changed: compared.filter((r) => r.plan_changed).length } : null,
    workload_stages: stageTotals(rows),
  };
}

/** q-errors over every relation set whose true rows the executed plans showed. */
export function qErrors(rows: readonly QueryDetailRow[]): { used: Percentiles | null; database: Percentiles | null } {
  const used: number[] = [];
  const database: number[] = [];
  for (const row of rows) {
    for (const card of row.cards ?? []) {
      if (card.true_rows === null || card.true_rows === undefined) continue;
      used.push(qError(card.rows, card.true_rows));
      database.push(qError(card.planner_rows, card.true_rows));
    }
  }
  return { used: percentiles(used), database: percentiles(database) };
}

function stageTotals(rows: readonly QueryDetailRow[]): Record<string, StageFigures> {
  const totals: Record<string, { count: number; total: number }> = {};
  for (const row of rows) {
    for (const [stage, ms] of Object.entries(row.stages ?? {})) {
      const t = (totals[stage] ??= { count: 0, total: 0 });
      t.count += 1;
      t.total += ms;
    }
  }
  return Object.fromEntries(Object.entries(totals).map(([stage, t]) => [stage, { count: t.count, total_ms: t.total, mean_ms: t.total / t.count }]));
}

/** Seconds spent in a stage during init (collection, training), 0 when it did not run. */
export function initSeconds(stages: Record<string, StageStats> | undefined, name: string): number {
  return (stages?.[name]?.totalMs ?? 0) / 1000;
}

/** TimeStatistic stages in the results' shape. */
export function stageFigures(stages: Record<string, StageStats>): Record<string, StageFigures> {
  return Object.fromEntries(Object.entries(stages).map(([name, s]) => [name, { count: s.count, total_ms: s.totalMs, mean_ms: s.meanMs }]));
}

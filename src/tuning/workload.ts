/**
 * Measuring a workload: warm-up passes (discarded), then measured passes; each query's time is
 * its median over the measured passes. Times are the engine's own execution times. A query that
 * hits its statement timeout counts as the timeout (a lower bound) and is not run again in later
 * passes. The objectives: total time, throughput (queries per second) or the 95th percentile.
 */
import type { Engine } from '../engine/types.js';
import { PilotScopeError } from '../errors.js';

export const OBJECTIVES = ['time', 'throughput', 'p95'] as const;
export type ObjectiveName = (typeof OBJECTIVES)[number];

export interface MeasureOptions {
  /** Passes run first and not measured (caches, JIT, plan caches warm up). */
  warmup: number;
  /** Measured passes; each query's time is its median over them. */
  repeats: number;
  /** Statement timeout in ms: one for all queries, or one per query. */
  timeoutsMs: number | readonly number[];
}

export interface WorkloadMeasurement {
  /** Median execution time per query, seconds (a timed-out query counts as its timeout). */
  perQuery: Float64Array;
  /** Median planning time per query, seconds, when the engine reports it (0 for a timed-out query). */
  planning?: Float64Array;
  /** Median time per query without planning, seconds, when the engine reports planning. */
  execution?: Float64Array;
  /** Queries that hit their timeout. */
  timedOut: number;
  /** Sum of execution times of each measured pass, seconds. */
  passSeconds: number[];
  /** Wall time of the whole measurement (warm-up included), seconds. */
  wallSeconds: number;
}

export interface ObjectiveValue {
  /** In the objective's own unit (seconds, or queries per second for throughput). */
  value: number;
  unit: string;
  /** What the tuner minimizes (seconds): total time, mean time per query, or the 95th percentile. */
  cost: number;
}

export async function measureWorkload(engine: Engine, queries: readonly string[], options: MeasureOptions): Promise<WorkloadMeasurement> {
  if (queries.length === 0) throw new PilotScopeError('USAGE', 'The workload to measure has no queries.');
  if (!Number.isInteger(options.repeats) || options.repeats < 1) throw new PilotScopeError('USAGE', `repeats must be at least 1, got ${options.repeats}.`);
  const started = performance.now();
  const timeoutOf = (i: number): number => (typeof options.timeoutsMs === 'number' ? options.timeoutsMs : options.timeoutsMs[i]!);
  const samples = queries.map(() => [] as number[]);
  const planning = queries.map(() => [] as number[]);
  const executing = queries.map(() => [] as number[]);
  let planningReported = true;
  const timedOut = new Uint8Array(queries.length);
  const passSeconds: number[] = [];
  for (let pass = 0; pass < options.warmup + options.repeats; pass++) {
    const measured = pass >= options.warmup;
    let total = 0;
    for (let i = 0; i < queries.length; i++) {
      const timeoutMs = timeoutOf(i);
      let seconds: number;
      let planningSeconds = 0;
      if (timedOut[i]) {
        seconds = timeoutMs / 1000;
      } else {
        const data = await engine.run({ sql: queries[i]!, pull: { executionTime: true }, timeoutMs });
        if (data.status === 'timeout') {
          timedOut[i] = 1;
          seconds = timeoutMs / 1000;
        } else {
          seconds = data.executionTime ?? data.wallTime ?? 0;
          if (data.planningTime === undefined) planningReported = false;
          else planningSeconds = data.planningTime;
        }
      }
      if (measured) {
        samples[i]!.push(seconds);
        planning[i]!.push(planningSeconds);
        executing[i]!.push(seconds - planningSeconds);
        total += seconds;
      }
    }
    if (measured) passSeconds.push(total);
  }
  return {
    perQuery: Float64Array.from(samples, median),
    ...(planningReported ? { planning: Float64Array.from(planning, median), execution: Float64Array.from(executing, median) } : {}),
    timedOut: timedOut.reduce((a, b) => a + b, 0),
    passSeconds,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

export function objectiveOf(name: ObjectiveName, measurement: WorkloadMeasurement): ObjectiveValue {
  const times = measurement.perQuery;
  const total = times.reduce((a, b) => a + b, 0);
  switch (name) {
    case 'time':
      return { value: total, unit: 's', cost: total };
    case 'throughput':
      return { value: times.length / Math.max(total, 1e-9), unit: 'queries/s', cost: total / times.length };
    case 'p95': {
      const p95 = quantile(times, 0.95);
      return { value: p95, unit: 's', cost: p95 };
    }
  }
}

/** Totals of a measurement, seconds: end to end, and split into planning and the rest when known. */
export function workloadTotals(m: WorkloadMeasurement): { total: number; planning?: number; execution?: number } {
  const total = sum(m.perQuery);
  if (!m.planning || !m.execution) return { total };
  return { total, planning: sum(m.planning), execution: sum(m.execution) };
}

function sum(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th quantile by linear interpolation between order statistics. */
export function quantile(values: ArrayLike<number>, p: number): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

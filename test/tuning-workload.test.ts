/** Objectives, query sampling and the combination of repeated measurements (no database). */
import test from 'ava';
import { pickQueries } from '../src/tuning/knob-session.js';
import { combined, type Evaluation } from '../src/tuning/knob-tuner.js';
import { median, objectiveOf, quantile, workloadTotals, type WorkloadMeasurement } from '../src/tuning/workload.js';

const measurement: WorkloadMeasurement = {
  perQuery: Float64Array.from([0.1, 0.2, 0.3, 0.4, 1.0]),
  planning: Float64Array.from([0.01, 0.01, 0.02, 0.02, 0.04]),
  execution: Float64Array.from([0.09, 0.19, 0.28, 0.38, 0.96]),
  timedOut: 0,
  passSeconds: [2, 2],
  wallSeconds: 5,
};

test('objectives: total time, throughput, 95th percentile; what is minimized for each', (t) => {
  t.deepEqual(objectiveOf('time', measurement), { value: 2, unit: 's', cost: 2 });
  t.deepEqual(objectiveOf('throughput', measurement), { value: 2.5, unit: 'queries/s', cost: 0.4 });
  const p95 = objectiveOf('p95', measurement);
  t.is(p95.unit, 's');
  t.true(Math.abs(p95.value - 0.88) < 1e-12, 'interpolated between 0.4 and 1.0');
  t.is(p95.cost, p95.value);
  const totals = workloadTotals(measurement);
  t.is(totals.total, 2);
  t.true(Math.abs(totals.planning! - 0.1) < 1e-12);
  t.true(Math.abs(totals.execution! - 1.9) < 1e-12);
});

test('median and quantile', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.is(quantile([5, 1, 3], 0), 1);
  t.is(quantile([5, 1, 3], 1), 5);
  t.is(quantile([1, 2, 3, 4, 5], 0.5), 3);
});

test('a query sample is seeded, bounded and keeps workload order', (t) => {
  const queries = Array.from({ length: 100 }, (_, i) => `select ${i}`);
  const a = pickQueries(queries, 10, 3);
  t.is(a.length, 10);
  t.deepEqual(a, pickQueries(queries, 10, 3));
  t.notDeepEqual(a, pickQueries(queries, 10, 4));
  t.deepEqual(a, [...a].sort((x, y) => Number(x.slice(7)) - Number(y.slice(7))));
  t.deepEqual(pickQueries(queries, 0, 3), queries, '0 means all');
  t.deepEqual(pickQueries(queries.slice(0, 5), 10, 3), queries.slice(0, 5));
});

test('repeated measurements combine as a geometric mean; a failed re-measurement rules a configuration out', (t) => {
  const e: Evaluation = { index: 1, source: 'model', config: {}, status: 'ok', objective: 2, cost: 2, seconds: 1, remeasured: [8], remeasuredObjective: [8] };
  t.true(Math.abs(combined(e, 'cost') - 4) < 1e-12);
  t.is(combined({ ...e, remeasured: undefined }, 'cost'), 2);
  t.is(combined({ ...e, remeasured: [Infinity] }, 'cost'), Infinity);
});

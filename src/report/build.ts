/**
 * What a comparison report shows, computed from loaded results: the summary table, the charts
 * (end-to-end time, per-query scatter against the baseline, CDFs of query times, q-error
 * distributions, sweep heatmaps and line plots) and the plan diffs of the queries that gained or
 * lost most against the baseline.
 */
import type { PlanNode } from '../engine/types.js';
import type { SweepResult } from '../experiments/sweep.js';
import { qError } from '../experiments/statistics.js';
import type { ExperimentSummary, QueryDetailRow } from '../experiments/types.js';
import { barChart } from './charts/bars.js';
import { boxChart } from './charts/boxes.js';
import { heatmap } from './charts/heatmap.js';
import { cdfChart, lineChart } from './charts/lines.js';
import { scatterChart } from './charts/scatter.js';
import type { LoadedExperiment, LoadedResults } from './load.js';
import { chartId, fmt, fmtSeconds, type Chart } from './svg.js';

export interface ReportEntry extends LoadedExperiment {
  /** Short name in charts: the algorithm, or the experiment name when a dataset has several of one algorithm. */
  label: string;
  baseline?: LoadedExperiment;
}

export interface PlanDiff {
  experiment: string;
  label: string;
  dataset: string;
  sql: string;
  baselineTime: number;
  time: number;
  baselinePlan: PlanNode;
  plan: PlanNode;
  kind: 'gain' | 'loss';
}

export interface ReportModel {
  entries: ReportEntry[];
  sweeps: SweepResult[];
  charts: Chart[];
  sweepCharts: Chart[];
  planDiffs: PlanDiff[];
  notices: string[];
}

const DIFFS_PER_SIDE = 3;

export function buildReport(results: LoadedResults): ReportModel {
  const notices = [...results.notices];
  const sweepPoints = new Set(results.sweeps.flatMap((s) => s.points.map((p) => p.experiment)));
  const shown = results.experiments.filter((e) => !sweepPoints.has(e.summary.experiment));
  const entries = labelled(shown);
  const datasets = [...new Set(entries.map((e) => e.summary.dataset))];
  const charts: Chart[] = [];

  if (entries.length) {
    const series = [...new Set(entries.map((e) => e.label))];
    const totals = new Map(entries.map((e) => [`${e.summary.dataset}\u0000${e.label}`, e.summary.total_time]));
    charts.push(
      barChart({
        id: 'end-to-end-time',
        title: 'End-to-end time of the workload',
        caption: 'Total end-to-end time of the test queries (collection and training not included), per algorithm and dataset. Lower is better.',
        groups: datasets,
        series,
        value: (g, s) => totals.get(`${g}\u0000${s}`) ?? null,
        yLabel: 'seconds',
        format: fmt,
      }),
    );
  }

  for (const dataset of datasets) {
    const inDataset = entries.filter((e) => e.summary.dataset === dataset);
    const compared = inDataset.filter((e) => e.baseline && e.summary.algorithm !== 'baseline' && e.rows.length && e.baseline.rows.length);
    if (compared.length) {
      charts.push(
        scatterChart({
          id: chartId('scatter', dataset),
          title: `Per-query time against the baseline (${dataset})`,
          caption: 'Each dot is one query: the baseline\'s time (x) against the algorithm\'s (y), log scales. Below the dashed line the algorithm was faster.',
          series: compared.map((e) => ({ name: e.label, points: pairs(e.baseline!.rows, e.rows).map(([b, a]) => ({ x: b.time, y: a.time, label: `query ${a.query_index + 1}` })) })),
          xLabel: 'baseline time per query',
          yLabel: 'algorithm time per query',
        }),
      );
    }
    const withRows = inDataset.filter((e) => e.rows.some((r) => r.status !== 'failed'));
    if (withRows.length) {
      charts.push(
        cdfChart({
          id: chartId('cdf', dataset),
          title: `Distribution of query times (${dataset})`,
          caption: 'Share of queries (y) that finished within a time (x, log scale). Further left is better.',
          series: withRows.map((e) => ({ name: e.label, values: e.rows.filter((r) => r.status !== 'failed').map((r) => r.time) })),
          xLabel: 'query time',
        }),
      );
    }
    const boxes = qErrorBoxes(inDataset);
    if (boxes.length) {
      charts.push(
        boxChart({
          id: chartId('q-error', dataset),
          title: `Cardinality q-error (${dataset})`,
          caption: "q-error of the row counts the planner used against the executed plans' actual rows, per relation set (log scale; whiskers 5th-95th percentile, dot: maximum). Lower is better.",
          boxes,
          yLabel: 'q-error',
        }),
      );
    } else if (inDataset.length) {
      notices.push(`${dataset}: no q-errors to show (true cardinalities come from executed plans with the pilotscope extension).`);
    }
  }

  return { entries, sweeps: results.sweeps, charts, sweepCharts: results.sweeps.flatMap(sweepCharts), planDiffs: planDiffs(entries), notices };
}

/** Labels experiments and finds each one's baseline (same dataset and workload). */
function labelled(experiments: LoadedExperiment[]): ReportEntry[] {
  const perAlgorithm = new Map<string, number>();
  for (const e of experiments) {
    const key = `${e.summary.dataset}\u0000${e.summary.algorithm}`;
    perAlgorithm.set(key, (perAlgorithm.get(key) ?? 0) + 1);
  }
  return experiments.map((e) => {
    const unique = perAlgorithm.get(`${e.summary.dataset}\u0000${e.summary.algorithm}`) === 1;
    const baseline = experiments.find((b) => b.summary.algorithm === 'baseline' && b.summary.dataset === e.summary.dataset && b.summary.workload.source === e.summary.workload.source);
    return { ...e, label: unique ? e.summary.algorithm : e.summary.experiment, ...(baseline && baseline !== e ? { baseline } : {}) };
  });
}

/** Rows of the same query in two runs (matched by position and SQL), both timed. */
export function pairs(baseline: QueryDetailRow[], rows: QueryDetailRow[]): Array<[QueryDetailRow, QueryDetailRow]> {
  const byIndex = new Map(baseline.map((r) => [r.query_index, r]));
  const out: Array<[QueryDetailRow, QueryDetailRow]> = [];
  for (const row of rows) {
    const b = byIndex.get(row.query_index);
    if (b && b.sql === row.sql && b.status !== 'failed' && row.status !== 'failed') out.push([b, row]);
  }
  return out;
}

function qErrorBoxes(entries: ReportEntry[]): Array<{ name: string; values: number[] }> {
  const boxes: Array<{ name: string; values: number[] }> = [];
  const databaseOwn: number[] = [];
  for (const e of entries) {
    const used: number[] = [];
    for (const row of e.rows) {
      for (const c of row.cards ?? []) {
        if (c.true_rows === null || c.true_rows === undefined) continue;
        used.push(qError(c.rows, c.true_rows));
        if (e.summary.algorithm === 'baseline') databaseOwn.push(qError(c.planner_rows, c.true_rows));
      }
    }
    if (used.length && e.summary.algorithm !== 'baseline') boxes.push({ name: e.label, values: used });
  }
  if (databaseOwn.length) boxes.unshift({ name: `${engineName(entries)} estimates`, values: databaseOwn });
  return boxes;
}

function engineName(entries: ReportEntry[]): string {
  const kind = entries[0]?.summary.engine ?? 'database';
  return kind === 'postgresql' ? 'PostgreSQL' : kind === 'spark' ? 'Spark' : kind;
}

function sweepCharts(sweep: SweepResult): Chart[] {
  const params = Object.keys(sweep.grid);
  const metric = sweep.metric;
  const format = metric === 'q_error_p95' ? fmt : fmtSeconds;
  const valueOf = (filter: Record<string, string>): number | null => {
    const values = sweep.points.filter((p) => Object.entries(filter).every(([k, v]) => String(p.params[k]) === v)).map((p) => p.value).filter((v): v is number => v !== null);
    return values.length ? Math.min(...values) : null;
  };
  const charts: Chart[] = [];
  const more = params.length > 2 ? ' (best over the other parameters)' : '';
  if (params.length >= 2) {
    const [px, py] = params as [string, string];
    charts.push(
      heatmap({
        id: chartId('sweep', sweep.sweep, 'heatmap'),
        title: `${sweep.sweep}: ${metric} over ${px} and ${py}`,
        caption: `${metric} of every configuration${more}, on the ${sweep.evaluate_on} workload; the best is outlined in red. Darker is better.`,
        xLabel: px,
        yLabel: py,
        xValues: sweep.grid[px]!.map(String),
        yValues: sweep.grid[py]!.map(String),
        value: (x, y) => valueOf({ [px]: x, [py]: y }),
        best: { x: String(sweep.best.params[px]), y: String(sweep.best.params[py]) },
        format,
      }),
    );
  }
  if (params.length !== 2) {
    for (const p of params) {
      const values = sweep.grid[p]!;
      charts.push(
        lineChart({
          id: chartId('sweep', sweep.sweep, 'line', p),
          title: `${sweep.sweep}: ${metric} over ${p}`,
          caption: `${metric} for each value of ${p}${params.length > 1 ? ' (best over the other parameters)' : ''}, on the ${sweep.evaluate_on} workload. Lower is better.`,
          xValues: values.every((v) => typeof v === 'number') ? (values as number[]) : values.map(String),
          series: [{ name: sweep.algorithm, values: values.map((v) => valueOf({ [p]: String(v) })) }],
          xLabel: p,
          yLabel: metric,
          format,
        }),
      );
    }
  }
  return charts;
}

function planDiffs(entries: ReportEntry[]): PlanDiff[] {
  const diffs: PlanDiff[] = [];
  for (const e of entries) {
    if (!e.baseline || e.summary.algorithm === 'baseline') continue;
    const changed = pairs(e.baseline.rows, e.rows)
      .filter(([b, a]) => b.plan_tree && a.plan_tree && b.plan_signature !== a.plan_signature)
      .map(([b, a]) => ({ b, a, delta: b.time - a.time }));
    const gains = changed.filter((c) => c.delta > 0).sort((x, y) => y.delta - x.delta).slice(0, DIFFS_PER_SIDE);
    const losses = changed.filter((c) => c.delta < 0).sort((x, y) => x.delta - y.delta).slice(0, DIFFS_PER_SIDE);
    for (const [kind, list] of [['gain', gains], ['loss', losses]] as const) {
      for (const { b, a } of list) {
        diffs.push({
          experiment: e.summary.experiment,
          label: e.label,
          dataset: e.summary.dataset,
          sql: a.sql,
          baselineTime: b.time,
          time: a.time,
          baselinePlan: b.plan_tree as PlanNode,
          plan: a.plan_tree as PlanNode,
          kind,
        });
      }
    }
  }
  return diffs;
}

/** Speed-up of an experiment over its baseline (baseline total / its total). */
export function speedup(entry: ReportEntry): number | null {
  const base = entry.baseline?.summary.total_time;
  return base && entry.summary.total_time > 0 ? base / entry.summary.total_time : null;
}

export type { ExperimentSummary };

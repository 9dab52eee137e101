/** Short human summaries for stdout. */
import { fmtSeconds } from '../report/svg.js';
import { describeParams, type SweepResult } from './sweep.js';
import type { ExperimentSummary } from './types.js';

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** One line per experiment with its main figures and its speed-up over a baseline of the same dataset. */
export function summariesTable(summaries: readonly ExperimentSummary[]): string {
  const head = ['experiment', 'algorithm', 'dataset', 'queries', 'total', 'average', 'median', 'p95', 'timeouts', 'failed', 'training', 'vs baseline'];
  const rows = summaries.map((s) => {
    const base = summaries.find((b) => b.algorithm === 'baseline' && b.dataset === s.dataset && b.workload.source === s.workload.source);
    const ratio = base && s !== base && s.total_time > 0 ? `${(base.total_time / s.total_time).toFixed(2)}x` : '-';
    return [s.experiment, s.algorithm, s.dataset, String(s.queries), fmtSeconds(s.total_time), fmtSeconds(s.average_time), fmtSeconds(s.median_time), fmtSeconds(s.p95_time), String(s.timeouts), String(s.failures), s.training_time > 0 ? fmtSeconds(s.training_time) : '-', ratio];
  });
  return table(head, rows);
}

export function sweepText(sweep: SweepResult): string {
  const params = Object.keys(sweep.grid);
  const head = ['point', 'experiment', 'x', ...params, sweep.metric, 'total', 'failed'];
  const rows = sweep.points.map((p) => [
    String(p.point + 1),
    p.experiment,
    p.point === sweep.best.point ? '*' : '',
    ...params.map((k) => String(p.params[k])),
    p.value === null ? '-' : sweep.metric === 'q_error_p95' ? p.value.toFixed(2) : fmtSeconds(p.value),
    fmtSeconds(p.total_time),
    String(p.failures),
  ]);
  const best = sweep.best;
  const lines = [
    `Sweep ${sweep.sweep}: ${sweep.algorithm} on ${sweep.dataset}, ${sweep.points.length} configurations on the ${sweep.evaluate_on} workload, by ${sweep.metric}`,
    table(head, rows),
    '',
    `Best configuration: ${describeParams(best.params)} (${sweep.metric} ${best.value === null ? '-' : sweep.metric === 'q_error_p95' ? best.value.toFixed(2) : fmtSeconds(best.value)}, total ${fmtSeconds(best.total_time)}, ${best.failures} failed, ${best.timeouts} timeouts)`,
    `All parameters: ${describeParams(sweep.best_params)}`,
  ];
  if (sweep.rerun) lines.push(`Re-run on the test workload (${sweep.rerun.experiment}): total ${fmtSeconds(sweep.rerun.total_time)}, average ${fmtSeconds(sweep.rerun.average_time)}, p95 ${fmtSeconds(sweep.rerun.p95_time)}`);
  return lines.join('\n');
}

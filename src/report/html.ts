/**
 * The report page: one self-contained HTML file (inline CSS, inline SVG, no scripts, nothing
 * fetched), readable offline and printable.
 */
import type { ComparisonMetric } from '../experiments/schema.js';
import { speedup, type ReportModel } from './build.js';
import { planHtml } from './plan-diff.js';
import { esc, fmt, fmtSeconds, type Chart } from './svg.js';

const CSS = `
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:24px auto;max-width:1280px;color:#222;padding:0 16px}
h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666;font-size:13px}table{border-collapse:collapse;font-size:13px;margin:12px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f4f6f8}td.name,th.name{text-align:left}
figure{display:inline-block;margin:12px 18px 18px 0;vertical-align:top}figcaption{font-size:12px;color:#555;max-width:620px}
figcaption a{color:#4c72b0}.diffs{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.plan{font-size:12px;background:#fafafa;border:1px solid #e3e3e3;padding:8px;overflow:auto}
.plan ul{list-style:none;padding-left:16px;margin:0}.plan>ul{padding-left:0}
.plan li.diff>.node{background:#fde2e1;color:#9b1c1c;font-weight:bold}.rows{color:#777}
pre.sql{white-space:pre-wrap;font-size:12px;background:#f6f8fa;padding:8px;border:1px solid #e3e3e3}
.gain{color:#2f7d32}.loss{color:#b42318}.notice{color:#8a6d3b;font-size:13px}
`;

export interface HtmlOptions {
  title: string;
  metrics: readonly ComparisonMetric[];
  /** Relative directory of the PNG copies (linked under each chart). */
  pngDir: string;
  sources: readonly string[];
}

export function reportHtml(model: ReportModel, options: HtmlOptions): string {
  const parts: string[] = [];
  parts.push(`<h1>${esc(options.title)}</h1>`);
  parts.push(`<p class="meta">Generated ${esc(new Date().toISOString())} from ${esc(options.sources.join(', '))}. Times are end-to-end seconds per query as measured by the runner.</p>`);
  if (model.entries.length) parts.push('<h2>Summary</h2>', summaryTable(model, options.metrics));
  if (model.charts.length) parts.push('<h2>Charts</h2>', ...model.charts.map((c) => figure(c, options.pngDir)));
  if (model.sweeps.length) parts.push('<h2>Config sweeps</h2>', ...model.sweeps.map(sweepTable), ...model.sweepCharts.map((c) => figure(c, options.pngDir)));
  if (model.planDiffs.length) parts.push('<h2>Plans that changed most</h2>', '<p class="meta">The queries that gained or lost most against the baseline with a different plan; nodes that differ are marked.</p>', ...model.planDiffs.map(planDiffHtml));
  if (model.notices.length) parts.push('<h2>Notes</h2>', `<ul>${model.notices.map((n) => `<li class="notice">${esc(n)}</li>`).join('')}</ul>`);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(options.title)}</title><style>${CSS}</style></head><body>${parts.join('\n')}</body></html>\n`;
}

function figure(chart: Chart, pngDir: string): string {
  return `<figure id="${esc(chart.id)}">${chart.svg}<figcaption>${esc(chart.caption)} <a href="${esc(`${pngDir}/${chart.id}.png`)}">PNG</a></figcaption></figure>`;
}

const METRIC_LABELS: Record<ComparisonMetric, string> = {
  total_time: 'total',
  average_time: 'average',
  median_time: 'median',
  p95_time: 'p95',
  q_error_p95: 'q-error p95',
  db_execution_time: 'database time',
  overhead_time: 'overhead',
  timeouts: 'timeouts',
  failures: 'failures',
};

function metricCell(summary: ReportModel['entries'][number]['summary'], metric: ComparisonMetric): string {
  if (metric === 'q_error_p95') return summary.q_error.used ? fmt(summary.q_error.used.p95) : '-';
  if (metric === 'timeouts' || metric === 'failures') return String(summary[metric]);
  return fmtSeconds(summary[metric]);
}

function summaryTable(model: ReportModel, metrics: readonly ComparisonMetric[]): string {
  const head = ['experiment', 'algorithm', 'dataset', 'queries', ...metrics.map((m) => METRIC_LABELS[m]), 'speed-up', 'plans changed', 'training'];
  const rows = model.entries.map((e) => {
    const s = e.summary;
    const up = speedup(e);
    const cells = [
      `<td class="name">${esc(s.experiment)}</td>`,
      `<td class="name">${esc(s.algorithm)}</td>`,
      `<td class="name">${esc(s.dataset)}</td>`,
      `<td>${s.queries}</td>`,
      ...metrics.map((m) => `<td>${esc(metricCell(s, m))}</td>`),
      `<td>${up === null ? '-' : `${up.toFixed(2)}x`}</td>`,
      `<td>${s.plan_changes ? `${s.plan_changes.changed} of ${s.plan_changes.compared}` : '-'}</td>`,
      `<td>${s.training_time > 0 ? esc(fmtSeconds(s.training_time)) : '-'}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h, i) => `<th${i < 3 ? ' class="name"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function sweepTable(sweep: ReportModel['sweeps'][number]): string {
  const params = Object.keys(sweep.grid);
  const head = ['point', ...params, sweep.metric, 'total', 'failures'];
  const rows = sweep.points.map((p) => {
    const best = p.point === sweep.best.point;
    const value = p.value === null ? '-' : sweep.metric === 'q_error_p95' ? fmt(p.value) : fmtSeconds(p.value);
    return `<tr${best ? ' style="font-weight:bold"' : ''}><td class="name">${esc(p.experiment)}${best ? ' (best)' : ''}</td>${params.map((k) => `<td>${esc(String(p.params[k]))}</td>`).join('')}<td>${esc(value)}</td><td>${esc(fmtSeconds(p.total_time))}</td><td>${p.failures}</td></tr>`;
  });
  const rerun = sweep.rerun ? `<p>Best configuration re-run on the test workload: total ${esc(fmtSeconds(sweep.rerun.total_time))}, average ${esc(fmtSeconds(sweep.rerun.average_time))} (${esc(sweep.rerun.experiment)}).</p>` : '';
  return `<h3>${esc(sweep.sweep)}: ${esc(sweep.algorithm)} on ${esc(sweep.dataset)}, by ${esc(sweep.metric)} on the ${esc(sweep.evaluate_on)} workload</h3><table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>${rerun}`;
}

function planDiffHtml(diff: ReportModel['planDiffs'][number]): string {
  const change = diff.baselineTime - diff.time;
  const verdict = change > 0 ? `<span class="gain">${esc(fmtSeconds(change))} faster</span>` : `<span class="loss">${esc(fmtSeconds(-change))} slower</span>`;
  return (
    `<h3>${esc(diff.label)} on ${esc(diff.dataset)}: ${verdict} (${esc(fmtSeconds(diff.baselineTime))} → ${esc(fmtSeconds(diff.time))})</h3>` +
    `<pre class="sql">${esc(diff.sql)}</pre>` +
    `<div class="diffs"><div><b>baseline</b><div class="plan"><ul>${planHtml(diff.baselinePlan, diff.plan)}</ul></div></div>` +
    `<div><b>${esc(diff.label)}</b><div class="plan"><ul>${planHtml(diff.plan, diff.baselinePlan)}</ul></div></div></div>`
  );
}

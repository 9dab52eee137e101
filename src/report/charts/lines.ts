/**
 * Line charts: CDFs of query times (step lines on a log x axis) and metric-over-parameter plots
 * (numeric or categorical x).
 */
import { categoryAxis, color, document, esc, fmt, fmtSeconds, frame, legend, linearScale, logScale, plotWidth, round, xAxis, yAxis, type Chart } from '../svg.js';

export interface CdfInput {
  id: string;
  title: string;
  caption: string;
  series: Array<{ name: string; values: number[] }>;
  xLabel: string;
}

export function cdfChart(input: CdfInput): Chart {
  const f = frame(620, 400, { left: 64 });
  const all = input.series.flatMap((s) => s.values).filter((v) => v > 0);
  const x = logScale(Math.min(...all), Math.max(...all), f.left, f.width - f.right);
  const y = linearScale(0, 1, f.height - f.bottom, f.top);
  let marks = 0;
  const paths = input.series.map((s, si) => {
    const sorted = s.values.filter((v) => v > 0).sort((a, b) => a - b);
    if (sorted.length === 0) return '';
    let d = `M${round(x(sorted[0]!))},${round(y(0))}`;
    sorted.forEach((v, i) => {
      d += ` L${round(x(v))},${round(y(i / sorted.length))} L${round(x(v))},${round(y((i + 1) / sorted.length))}`;
    });
    marks++;
    return `<path class="mark" d="${d}" fill="none" stroke="${color(si)}" stroke-width="2"><title>${esc(`${s.name}: ${sorted.length} queries`)}</title></path>`;
  });
  const body = xAxis(f, x, input.xLabel, fmtSeconds) + yAxis(f, y, 'share of queries', (v) => `${Math.round(v * 100)}%`) + paths.join('') + legend(f, input.series.map((s) => s.name), color, 'line');
  return { id: input.id, title: input.title, caption: input.caption, svg: document(f, input.title, body, marks) };
}

export interface LineInput {
  id: string;
  title: string;
  caption: string;
  /** x positions: numbers (numeric axis) or labels (categorical axis, in order). */
  xValues: Array<number | string>;
  series: Array<{ name: string; values: Array<number | null> }>;
  xLabel: string;
  yLabel: string;
  format?: (v: number) => string;
}

export function lineChart(input: LineInput): Chart {
  const f = frame(600, 380, { left: 70 });
  const numeric = input.xValues.every((v) => typeof v === 'number');
  const values = input.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const y = linearScale(Math.min(0, ...values), Math.max(...values, 0), f.height - f.bottom, f.top);
  let xs: number[];
  let axis: string;
  if (numeric) {
    const nums = input.xValues as number[];
    const scale = linearScale(Math.min(...nums), Math.max(...nums), f.left + 10, f.width - f.right - 10);
    xs = nums.map((v) => scale(v));
    axis = xAxis(f, scale, input.xLabel);
  } else {
    const step = plotWidth(f) / input.xValues.length;
    xs = input.xValues.map((_, i) => f.left + step * (i + 0.5));
    axis = categoryAxis(f, input.xValues.map((v, i) => ({ label: String(v), x: xs[i]! })), input.xLabel);
  }
  const format = input.format ?? fmt;
  let marks = 0;
  const lines = input.series.map((s, si) => {
    const pts = s.values.map((v, i) => (v === null ? null : { x: xs[i]!, y: y(v), v })).filter((p): p is { x: number; y: number; v: number } => p !== null);
    if (pts.length === 0) return '';
    const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)},${round(p.y)}`).join(' ');
    const dots = pts.map((p) => {
      marks++;
      return `<circle class="mark" cx="${round(p.x)}" cy="${round(p.y)}" r="4" fill="${color(si)}"><title>${esc(`${s.name}: ${format(p.v)}`)}</title></circle>`;
    });
    return `<path d="${d}" fill="none" stroke="${color(si)}" stroke-width="2"/>${dots.join('')}`;
  });
  const body = yAxis(f, y, input.yLabel, format) + axis + lines.join('') + legend(f, input.series.map((s) => s.name), color, 'line');
  return { id: input.id, title: input.title, caption: input.caption, svg: document(f, input.title, body, marks) };
}

export { fmtSeconds };

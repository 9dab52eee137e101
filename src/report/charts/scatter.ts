/** Per-query scatter on log axes: baseline time (x) against an algorithm's time (y), with y = x. */
import { color, document, esc, fmtSeconds, frame, legend, logScale, round, xAxis, yAxis, type Chart } from '../svg.js';

export interface ScatterSeries {
  name: string;
  points: Array<{ x: number; y: number; label?: string }>;
}

export interface ScatterInput {
  id: string;
  title: string;
  caption: string;
  series: ScatterSeries[];
  xLabel: string;
  yLabel: string;
}

export function scatterChart(input: ScatterInput): Chart {
  const f = frame(560, 480, { left: 72 });
  const all = input.series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0);
  const lo = Math.min(...all.map((p) => Math.min(p.x, p.y)));
  const hi = Math.max(...all.map((p) => Math.max(p.x, p.y)));
  const x = logScale(lo, hi, f.left, f.width - f.right);
  const y = logScale(lo, hi, f.height - f.bottom, f.top);
  const [d0, d1] = x.domain;
  const diagonal = `<line x1="${round(x(d0))}" y1="${round(y(d0))}" x2="${round(x(d1))}" y2="${round(y(d1))}" stroke="#999" stroke-dasharray="4 3"/>`;
  let marks = 0;
  const dots = input.series.map((s, si) =>
    s.points
      .filter((p) => p.x > 0 && p.y > 0)
      .map((p) => {
        marks++;
        const tip = `${s.name}: ${fmtSeconds(p.y)} vs ${fmtSeconds(p.x)}${p.label ? ` (${p.label})` : ''}`;
        return `<circle class="mark" cx="${round(x(p.x))}" cy="${round(y(p.y))}" r="3.2" fill="${color(si)}" fill-opacity="0.7"><title>${esc(tip)}</title></circle>`;
      })
      .join(''),
  );
  const body = xAxis(f, x, input.xLabel, fmtSeconds) + yAxis(f, y, input.yLabel, fmtSeconds) + diagonal + dots.join('') + legend(f, input.series.map((s) => s.name));
  return { id: input.id, title: input.title, caption: input.caption, svg: document(f, input.title, body, marks) };
}

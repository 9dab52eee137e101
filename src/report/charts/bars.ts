/** Grouped bars: one group per category (dataset), one bar per series (algorithm or experiment). */
import { categoryAxis, color, document, esc, fmt, frame, legend, linearScale, plotHeight, plotWidth, round, yAxis, type Chart } from '../svg.js';

export interface BarChartInput {
  id: string;
  title: string;
  caption: string;
  groups: string[];
  series: string[];
  /** null: no bar (the series did not run on that group). */
  value(group: string, series: string): number | null;
  yLabel: string;
  format?: (v: number) => string;
}

export function barChart(input: BarChartInput): Chart {
  const f = frame(Math.max(560, 120 + input.groups.length * (input.series.length * 34 + 40)), 380, { top: 44 });
  const values = input.groups.flatMap((g) => input.series.map((s) => input.value(g, s))).filter((v): v is number => v !== null && Number.isFinite(v));
  const y = linearScale(0, Math.max(...values, 0), f.top + plotHeight(f), f.top);
  const groupWidth = plotWidth(f) / Math.max(1, input.groups.length);
  const barWidth = Math.min(40, (groupWidth - 24) / Math.max(1, input.series.length));
  const format = input.format ?? fmt;
  const bars: string[] = [];
  let marks = 0;
  input.groups.forEach((group, gi) => {
    const start = f.left + gi * groupWidth + (groupWidth - barWidth * input.series.length) / 2;
    input.series.forEach((series, si) => {
      const v = input.value(group, series);
      if (v === null || !Number.isFinite(v)) return;
      const x = round(start + si * barWidth);
      const top = round(y(v));
      const height = round(y(0) - top);
      bars.push(
        `<rect class="mark" x="${x}" y="${top}" width="${round(barWidth - 3)}" height="${Math.max(height, 0.5)}" fill="${color(si)}"><title>${esc(`${series} on ${group}: ${format(v)}`)}</title></rect>` +
          `<text x="${round(x + (barWidth - 3) / 2)}" y="${top - 4}" text-anchor="middle" font-size="10" fill="#333">${esc(format(v))}</text>`,
      );
      marks++;
    });
  });
  const categories = input.groups.map((label, gi) => ({ label, x: f.left + gi * groupWidth + groupWidth / 2 }));
  const body = yAxis(f, y, input.yLabel) + bars.join('') + categoryAxis(f, categories, '') + legend(f, input.series);
  return { id: input.id, title: input.title, caption: input.caption, svg: document(f, input.title, body, marks) };
}

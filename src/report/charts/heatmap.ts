/** A heatmap over two parameters: one cell per combination, coloured by the metric (darker is better: lower). */
import { document, esc, fmt, frame, round, shorten, type Chart } from '../svg.js';

export interface HeatmapInput {
  id: string;
  title: string;
  caption: string;
  xLabel: string;
  yLabel: string;
  xValues: string[];
  yValues: string[];
  value(x: string, y: string): number | null;
  /** The cell to outline (the best configuration). */
  best?: { x: string; y: string };
  format?: (v: number) => string;
}

export function heatmap(input: HeatmapInput): Chart {
  const cell = 64;
  const f = frame(Math.max(480, 150 + input.xValues.length * cell + 90), 130 + input.yValues.length * cell, { left: 110, top: 48, bottom: 60, right: 90 });
  const values = input.xValues.flatMap((x) => input.yValues.map((y) => input.value(x, y))).filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const format = input.format ?? fmt;
  const shade = (v: number) => {
    const t = hi > lo ? (v - lo) / (hi - lo) : 0;
    // Low (good) values dark blue, through teal, to pale yellow for high values.
    const stops = [[37, 52, 148], [65, 182, 196], [255, 255, 204]] as const;
    const [from, to, u] = t < 0.5 ? [stops[0], stops[1], t * 2] : [stops[1], stops[2], (t - 0.5) * 2];
    const c = from.map((a, i) => Math.round(a + (to[i]! - a) * u));
    return { fill: `rgb(${c.join(',')})`, text: t < 0.5 ? '#fff' : '#222' };
  };
  let marks = 0;
  const cells: string[] = [];
  input.yValues.forEach((yv, yi) => {
    input.xValues.forEach((xv, xi) => {
      const v = input.value(xv, yv);
      const x = f.left + xi * cell;
      const y = f.top + yi * cell;
      if (v === null || !Number.isFinite(v)) {
        cells.push(`<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="#eee"/>`);
        return;
      }
      marks++;
      const s = shade(v);
      const best = input.best && input.best.x === xv && input.best.y === yv;
      cells.push(
        `<rect class="mark" x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${s.fill}"${best ? ' stroke="#d62728" stroke-width="3"' : ''}><title>${esc(`${input.xLabel}=${xv}, ${input.yLabel}=${yv}: ${format(v)}`)}</title></rect>` +
          `<text x="${round(x + cell / 2 - 1)}" y="${round(y + cell / 2 + 3)}" text-anchor="middle" font-size="11" fill="${s.text}">${esc(format(v))}</text>`,
      );
    });
  });
  const xLabels = input.xValues.map((v, i) => `<text x="${f.left + i * cell + cell / 2 - 1}" y="${f.top + input.yValues.length * cell + 16}" text-anchor="middle" fill="#444">${esc(shorten(v, 10))}</text>`);
  const yLabels = input.yValues.map((v, i) => `<text x="${f.left - 8}" y="${f.top + i * cell + cell / 2 + 3}" text-anchor="end" fill="#444">${esc(shorten(v, 14))}</text>`);
  const gridBottom = f.top + input.yValues.length * cell;
  const axisNames =
    `<text x="${f.left + (input.xValues.length * cell) / 2}" y="${gridBottom + 38}" text-anchor="middle" fill="#333">${esc(input.xLabel)}</text>` +
    `<text transform="translate(18 ${f.top + (input.yValues.length * cell) / 2}) rotate(-90)" text-anchor="middle" fill="#333">${esc(input.yLabel)}</text>`;
  const keyX = f.left + input.xValues.length * cell + 20;
  const key =
    `<text x="${keyX}" y="${f.top + 10}" font-size="10" fill="#333">${esc(format(lo))} (best)</text>` +
    `<rect x="${keyX}" y="${f.top + 16}" width="14" height="14" fill="${shade(lo).fill}"/>` +
    `<rect x="${keyX}" y="${f.top + 34}" width="14" height="14" fill="${shade(hi).fill}" stroke="#ccc"/>` +
    `<text x="${keyX}" y="${f.top + 62}" font-size="10" fill="#333">${esc(format(hi))}</text>`;
  const body = cells.join('') + xLabels.join('') + yLabels.join('') + axisNames + key;
  return { id: input.id, title: input.title, caption: input.caption, svg: document(f, input.title, body, marks) };
}

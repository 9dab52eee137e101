/** Box plots on a log axis: whiskers at the 5th and 95th percentiles, box at the quartiles, the maximum as a dot. */
import { percentileOfSorted } from '../../experiments/statistics.js';
import { categoryAxis, color, document, esc, fmt, frame, logScale, plotWidth, round, yAxis, type Chart } from '../svg.js';

export interface BoxInput {
  id: string;
  title: string;
  caption: string;
  boxes: Array<{ name: string; values: number[] }>;
  yLabel: string;
}

export function boxChart(input: BoxInput): Chart {
  const boxes = input.boxes.filter((b) => b.values.length > 0);
  const f = frame(Math.max(480, 140 + boxes.length * 110), 400, { left: 70, bottom: 60 });
  const all = boxes.flatMap((b) => b.values);
  const y = logScale(Math.max(1, Math.min(...all)), Math.max(...all, 10), f.height - f.bottom, f.top);
  const step = plotWidth(f) / Math.max(1, boxes.length);
  let marks = 0;
  const shapes = boxes.map((b, i) => {
    const sorted = [...b.values].sort((a, c) => a - c);
    const [p5, q1, med, q3, p95] = [5, 25, 50, 75, 95].map((p) => percentileOfSorted(sorted, p)) as [number, number, number, number, number];
    const max = sorted[sorted.length - 1]!;
    const cx = f.left + step * (i + 0.5);
    const w = Math.min(60, step * 0.5);
    marks++;
    const tip = `${b.name}: n=${sorted.length}, median ${fmt(med)}, p95 ${fmt(p95)}, max ${fmt(max)}`;
    return (
      `<g class="mark"><title>${esc(tip)}</title>` +
      `<line x1="${round(cx)}" x2="${round(cx)}" y1="${round(y(p5))}" y2="${round(y(p95))}" stroke="#555"/>` +
      `<line x1="${round(cx - w / 4)}" x2="${round(cx + w / 4)}" y1="${round(y(p5))}" y2="${round(y(p5))}" stroke="#555"/>` +
      `<line x1="${round(cx - w / 4)}" x2="${round(cx + w / 4)}" y1="${round(y(p95))}" y2="${round(y(p95))}" stroke="#555"/>` +
      `<rect x="${round(cx - w / 2)}" y="${round(y(q3))}" width="${round(w)}" height="${Math.max(1, round(y(q1) - y(q3)))}" fill="${color(i)}" fill-opacity="0.75" stroke="#333"/>` +
      `<line x1="${round(cx - w / 2)}" x2="${round(cx + w / 2)}" y1="${round(y(med))}" y2="${round(y(med))}" stroke="#111" stroke-width="2"/>` +
      `<circle cx="${round(cx)}" cy="${round(y(max))}" r="3" fill="#333"/>` +
      `<text x="${round(cx + w / 2 + 4)}" y="${round(y(med)) + 4}" font-size="10" fill="#333">${esc(fmt(med))}</text></g>`
    );
  });
  const body = yAxis(f, y, input.yLabel) + shapes.join('') + categoryAxis(f, boxes.map((b, i) => ({ label: b.name, x: f.left + step * (i + 0.5) })), '');
  return { id: input.id, title: input.title, caption: input.caption, svg: document(f, input.title, body, marks) };
}

/**
 * The pieces every chart is drawn with: escaping, number formats, linear and log scales with
 * readable ticks, axes, legends and the chart frame. Charts are plain SVG text: no fonts or
 * scripts to fetch, so a report opens offline and converts to PNG as is.
 */

export interface Chart {
  /** File-name-safe identifier (the PNG is <id>.png). */
  id: string;
  title: string;
  /** One sentence under the chart saying how to read it. */
  caption: string;
  svg: string;
}

export const FONT = "DejaVu Sans, Arial, Helvetica, sans-serif";
export const PALETTE = ['#4c72b0', '#dd8452', '#55a868', '#c44e52', '#8172b3', '#937860', '#da8bc3', '#8c8c8c', '#ccb974', '#64b5cd'];

export function color(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Compact numbers for labels: 3 significant digits, k/M suffixes, small values in e-notation. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs >= 1e6) return `${trim((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${trim((value / 1e3).toPrecision(3))}k`;
  if (abs >= 1000) return String(Math.round(value));
  if (abs >= 0.01) return trim(value.toPrecision(3));
  return value.toExponential(1);
}

function trim(text: string): string {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

/** Seconds as a readable duration. */
export function fmtSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  if (seconds >= 100) return `${fmt(seconds)} s`;
  if (seconds >= 1) return `${seconds.toFixed(2)} s`;
  if (seconds >= 0.001) return `${(seconds * 1000).toFixed(1)} ms`;
  return `${(seconds * 1e6).toFixed(0)} µs`;
}

export interface Scale {
  (value: number): number;
  ticks: number[];
  domain: [number, number];
  log: boolean;
}

export function linearScale(min: number, max: number, from: number, to: number, tickCount = 5): Scale {
  if (!(max > min)) max = min + (min === 0 ? 1 : Math.abs(min));
  const step = niceStep((max - min) / tickCount);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const scale = ((v: number) => from + ((v - lo) / (hi - lo)) * (to - from)) as Scale;
  scale.ticks = [];
  for (let t = lo; t <= hi + step / 2; t += step) scale.ticks.push(Number(t.toPrecision(12)));
  scale.domain = [lo, hi];
  scale.log = false;
  return scale;
}

export function logScale(min: number, max: number, from: number, to: number): Scale {
  const lo = Math.floor(Math.log10(Math.max(min, 1e-12)));
  let hi = Math.ceil(Math.log10(Math.max(max, 1e-12)));
  if (hi <= lo) hi = lo + 1;
  const scale = ((v: number) => from + ((Math.log10(Math.max(v, 1e-12)) - lo) / (hi - lo)) * (to - from)) as Scale;
  const every = Math.max(1, Math.ceil((hi - lo) / 6));
  scale.ticks = [];
  for (let e = lo; e <= hi; e += every) scale.ticks.push(10 ** e);
  scale.domain = [10 ** lo, 10 ** hi];
  scale.log = true;
  return scale;
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * power;
}

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function frame(width: number, height: number, margins: Partial<Omit<Frame, 'width' | 'height'>> = {}): Frame {
  return { width, height, left: margins.left ?? 64, right: margins.right ?? 24, top: margins.top ?? 40, bottom: margins.bottom ?? 52 };
}

export function plotWidth(f: Frame): number {
  return f.width - f.left - f.right;
}

export function plotHeight(f: Frame): number {
  return f.height - f.top - f.bottom;
}

/** The whole SVG document: white background, title, body. */
export function document(f: Frame, title: string, body: string, marks: number): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" font-family="${FONT}" font-size="12" data-marks="${marks}">` +
    `<rect width="${f.width}" height="${f.height}" fill="#ffffff"/>` +
    `<text x="${f.width / 2}" y="22" text-anchor="middle" font-size="${titleSize(title, f.width)}" font-weight="bold" fill="#222">${esc(title)}</text>` +
    body +
    '</svg>'
  );
}

/** Title font size: 15px, smaller when the title would not fit the chart's width. */
function titleSize(title: string, width: number): number {
  const needed = title.length * 9.8;
  return needed <= width - 16 ? 15 : Math.max(9, Math.floor((15 * (width - 16)) / needed));
}

/** Y axis with grid lines and a label. */
export function yAxis(f: Frame, scale: Scale, label: string, format: (v: number) => string = fmt): string {
  const x0 = f.left;
  const x1 = f.width - f.right;
  const parts = scale.ticks.map((t) => {
    const y = round(scale(t));
    return `<line x1="${x0}" x2="${x1}" y1="${y}" y2="${y}" stroke="#e5e5e5"/><text x="${x0 - 6}" y="${y + 4}" text-anchor="end" fill="#444">${esc(format(t))}</text>`;
  });
  const mid = f.top + plotHeight(f) / 2;
  parts.push(`<line x1="${x0}" x2="${x0}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="#888"/>`);
  parts.push(`<text transform="translate(16 ${mid}) rotate(-90)" text-anchor="middle" fill="#333">${esc(label)}</text>`);
  return parts.join('');
}

/** X axis with numeric ticks and a label. */
export function xAxis(f: Frame, scale: Scale, label: string, format: (v: number) => string = fmt): string {
  const y = f.height - f.bottom;
  const parts = scale.ticks.map((t) => {
    const x = round(scale(t));
    return `<line x1="${x}" x2="${x}" y1="${f.top}" y2="${y}" stroke="#f0f0f0"/><text x="${x}" y="${y + 16}" text-anchor="middle" fill="#444">${esc(format(t))}</text>`;
  });
  parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}" stroke="#888"/>`);
  parts.push(`<text x="${f.left + plotWidth(f) / 2}" y="${f.height - 10}" text-anchor="middle" fill="#333">${esc(label)}</text>`);
  return parts.join('');
}

/** X axis for categories placed at the given centres. */
export function categoryAxis(f: Frame, categories: Array<{ label: string; x: number }>, label: string): string {
  const y = f.height - f.bottom;
  const parts = categories.map((c) => `<text x="${round(c.x)}" y="${y + 16}" text-anchor="middle" fill="#444">${esc(shorten(c.label, 24))}</text>`);
  parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}" stroke="#888"/>`);
  if (label) parts.push(`<text x="${f.left + plotWidth(f) / 2}" y="${f.height - 10}" text-anchor="middle" fill="#333">${esc(label)}</text>`);
  return parts.join('');
}

/** A legend in the top-right corner of the plot area. */
export function legend(f: Frame, names: readonly string[], colors: (i: number) => string = color, kind: 'box' | 'line' = 'box'): string {
  if (names.length === 0) return '';
  const width = Math.min(220, 28 + Math.max(...names.map((n) => Math.min(n.length, 28))) * 7);
  const x = f.width - f.right - width - 4;
  const y = f.top + 4;
  const rows = names.map((name, i) => {
    const cy = y + 12 + i * 16;
    const swatch = kind === 'box'
      ? `<rect x="${x + 8}" y="${cy - 8}" width="12" height="10" fill="${colors(i)}"/>`
      : `<line x1="${x + 6}" x2="${x + 22}" y1="${cy - 3}" y2="${cy - 3}" stroke="${colors(i)}" stroke-width="2.5"/>`;
    return `${swatch}<text x="${x + 28}" y="${cy + 1}" fill="#222">${esc(shorten(name, 28))}</text>`;
  });
  return `<g class="legend"><rect x="${x}" y="${y}" width="${width}" height="${names.length * 16 + 8}" fill="#ffffff" fill-opacity="0.85" stroke="#ccc"/>${rows.join('')}</g>`;
}

export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** A placeholder chart that says why there is nothing to draw. */
export function emptyChart(id: string, title: string, reason: string): Chart {
  const f = frame(640, 120);
  return { id, title, caption: reason, svg: document(f, title, `<text x="${f.width / 2}" y="70" text-anchor="middle" fill="#777">${esc(reason)}</text>`, 0) };
}

/** File-name-safe id. */
export function chartId(...parts: string[]): string {
  return parts.join('-').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
}

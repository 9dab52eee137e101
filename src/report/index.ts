/**
 * Comparison reports: `writeReport(sources, {output})` reads results directories or files and
 * writes one self-contained HTML page with SVG charts, and a PNG of each chart beside it
 * (<report>-charts/<chart>.png).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PilotScopeError } from '../errors.js';
import { COMPARISON_METRICS, type ComparisonMetric } from '../experiments/schema.js';
import { buildReport, type ReportModel } from './build.js';
import { reportHtml } from './html.js';
import { loadResults } from './load.js';
import { svgToPng } from './png.js';

export interface ReportOptions {
  /** The HTML file to write. */
  output: string;
  title?: string;
  metrics?: readonly ComparisonMetric[];
  /** Write PNG copies of the charts (default true). */
  png?: boolean;
}

export interface ReportResult {
  file: string;
  pngDir: string | null;
  charts: string[];
  model: ReportModel;
}

export function writeReport(sources: readonly string[], options: ReportOptions): ReportResult {
  const metrics = options.metrics ?? ['total_time', 'average_time', 'p95_time'];
  for (const m of metrics) {
    if (!COMPARISON_METRICS.includes(m)) throw new PilotScopeError('USAGE', `Unknown metric "${m}"; choose from ${COMPARISON_METRICS.join(', ')}.`);
  }
  const model = buildReport(loadResults(sources));
  const file = path.resolve(options.output);
  const dir = path.dirname(file);
  const pngDirName = `${path.basename(file).replace(/\.html?$/i, '')}-charts`;
  const html = reportHtml(model, { title: options.title ?? 'PilotScope comparison', metrics, pngDir: pngDirName, sources });
  try {
    fs.mkdirSync(dir, { recursive: true });
    const charts = [...model.charts, ...model.sweepCharts];
    let pngDir: string | null = null;
    if (options.png !== false && charts.length) {
      pngDir = path.join(dir, pngDirName);
      fs.mkdirSync(pngDir, { recursive: true });
      for (const chart of charts) fs.writeFileSync(path.join(pngDir, `${chart.id}.png`), svgToPng(chart.svg));
    }
    fs.writeFileSync(file, html);
    return { file, pngDir, charts: charts.map((c) => c.id), model };
  } catch (err) {
    if (err instanceof PilotScopeError) throw err;
    throw new PilotScopeError('STORE_IO', `Cannot write the report ${file}: ${(err as Error).message}.`, { file }, { cause: err });
  }
}

export { buildReport, loadResults, reportHtml, svgToPng };
export type { ReportModel };

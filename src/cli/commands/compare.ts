/** `pilotscope compare`: a self-contained HTML report (SVG charts, PNG copies) from results directories or files. */
import fs from 'node:fs';
import path from 'node:path';
import { COMPARISON_METRICS, type ComparisonMetric } from '../../experiments/schema.js';
import { summariesTable } from '../../experiments/format.js';
import { speedup } from '../../report/build.js';
import { writeReport } from '../../report/index.js';
import type { Command } from '../command.js';

export const compareCommand: Command = {
  path: ['compare'],
  summary: 'Write a comparison report (HTML with SVG charts, a PNG of each chart) from results directories or result files.',
  positionals: [{ name: 'results', description: 'Results directories (from run/sweep) or their .json / .sweep.json files.', required: true, variadic: true }],
  options: [
    { name: 'output', type: 'string', valueName: '<report.html>', description: 'Report file (default: report.html in the results directory when there is one, else ./report.html).' },
    { name: 'metric', type: 'list', valueName: '<metrics...>', choices: COMPARISON_METRICS, description: 'Figures in the summary table (default: total_time average_time p95_time).' },
    { name: 'title', type: 'string', valueName: '<text>', description: 'Report title.' },
    { name: 'json', type: 'boolean', description: 'Print the experiments (ranked by total time) and the report location as JSON.' },
  ],
  examples: ['pilotscope compare results/', 'pilotscope compare results/run1 results/run2/mscn_stats_tiny.json --output comparison.html'],
  async run(args, ctx) {
    const sources = args.positionals.results as string[];
    const single = sources.length === 1 && fs.existsSync(sources[0]!) && fs.statSync(sources[0]!).isDirectory() ? sources[0]! : undefined;
    const output = path.resolve((args.options.output as string | undefined) ?? (single ? path.join(single, 'report.html') : 'report.html'));
    const metrics = (args.options.metric as ComparisonMetric[] | undefined) ?? undefined;
    const report = writeReport(sources, { output, ...(metrics ? { metrics } : {}), ...(typeof args.options.title === 'string' ? { title: args.options.title } : {}) });
    const ranked = [...report.model.entries].sort((a, b) => a.summary.total_time - b.summary.total_time);
    if (ctx.jsonMode) {
      return ctx.json({
        report: report.file,
        png_dir: report.pngDir,
        charts: report.charts,
        experiments: ranked.map((e) => ({ experiment: e.summary.experiment, algorithm: e.summary.algorithm, dataset: e.summary.dataset, total_time: e.summary.total_time, average_time: e.summary.average_time, p95_time: e.summary.p95_time, speedup: speedup(e) })),
        sweeps: report.model.sweeps.map((s) => ({ sweep: s.sweep, metric: s.metric, best: s.best, best_params: s.best_params })),
        notices: report.model.notices,
      });
    }
    if (ranked.length) ctx.out(summariesTable(ranked.map((e) => e.summary)));
    for (const notice of report.model.notices) ctx.err(`note: ${notice}`);
    ctx.out(`\nReport: ${report.file}`);
    if (report.pngDir) ctx.out(`Charts as PNG: ${report.pngDir}`);
  },
};

/**
 * Comparison reports: built from results written in the runner's format (two datasets, three
 * algorithms, plans that differ, two sweeps), checked as files (self-contained HTML, one PNG per
 * chart, plan diffs marked), opened in headless Chromium (every chart rendered with visible marks,
 * a screenshot taken), and through `pilotscope compare`.
 */
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { PlanNode } from '../src/engine/types.js';
import { ResultsDir, writeJsonAtomic } from '../src/experiments/results-dir.js';
import { figuresOf } from '../src/experiments/summary.js';
import type { SweepPointResult, SweepResult } from '../src/experiments/sweep.js';
import type { ExperimentSummary, QueryDetailRow } from '../src/experiments/types.js';
import { countDiffs } from '../src/report/plan-diff.js';
import { writeReport } from '../src/report/index.js';
import { runCli } from './helpers/cli.js';
import { REPO_ROOT } from './helpers/paths.js';

const scan = (relation: string, alias: string, type = 'Seq Scan'): PlanNode => ({ nodeType: type, relationName: relation, alias, rows: 100, width: 8, children: [] });
const join = (type: string, left: PlanNode, right: PlanNode): PlanNode => ({ nodeType: type, rows: 50, width: 16, children: [left, right] });
const HASH_PLAN = join('Hash Join', scan('posts', 'p'), { nodeType: 'Hash', rows: 100, width: 8, children: [scan('users', 'u')] });
const LOOP_PLAN = join('Nested Loop', scan('users', 'u'), scan('posts', 'p', 'Index Scan'));

function signature(plan: PlanNode): string {
  return JSON.stringify(plan, ['nodeType', 'relationName', 'alias', 'children']);
}

/** Query times: the baseline's grow with i; an algorithm's are scaled, some queries get another plan. */
function rows(dataset: string, factor: number, changed: (i: number) => boolean): QueryDetailRow[] {
  return Array.from({ length: 40 }, (_, i) => {
    const plan = changed(i) ? LOOP_PLAN : HASH_PLAN;
    const time = 0.002 * (1 + i) * (changed(i) ? factor : 1);
    return {
      query_index: i,
      sql: `SELECT COUNT(*) FROM posts p, users u WHERE p.owneruserid = u.id AND u.reputation > ${i} /* ${dataset} */`,
      status: i === 39 && factor > 1 ? 'timeout' : 'ok',
      error: null,
      time,
      execution_time: time * 0.9,
      overhead_time: time * 0.1,
      estimated_cost: 100 + i,
      physical_plan: { 'Node Type': plan.nodeType },
      plan_tree: plan,
      plan_signature: signature(plan),
      plan_changed: factor === 1 ? null : changed(i),
      cards: [
        { key: 'p', rows: 1000, planner_rows: 900, pushed: factor !== 1, true_rows: 950 + i },
        { key: 'p,u', rows: 40 * factor, planner_rows: 10, pushed: factor !== 1, true_rows: 30 + i * 3 },
      ],
      fallback: null,
      handlers: [],
      stages: { engine: time * 1000 },
    };
  });
}

function writeExperiment(dir: string, name: string, algorithm: string, dataset: string, detail: QueryDetailRow[]): Promise<void> {
  const results = new ResultsDir(dir);
  const { workload_stages, ...figures } = figuresOf(detail, detail.length);
  for (const row of detail) results.appendQuery(name, row);
  const summary: ExperimentSummary = {
    format: 'pilotscope-experiment',
    format_version: 1,
    experiment: name,
    algorithm,
    dataset,
    dataset_ref: { name: dataset },
    database: dataset,
    engine: 'postgresql',
    workload: { source: `${dataset}:test`, queries: detail.length },
    parameters: {},
    model: null,
    ...figures,
    collection_time: 0,
    training_time: algorithm === 'baseline' ? 0 : 1.5,
    overhead_breakdown: { unit: 'ms', init: {}, workload: workload_stages },
    quality: {},
    notices: [],
    environment: { pilotscope: '0', node: process.version, engine: { kind: 'postgresql', version: null }, os: { platform: 'linux', release: '', arch: 'x64' }, machine: { cpu: '', cores: 2, memory_gb: 1 } },
    started_at: '2026-01-01T00:00:00Z',
    finished_at: '2026-01-01T00:01:00Z',
    resumed: 0,
    fingerprint: name,
    files: { detail_arrow: `${name}.arrow`, detail_parquet: `${name}.parquet` },
  };
  results.writeSummary(summary);
  return results.exportDetail(name).finally(() => results.close());
}

function sweep(name: string, grid: Record<string, number[]>, value: (p: Record<string, number>) => number): SweepResult {
  const keys = Object.keys(grid);
  let combos: Array<Record<string, number>> = [{}];
  for (const k of keys) combos = combos.flatMap((c) => grid[k]!.map((v) => ({ ...c, [k]: v })));
  const points: SweepPointResult[] = combos.map((params, i) => ({ point: i, experiment: `${name}_p${i + 1}`, params, value: value(params), total_time: value(params), average_time: value(params) / 10, median_time: 0, p95_time: 0, q_error_p95: null, timeouts: 0, failures: 0, training_time: 1, reused: false }));
  const best = points.reduce((a, b) => (b.value! < a.value! ? b : a));
  return { format: 'pilotscope-sweep', format_version: 1, sweep: name, algorithm: 'mscn', dataset: 'stats_tiny', engine: 'postgresql', metric: 'total_time', evaluate_on: 'validation', grid, fixed_params: {}, points, best, best_params: best.params, rerun: null, state_key: 'k' };
}

let dir: string;

test.before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-report-'));
  for (const dataset of ['stats_tiny', 'synthetic_sf0_01_s7']) {
    await writeExperiment(dir, `baseline_${dataset}`, 'baseline', dataset, rows(dataset, 1, () => false));
    await writeExperiment(dir, `mscn_${dataset}`, 'mscn', dataset, rows(dataset, 0.5, (i) => i % 3 === 0));
    await writeExperiment(dir, `lero_${dataset}`, 'lero', dataset, rows(dataset, 1.8, (i) => i % 4 === 1));
  }
  writeJsonAtomic(path.join(dir, 'epochs.sweep.json'), sweep('epochs', { num_epoch: [10, 50, 100], num_training: [100, 500] }, (p) => 10 - p.num_epoch! / 20 + p.num_training! / 1000));
  writeJsonAtomic(path.join(dir, 'lr.sweep.json'), sweep('lr', { learning_rate: [0.001, 0.01, 0.1] }, (p) => Math.abs(Math.log10(p.learning_rate!) + 2)));
});

test.after.always(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the report is one self-contained HTML file with every chart, and a PNG of each chart', (t) => {
  const report = writeReport([dir], { output: path.join(dir, 'report.html') });
  t.deepEqual(report.charts.sort(), [
    'cdf-stats_tiny',
    'cdf-synthetic_sf0_01_s7',
    'end-to-end-time',
    'q-error-stats_tiny',
    'q-error-synthetic_sf0_01_s7',
    'scatter-stats_tiny',
    'scatter-synthetic_sf0_01_s7',
    'sweep-epochs-heatmap',
    'sweep-lr-line-learning_rate',
  ]);
  const html = fs.readFileSync(report.file, 'utf8');
  t.is((html.match(/<svg /g) ?? []).length, 9);
  t.notRegex(html, /<script|<link|<img|@import|url\(/i, 'nothing to load');
  t.deepEqual([...new Set(html.match(/https?:\/\/[^"' )]+/g))], ['http://www.w3.org/2000/svg'], 'no address but the SVG namespace');
  for (const id of report.charts) {
    const png = fs.readFileSync(path.join(report.pngDir!, `${id}.png`));
    t.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${id}.png is a PNG`);
    t.true(png.length > 5000, `${id}.png has content`);
  }
  // The summary table has every experiment with its speed-up over the baseline of its dataset.
  t.regex(html, /<td class="name">mscn_stats_tiny<\/td><td class="name">mscn<\/td><td class="name">stats_tiny<\/td><td>40<\/td>/);
  const mscn = report.model.entries.find((e) => e.summary.experiment === 'mscn_stats_tiny')!;
  t.is(mscn.baseline?.summary.experiment, 'baseline_stats_tiny');
  // Sweep heatmap: one cell per combination; the best (num_epoch=100, num_training=100) outlined.
  const heat = report.model.sweepCharts.find((c) => c.id === 'sweep-epochs-heatmap')!;
  t.is((heat.svg.match(/class="mark"/g) ?? []).length, 6);
  t.regex(heat.svg, /stroke="#d62728"[^>]*><title>num_epoch=100, num_training=100:/);
});

test('plan diffs show the queries that gained and lost most, with the differing nodes marked', (t) => {
  const report = writeReport([dir], { output: path.join(dir, 'diffs.html'), png: false });
  const diffs = report.model.planDiffs.filter((d) => d.experiment === 'mscn_stats_tiny');
  t.deepEqual(diffs.map((d) => d.kind), ['gain', 'gain', 'gain'], 'mscn only gained where its plan changed');
  t.true(diffs[0]!.baselineTime - diffs[0]!.time >= diffs[1]!.baselineTime - diffs[1]!.time);
  const lero = report.model.planDiffs.filter((d) => d.experiment === 'lero_stats_tiny');
  t.deepEqual(lero.map((d) => d.kind), ['loss', 'loss', 'loss']);
  t.is(countDiffs(LOOP_PLAN, HASH_PLAN), 3, 'the join and both scans differ');
  const html = fs.readFileSync(report.file, 'utf8');
  t.regex(html, /<li class="diff"><span class="node">Nested Loop<\/span>/);
  t.regex(html, /<li class="diff"><span class="node">Index Scan on posts p<\/span>/);
});

test('the report opens in headless Chromium: every chart renders with visible marks', (t) => {
  const setup = spawnSync('bash', [path.join(REPO_ROOT, 'test', 'setup-chromium.sh')], { encoding: 'utf8' });
  t.is(setup.status, 0, setup.stderr);
  const report = writeReport([dir], { output: path.join(dir, 'browser.html') });
  const harness = path.join(dir, 'harness.html');
  fs.writeFileSync(
    harness,
    `<!DOCTYPE html><html><body><iframe id="r" src="browser.html" style="width:1300px;height:4000px"></iframe><pre id="out">pending</pre><script>
document.getElementById('r').addEventListener('load', () => {
  const doc = document.getElementById('r').contentDocument;
  const charts = [...doc.querySelectorAll('figure svg')].map((svg) => {
    const box = svg.getBoundingClientRect();
    const marks = [...svg.querySelectorAll('.mark')].map((m) => m.getBBox());
    return { id: svg.closest('figure').id, width: box.width, height: box.height, marks: marks.length, visible: marks.filter((b) => b.width > 0 || b.height > 0).length };
  });
  document.getElementById('out').textContent = 'CHARTS' + JSON.stringify(charts) + 'END';
});
</script></body></html>`,
  );
  const chromium = (extra: string[]) =>
    spawnSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${fs.mkdtempSync(path.join(dir, 'chrome-'))}`, ...extra], { encoding: 'utf8', timeout: 120_000 });
  const dom = chromium(['--allow-file-access-from-files', '--virtual-time-budget=10000', '--dump-dom', `file://${harness}`]);
  const match = /CHARTS(.*)END/.exec(dom.stdout);
  t.truthy(match, dom.stderr);
  const charts = JSON.parse(match![1]!) as Array<{ id: string; width: number; height: number; marks: number; visible: number }>;
  t.deepEqual(charts.map((c) => c.id).sort(), [...report.charts].sort());
  for (const c of charts) {
    t.true(c.width > 100 && c.height > 100, `${c.id} has a size`);
    t.true(c.marks > 0 && c.visible === c.marks, `${c.id}: ${c.visible} of ${c.marks} marks visible`);
  }
  const shot = path.join(dir, 'screenshot.png');
  const screenshot = chromium([`--screenshot=${shot}`, '--window-size=1300,2400', `file://${report.file}`]);
  t.true(fs.existsSync(shot), screenshot.stderr);
  t.true(fs.statSync(shot).size > 20_000, 'the screenshot shows the page');
});

test('pilotscope compare writes the report and ranks the experiments', async (t) => {
  const result = await runCli(['compare', dir, '--output', path.join(dir, 'cli.html'), '--metric', 'total_time', 'q_error_p95', '--json'], { home: dir });
  t.is(result.code, 0, result.stderr);
  const doc = JSON.parse(result.stdout) as { report: string; experiments: Array<{ experiment: string; total_time: number; speedup: number | null }>; sweeps: Array<{ sweep: string; best_params: Record<string, number> }> };
  t.is(doc.report, path.join(dir, 'cli.html'));
  const totals = doc.experiments.map((e) => e.total_time);
  t.deepEqual(totals, [...totals].sort((a, b) => a - b), 'ranked by total time');
  t.true(doc.experiments.find((e) => e.experiment === 'mscn_stats_tiny')!.speedup! > 1);
  t.deepEqual(doc.sweeps.find((s) => s.sweep === 'epochs')!.best_params, { num_epoch: 100, num_training: 100 });
  t.regex(fs.readFileSync(doc.report, 'utf8'), /q-error p95/);

  const missing = await runCli(['compare', path.join(dir, 'nothing-here')], { home: dir });
  t.is(missing.code, 2);
  t.regex(missing.stderr, /does not exist\. Give results directories/);
  const notResult = await runCli(['compare', path.join(dir, 'harness.html')], { home: dir });
  t.regex(notResult.stderr, /is not a pilotscope result/);
});

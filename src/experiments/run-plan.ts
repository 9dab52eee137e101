/** Runs a whole plan: its experiments, then its sweeps, then the comparison report. */
import path from 'node:path';
import { writeReport, type ReportResult } from '../report/index.js';
import type { ExperimentPlan } from './plan.js';
import { checkPlan } from './plan.js';
import { ResultsDir } from './results-dir.js';
import { runInto } from './runner.js';
import { sweepInto, type SweepResult } from './sweep.js';
import type { ExperimentEnvironment, ExperimentResult } from './types.js';

export interface PlanResult {
  output: string;
  experiments: ExperimentResult[];
  sweeps: SweepResult[];
  report: ReportResult | null;
}

export async function runPlan(plan: ExperimentPlan, env: ExperimentEnvironment, options: { fresh?: boolean } = {}): Promise<PlanResult> {
  checkPlan(plan, env);
  const output = plan.comparison.output;
  const results = new ResultsDir(output);
  const experiments: ExperimentResult[] = [];
  const sweeps: SweepResult[] = [];
  try {
    for (const spec of plan.experiments) experiments.push(await runInto(results, spec, env, { output, ...(options.fresh ? { fresh: true } : {}) }));
    for (const sweep of plan.sweeps) sweeps.push(await sweepInto(results, sweep, env, { output, ...(options.fresh ? { fresh: true } : {}) }));
  } finally {
    await results.close();
  }
  let report: ReportResult | null = null;
  if (plan.comparison.report) {
    const files = [...experiments.map((e) => e.file), ...sweeps.map((s) => path.join(output, `${s.sweep}.sweep.json`))];
    report = writeReport(files, { output: plan.comparison.reportFile, metrics: plan.comparison.metrics });
  }
  return { output, experiments, sweeps, report };
}

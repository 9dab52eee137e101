/** `pilotscope run`: algorithms x datasets from flags, or an experiment file, with an optional comparison report. */
import path from 'node:path';
import { ALGORITHM_NAMES } from '../../algorithms/types.js';
import { parseAssignments } from '../../algorithms/params.js';
import { loadSettings } from '../../config/settings.js';
import { PilotScopeError } from '../../errors.js';
import { summariesTable, sweepText } from '../../experiments/format.js';
import { parseDatasetArg } from '../../experiments/names.js';
import { loadExperimentFile, planFromFlags, type ExperimentPlan } from '../../experiments/plan.js';
import { runPlan, type PlanResult } from '../../experiments/run-plan.js';
import type { WorkloadRef } from '../../experiments/types.js';
import type { OptionSpec } from '../args.js';
import type { CliContext, Command } from '../command.js';
import { ENGINE_NAMES, experimentEnvironment } from '../engines.js';
import { TerminalProgress, progressFor } from '../progress.js';

export const COMMON_RUN_OPTIONS: readonly OptionSpec[] = [
  { name: 'engine', type: 'string', valueName: '<engine>', choices: ENGINE_NAMES, description: 'Database engine (default: postgresql).' },
  { name: 'scale', type: 'number', valueName: '<s>', description: 'synthetic only: scale factor (or write --db synthetic:<scale>:<seed>).' },
  { name: 'seed', type: 'integer', valueName: '<n>', description: 'synthetic only: data seed.' },
  { name: 'limit', type: 'integer', valueName: '<n>', description: 'Run only the first n queries of the workload.' },
  { name: 'timeout-ms', type: 'integer', valueName: '<ms>', description: 'Statement timeout for workload queries (default: from the settings).' },
  { name: 'fresh', type: 'boolean', description: 'Discard earlier results of the same experiments in the output directory (default: continue or reuse them).' },
  { name: 'json', type: 'boolean', description: 'Print the results as one JSON document on stdout (nothing else goes to stdout).' },
];

export const runCommand: Command = {
  path: ['run'],
  summary: 'Run algorithms on datasets (or an experiment file) and record detailed results; --compare adds the baseline and a report.',
  description:
    'Every algorithm runs on every dataset: collection and training as its parameters say, then the test workload query by query. ' +
    'Results go to <output>/<experiment>.json (summary) and .arrow/.parquet (per query). An interrupted run continues where it stopped ' +
    'when the same command is run again; a finished experiment is reused (--fresh runs it again).',
  options: [
    { name: 'algo', type: 'list', valueName: '<names...>', choices: ALGORITHM_NAMES, description: 'Algorithms to run.' },
    { name: 'db', type: 'list', valueName: '<datasets...>', description: 'Datasets to run on (registered names; synthetic:<scale>:<seed> for generated data).' },
    { name: 'set', type: 'list', repeatable: true, valueName: '<key=value...>', description: 'Algorithm parameters, e.g. --set num_epoch=50 training_dataset=imdb_tiny.' },
    { name: 'workload', type: 'string', valueName: '<name|file>', description: "Test queries: another dataset's test workload or a file of SQL, run on --db's database (default: the dataset's own)." },
    { name: 'compare', type: 'boolean', description: 'Also run the baseline and write a comparison report.' },
    { name: 'output', type: 'string', valueName: '<dir>', description: 'Results directory (default: ./results, or the experiment file\'s comparison.output_dir).' },
    { name: 'config', type: 'string', valueName: '<file.json>', description: 'An experiment file (schema: docs/experiment.schema.json) instead of --algo/--db.' },
    ...COMMON_RUN_OPTIONS,
  ],
  examples: [
    'pilotscope run --algo baseline mscn --db stats_tiny --compare',
    'pilotscope run --algo mscn --db stats_tiny --set num_epoch=50 training_dataset=imdb_tiny',
    'pilotscope run --algo baseline lero --db synthetic:0.01:7 --limit 50 --compare --output results/synthetic',
    'pilotscope run --config experiments.json --json',
  ],
  async run(args, ctx) {
    const plan = buildPlan(args.options);
    const { result, plan: ran } = await executePlan(plan, args.options, ctx);
    if (ctx.jsonMode) return ctx.json(planJson(result));
    printPlanResult(result, ran, ctx);
  },
};

function buildPlan(options: Record<string, unknown>): ExperimentPlan {
  const file = options.config as string | undefined;
  if (file !== undefined) {
    for (const flag of ['algo', 'db', 'set', 'workload', 'compare', 'scale', 'seed']) {
      if (options[flag] !== undefined) throw new PilotScopeError('USAGE', `pilotscope run: --${flag} cannot be combined with --config; put it in the experiment file.`);
    }
    const plan = loadExperimentFile(file);
    if (options.engine !== undefined) plan.db.engine = options.engine as 'postgresql' | 'spark';
    if (typeof options.output === 'string') {
      const output = path.resolve(options.output);
      plan.comparison = { ...plan.comparison, output, reportFile: path.join(output, path.basename(plan.comparison.reportFile)) };
    }
    applyCommonOverrides(plan, options);
    return plan;
  }
  const algorithms = options.algo as string[] | undefined;
  const datasets = options.db as string[] | undefined;
  if (!algorithms || !datasets) throw new PilotScopeError('USAGE', 'pilotscope run: give --algo <names...> and --db <datasets...>, or --config <experiment file>. Run `pilotscope run --help` for usage.');
  const scale = options.scale as number | undefined;
  const seed = options.seed as number | undefined;
  const refs = datasets.map((d) => parseDatasetArg(d, ...syntheticOnly(d, scale, seed)));
  const plan = planFromFlags({
    algorithms,
    datasets: refs,
    engine: (options.engine as 'postgresql' | 'spark' | undefined) ?? 'postgresql',
    set: parseAssignments(((options.set as string[][] | undefined) ?? []).flat()),
    ...(typeof options.workload === 'string' ? { workload: workloadArg(options.workload) } : {}),
    compare: options.compare === true,
    ...(typeof options.output === 'string' ? { output: options.output } : {}),
  });
  applyCommonOverrides(plan, options);
  return plan;
}

function syntheticOnly(dataset: string, scale: number | undefined, seed: number | undefined): [number | undefined, number | undefined] {
  if (!dataset.startsWith('synthetic')) return [undefined, undefined];
  return [scale, seed];
}

/** --workload: a file when it names one (has a / or ends in .sql), else a dataset name. */
export function workloadArg(value: string): WorkloadRef {
  if (value === 'test' || value === 'validation') return { split: value };
  if (value.includes('/') || value.endsWith('.sql')) return { file: path.resolve(value) };
  return { dataset: parseDatasetArg(value) };
}

export function applyCommonOverrides(plan: ExperimentPlan, options: Record<string, unknown>): void {
  const limit = options.limit as number | undefined;
  const timeoutMs = options['timeout-ms'] as number | undefined;
  for (const spec of [...plan.experiments, ...plan.sweeps]) {
    if (limit !== undefined) spec.limit = limit;
    if (timeoutMs !== undefined) spec.timeoutMs = timeoutMs;
  }
}

/** Builds the environment for the plan's engine and server, runs it, and prints progress on stderr. */
export async function executePlan(plan: ExperimentPlan, options: Record<string, unknown>, ctx: CliContext): Promise<{ result: PlanResult; plan: ExperimentPlan }> {
  const settings = plan.db.host !== undefined
    ? loadSettings({
        ...(typeof options['config-file'] === 'string' ? { configFile: options['config-file'] } : {}),
        ...(typeof options.home === 'string' ? { home: options.home } : {}),
        postgresql: { host: plan.db.host, ...(plan.db.port !== undefined ? { port: plan.db.port } : {}), ...(plan.db.user !== undefined ? { user: plan.db.user } : {}), ...(plan.db.password !== undefined ? { password: plan.db.password } : {}) },
      })
    : ctx.settings();
  const progress = progressFor(ctx.interactive);
  const log = progress instanceof TerminalProgress ? (text: string) => progress.log(text) : (text: string) => ctx.err(text);
  const env = await experimentEnvironment({ engine: plan.db.engine, settings, progress, log });
  if (plan.db.timeoutMs !== undefined) env.timeoutMs = plan.db.timeoutMs;
  const result = await runPlan(plan, env, { fresh: options.fresh === true });
  return { result, plan };
}

export function planJson(result: PlanResult): unknown {
  return {
    output: result.output,
    experiments: result.experiments.map((e) => ({ ...e.summary, summary_file: e.file, reused: e.reused })),
    sweeps: result.sweeps,
    report: result.report ? { file: result.report.file, png_dir: result.report.pngDir, charts: result.report.charts } : null,
  };
}

export function printPlanResult(result: PlanResult, plan: ExperimentPlan, ctx: CliContext): void {
  if (result.experiments.length) {
    ctx.out(summariesTable(result.experiments.map((e) => e.summary)));
    for (const e of result.experiments) for (const notice of e.summary.notices) ctx.err(`${e.summary.experiment}: ${notice}`);
  }
  for (const sweep of result.sweeps) ctx.out(`\n${sweepText(sweep)}`);
  ctx.out(`\nResults: ${result.output} (<experiment>.json summaries, .arrow/.parquet per-query detail)`);
  if (result.report) ctx.out(`Report: ${result.report.file}${result.report.pngDir ? ` (PNG charts in ${result.report.pngDir})` : ''}`);
  else if (plan.experiments.length > 1) ctx.out(`Compare them: pilotscope compare ${result.output}`);
}

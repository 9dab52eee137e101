/** `pilotscope sweep`: a parameter grid for one algorithm on one dataset, the best configuration, optionally re-run on the test workload. */
import path from 'node:path';
import { ALGORITHM_NAMES } from '../../algorithms/types.js';
import { parseAssignments } from '../../algorithms/params.js';
import { PilotScopeError } from '../../errors.js';
import { parseDatasetArg } from '../../experiments/names.js';
import { DEFAULT_OUTPUT, defaultSweepName, type ExperimentPlan } from '../../experiments/plan.js';
import { SWEEP_METRICS, type SweepMetric } from '../../experiments/schema.js';
import { lookupAlgorithm } from '../../experiments/runner.js';
import { typedGrid, type SweepSpec } from '../../experiments/sweep.js';
import type { Command } from '../command.js';
import { loadAlgorithms } from '../engines.js';
import { COMMON_RUN_OPTIONS, applyCommonOverrides, executePlan, printPlanResult } from './run.js';

export const sweepCommand: Command = {
  path: ['sweep'],
  summary: 'Run every combination of parameter values, pick the best configuration by a metric, optionally re-run it on the test workload.',
  description:
    'Grid points train on the training queries minus a held-out validation part and run on that validation part (--evaluate-on test to use the test queries), ' +
    'so choosing the best configuration does not look at the test workload. --rerun-best then trains the best configuration on all training queries ' +
    'and runs the test workload. Finished points are not re-run when the same sweep is started again after an interruption.',
  options: [
    { name: 'algo', type: 'string', valueName: '<name>', choices: ALGORITHM_NAMES, description: 'The algorithm to tune.' },
    { name: 'db', type: 'string', valueName: '<dataset>', description: 'The dataset (synthetic:<scale>:<seed> for generated data).' },
    { name: 'param', type: 'list', repeatable: true, valueName: '<name> <values...>', description: 'A grid parameter and its values; repeat for more parameters.' },
    { name: 'set', type: 'list', repeatable: true, valueName: '<key=value...>', description: 'Parameters fixed for every point.' },
    { name: 'metric', type: 'string', valueName: '<metric>', choices: SWEEP_METRICS, description: 'What "best" means (lower is better; default total_time).' },
    { name: 'evaluate-on', type: 'string', valueName: '<workload>', choices: ['validation', 'test'], description: 'Workload the points run on (default validation).' },
    { name: 'rerun-best', type: 'boolean', description: 'Re-run the best configuration on the test workload.' },
    { name: 'name', type: 'string', valueName: '<name>', description: 'Sweep name (default sweep_<algo>_<dataset>); names its files.' },
    { name: 'output', type: 'string', valueName: '<dir>', description: `Results directory (default: ./${DEFAULT_OUTPUT}).` },
    { name: 'no-report', type: 'boolean', description: 'Do not write the HTML report of the sweep.' },
    ...COMMON_RUN_OPTIONS,
  ],
  examples: [
    'pilotscope sweep --algo mscn --db stats_tiny --param num_epoch 50 100 --param num_training 100 500 --rerun-best',
    'pilotscope sweep --algo lero --db synthetic:0.01:7 --param num_epoch 20 50 --metric p95_time --json',
  ],
  async run(args, ctx) {
    const o = args.options;
    if (typeof o.algo !== 'string' || typeof o.db !== 'string' || o.param === undefined) {
      throw new PilotScopeError('USAGE', 'pilotscope sweep: give --algo <name>, --db <dataset> and at least one --param <name> <values...>. Run `pilotscope sweep --help` for usage.');
    }
    const dataset = parseDatasetArg(o.db, ...(o.db.startsWith('synthetic') ? [o.scale as number | undefined, o.seed as number | undefined] as const : [undefined, undefined] as const));
    const rawGrid: Record<string, string[]> = {};
    for (const [name, ...values] of o.param as string[][]) {
      if (!name || values.length === 0) throw new PilotScopeError('USAGE', `pilotscope sweep: --param ${name ?? ''} needs a parameter name and at least one value, e.g. --param num_epoch 50 100.`);
      if (name in rawGrid) throw new PilotScopeError('USAGE', `pilotscope sweep: --param ${name} was given twice; list all its values after one --param.`);
      rawGrid[name] = values;
    }
    const engine = (o.engine as 'postgresql' | 'spark' | undefined) ?? 'postgresql';
    const algorithm = lookupAlgorithm(o.algo, await loadAlgorithms(), engine);
    const output = path.resolve((o.output as string | undefined) ?? DEFAULT_OUTPUT);
    const sweep: SweepSpec = {
      name: (o.name as string | undefined) ?? defaultSweepName(o.algo, dataset),
      algorithm: algorithm.name,
      dataset,
      grid: typedGrid(algorithm.name, algorithm.params, rawGrid),
      params: parseAssignments(((o.set as string[][] | undefined) ?? []).flat()),
      metric: (o.metric as SweepMetric | undefined) ?? 'total_time',
      evaluateOn: (o['evaluate-on'] as 'validation' | 'test' | undefined) ?? 'validation',
      rerunBest: o['rerun-best'] === true,
    };
    const plan: ExperimentPlan = {
      experiments: [],
      sweeps: [sweep],
      db: { engine },
      comparison: { report: o['no-report'] !== true, metrics: ['total_time', 'average_time', 'p95_time'], output, reportFile: path.join(output, `${sweep.name}.html`) },
    };
    applyCommonOverrides(plan, o);
    const { result } = await executePlan(plan, o, ctx);
    const document = result.sweeps[0]!;
    if (ctx.jsonMode) return ctx.json({ ...document, report: result.report?.file ?? null });
    printPlanResult(result, plan, ctx);
  },
};

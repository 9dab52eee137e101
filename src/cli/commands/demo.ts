/**
 * `pilotscope demo`: what a newcomer runs first. Starts the embedded PostgreSQL (when no external
 * server is configured), generates and loads a small synthetic dataset, runs the baseline and the
 * learned optimizers (MSCN, Lero), writes the comparison report and says where.
 */
import path from 'node:path';
import type { ParamValue } from '../../algorithms/types.js';
import { describeParams } from '../../experiments/sweep.js';
import type { ExperimentPlan } from '../../experiments/plan.js';
import type { ExperimentSpec } from '../../experiments/types.js';
import type { Command } from '../command.js';
import { loadAlgorithms } from '../engines.js';
import { executePlan, planJson, printPlanResult } from './run.js';

/** Small enough to finish in a few minutes on two cores. */
export const DEMO_SCALE = 0.01;
export const DEMO_SEED = 7;
export const DEMO_QUERIES = 60;
const ALGORITHMS_RUN = ['baseline', 'mscn', 'lero'] as const;
/** Applied where an algorithm has the parameter: short collection and training. */
const DEMO_PARAMS: Record<string, ParamValue> = { num_collection: 100, num_training: 100, num_epoch: 30 };

export const demoCommand: Command = {
  path: ['demo'],
  summary: 'Start the embedded database, load a small synthetic dataset, run the baseline, MSCN and Lero, and write a comparison report.',
  options: [
    { name: 'output', type: 'string', valueName: '<dir>', description: 'Results directory (default: ./pilotscope-demo).' },
    { name: 'scale', type: 'number', valueName: '<s>', description: `Synthetic scale factor (default ${DEMO_SCALE}).` },
    { name: 'limit', type: 'integer', valueName: '<n>', description: `Test queries to run (default ${DEMO_QUERIES}).` },
    { name: 'fresh', type: 'boolean', description: 'Run everything again instead of reusing finished results.' },
    { name: 'json', type: 'boolean', description: 'Print the results as one JSON document.' },
  ],
  async run(args, ctx) {
    const algorithms = await loadAlgorithms();
    const dataset = { name: 'synthetic', scale: (args.options.scale as number | undefined) ?? DEMO_SCALE, seed: DEMO_SEED };
    const limit = (args.options.limit as number | undefined) ?? DEMO_QUERIES;
    const experiments: ExperimentSpec[] = ALGORITHMS_RUN.map((name) => {
      const specs = algorithms.get(name)!.params;
      const params = Object.fromEntries(Object.entries(DEMO_PARAMS).filter(([k]) => specs.some((s) => s.name === k)));
      if (Object.keys(params).length) ctx.err(`${name}: demo settings ${describeParams(params)}`);
      return { name: `demo_${name}`, algorithm: name, dataset, params, limit };
    });
    const output = path.resolve((args.options.output as string | undefined) ?? 'pilotscope-demo');
    const plan: ExperimentPlan = {
      experiments,
      sweeps: [],
      db: { engine: 'postgresql' },
      comparison: { report: true, metrics: ['total_time', 'average_time', 'p95_time', 'q_error_p95'], output, reportFile: path.join(output, 'report.html') },
    };
    ctx.err(`Demo: synthetic data at scale ${dataset.scale} (seed ${dataset.seed}), ${limit} test queries, algorithms ${ALGORITHMS_RUN.join(', ')}.`);
    const { result } = await executePlan(plan, args.options, ctx);
    if (ctx.jsonMode) return ctx.json(planJson(result));
    printPlanResult(result, plan, ctx);
    ctx.out(`\nOpen the report in a browser: ${result.report!.file}`);
  },
};

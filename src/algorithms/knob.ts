/**
 * The knob-tuning preset: at init, Bayesian optimization over a knob space on the training
 * workload (LlamaTune's search, with a curated space, a fixed seed, warm-up and repeated runs);
 * the best configuration stays applied while the tested workload runs; cleanup restores the
 * original configuration.
 */
import { KnobApplier } from '../tuning/knob-applier.js';
import { applyBest, pickQueries, resolveKnobSpace } from '../tuning/knob-session.js';
import { KnobTuner, type TuningResult } from '../tuning/knob-tuner.js';
import type { KnobSpace } from '../tuning/space/types.js';
import { OBJECTIVES, type ObjectiveName } from '../tuning/workload.js';
import { newScheduler, standardPulls } from './baseline.js';
import { resolveTraining, TRAINING_PARAMS } from '../tuning/training.js';
import { resolveParams } from './params.js';
import type { Algorithm, AlgorithmRun, ParamSpec, ParamValue } from './types.js';

export const KNOB_PARAMS: readonly ParamSpec[] = [
  { name: 'budget_evaluations', type: 'integer', default: 20, min: 0, description: 'Configurations to try besides the current one.' },
  { name: 'budget_seconds', type: 'number', default: 0, min: 0, description: 'Wall-time budget for tuning in seconds (0: none); no evaluation starts after it.' },
  { name: 'seed', type: 'integer', default: null, description: "Seed of the search (default: the run's seed)." },
  { name: 'objective', type: 'string', default: 'time', choices: OBJECTIVES, description: 'What to optimize on the training workload: total time, throughput or p95 latency.' },
  { name: 'repeats', type: 'integer', default: 3, min: 1, description: 'Measured passes over the training workload per configuration (per-query median).' },
  { name: 'warmup', type: 'integer', default: 1, min: 0, description: 'Unmeasured passes before them.' },
  { name: 'max_queries', type: 'integer', default: 50, min: 0, description: 'Training queries measured per configuration (a seeded sample; 0: all).' },
  { name: 'space', type: 'string', default: null, description: "Knob space: a built-in name (postgres-15, spark-3.5) or a JSON file (default: the engine's built-in space)." },
  { name: 'initial_points', type: 'integer', default: 5, min: 1, description: 'Latin-hypercube configurations before the surrogate model takes over.' },
  { name: 'low_dim', type: 'integer', default: 0, min: 0, description: 'Search a random low-dimensional embedding of this many dimensions (HesBO, as LlamaTune; 0: off).' },
  { name: 'quantization', type: 'integer', default: 0, min: 0, description: 'Levels per search coordinate (0: continuous).' },
  { name: 'confirm', type: 'integer', default: 3, min: 0, description: 'Re-measure this many of the best configurations, and the original, at the end; the best is chosen on all its measurements (0: off).' },
  { name: 'timeout_factor', type: 'number', default: 10, min: 1, description: "A query's timeout under a candidate: this many times its time under the original configuration (at least 1 s)." },
  { name: 'memory_mb', type: 'integer', default: null, min: 1, description: "The database server's memory for memory-knob ranges (default: this machine's)." },
  { name: 'connections', type: 'integer', default: null, min: 1, description: "Connections the per-connection memory ranges assume (default: the server's max_connections)." },
  ...TRAINING_PARAMS,
];

export const knob: Algorithm = {
  name: 'knob',
  description: 'Knob tuning: Bayesian optimization (random-forest surrogate, expected improvement, optional HesBO embedding) of a curated knob space on the training workload.',
  params: KNOB_PARAMS,
  engines: ['postgresql', 'spark'],
  async create(given, ctx): Promise<AlgorithmRun> {
    const params = resolveParams('knob', KNOB_PARAMS, given);
    const seed = num(params.seed, ctx.seed);
    let result: TuningResult | undefined;
    let space: KnobSpace | undefined;
    const appliers: KnobApplier[] = [];

    const scheduler = newScheduler(ctx)
      .registerRequiredData(`knob_${ctx.dataset}`, standardPulls(ctx))
      .registerEvents({
        name: 'knob-tuning',
        async onInit() {
          const training = await resolveTraining(params, ctx);
          space = await resolveKnobSpace(training.engine, str(params.space), overrides(params), (text) => ctx.notice(`knob: ${text}`));
          const queries = pickQueries(training.queries, num(params.max_queries, 50), seed);
          const budget = num(params.budget_evaluations, 20);
          ctx.progress.start('knob tuning', budget + 1);
          const tuner = new KnobTuner({
            engine: training.engine,
            space,
            queries,
            objective: params.objective as ObjectiveName,
            warmup: num(params.warmup, 1),
            repeats: num(params.repeats, 3),
            budgetEvaluations: budget,
            budgetSeconds: num(params.budget_seconds, 0),
            seed,
            initialPoints: num(params.initial_points, 5),
            lowDim: num(params.low_dim, 0),
            quantization: num(params.quantization, 0),
            timeoutFactor: num(params.timeout_factor, 10),
            confirm: num(params.confirm, 3),
            maxTimeoutMs: ctx.timeoutMs,
            onEvaluation: (e) => ctx.progress.tick('knob tuning', e.index + 1, `${e.status}${e.objective !== undefined ? ` ${e.objective.toPrecision(4)}` : ''}`),
          });
          appliers.push(tuner.applier);
          result = await tuner.run();
          ctx.progress.finish('knob tuning', `best ${result.bestObjective.toPrecision(4)} ${result.unit} (${result.improvement.toFixed(2)}x the original), ${result.failures} failed`);
          let target = tuner.applier;
          if (training.engine !== ctx.engine) {
            await tuner.applier.restore();
            target = new KnobApplier(ctx.engine, space);
            appliers.push(target);
          }
          await applyBest(target, result);
          if (result.failures) ctx.notice(`knob: ${result.failures} configuration(s) failed (recorded and penalized; the server was brought back each time).`);
        },
      });

    return {
      scheduler,
      model: () => undefined,
      async quality() {
        if (!result) return { tuned: false };
        return tuningReport(result, space);
      },
      async cleanup() {
        const errors: unknown[] = [];
        for (const applier of appliers.reverse()) await applier.restore().catch((err: unknown) => errors.push(err));
        if (errors.length) throw errors[0];
      },
    };
  },
};

/** The tuning history as recorded in results. */
export function tuningReport(result: TuningResult, space?: KnobSpace): Record<string, unknown> {
  return {
    space: result.space,
    knobs: result.knobs,
    objective: result.objective,
    unit: result.unit,
    training_queries: result.queries,
    evaluations: result.evaluations.length,
    default_objective: result.defaultObjective,
    best_objective: result.bestObjective,
    best_evaluation: result.best.index,
    improvement: result.improvement,
    chosen_config: result.best.config,
    chosen_is_default: result.best.source === 'default',
    failures: result.failures,
    timeouts: result.timeouts,
    stopped_by: result.stoppedBy,
    tuning_seconds: result.wallSeconds,
    optimizer_seconds: result.optimizerSeconds,
    search: result.search,
    ...(space?.notices.length ? { space_notices: space.notices } : {}),
    history: result.evaluations.map((e) => ({
      index: e.index,
      source: e.source,
      status: e.status,
      ...(e.objective !== undefined ? { objective: e.objective } : {}),
      ...(e.error ? { error: e.error.message } : {}),
      ...(e.remeasured ? { remeasured_costs: e.remeasured } : {}),
      seconds: e.seconds,
      config: e.config,
    })),
  };
}

function overrides(params: Readonly<Record<string, ParamValue>>): { memoryMb?: number; connections?: number } {
  return {
    ...(params.memory_mb !== undefined ? { memoryMb: Number(params.memory_mb) } : {}),
    ...(params.connections !== undefined ? { connections: Number(params.connections) } : {}),
  };
}

function num(value: ParamValue | undefined, fallback: number): number {
  return value === undefined ? fallback : Number(value);
}

function str(value: ParamValue | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}

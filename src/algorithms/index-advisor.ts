/**
 * The index-advice preset: at init, Extend over candidate indexes from the training workload,
 * costed with hypothetical indexes; the advised indexes are built (journaled in the state
 * directory) so the tested workload runs with them; cleanup drops them again. Existing indexes
 * are kept.
 */
import { PilotScopeError } from '../errors.js';
import { adviseIndexes, type IndexAdvice } from '../tuning/index-advisor/advisor.js';
import { IndexJournal } from '../tuning/index-advisor/index-journal.js';
import { pickQueries } from '../tuning/knob-session.js';
import { resolveTraining, TRAINING_PARAMS } from '../tuning/training.js';
import { newScheduler, standardPulls } from './baseline.js';
import { resolveParams } from './params.js';
import type { Algorithm, AlgorithmRun, ParamSpec, ParamValue } from './types.js';

export const INDEX_PARAMS: readonly ParamSpec[] = [
  { name: 'budget_mb', type: 'number', default: 250, min: 0, description: 'Storage budget for new indexes in MB (10^6 bytes), from hypothetical index sizes.' },
  { name: 'max_width', type: 'integer', default: 2, min: 1, max: 8, description: 'Most columns in one index.' },
  { name: 'min_improvement', type: 'number', default: 1.003, min: 1, description: 'A step must cut the estimated workload cost by this factor (1.003: 0.3%).' },
  { name: 'max_steps', type: 'integer', default: 0, min: 0, description: 'Most Extend steps (0: until no step helps; upstream stopped after 4).' },
  { name: 'max_queries', type: 'integer', default: 200, min: 0, description: 'Training queries costed (a seeded sample; 0: all).' },
  { name: 'build', type: 'boolean', default: true, description: 'Build the advised indexes so the tested workload runs with them (dropped at cleanup).' },
  { name: 'drop_existing', type: 'boolean', default: false, description: 'Consider dropping existing indexes (unsupported with hypopg 1.3: an error says so).' },
  { name: 'seed', type: 'integer', default: null, description: "Seed of the query sample (default: the run's seed)." },
  ...TRAINING_PARAMS,
];

export const indexAdvisor: Algorithm = {
  name: 'index',
  description: 'Index advice: Extend over candidate indexes from the training workload, costed with hypothetical (hypopg) indexes under a storage budget; existing indexes kept.',
  params: INDEX_PARAMS,
  engines: ['postgresql'],
  async create(given, ctx): Promise<AlgorithmRun> {
    const params = resolveParams('index', INDEX_PARAMS, given);
    const seed = params.seed === undefined ? ctx.seed : Number(params.seed);
    const journal = new IndexJournal(ctx.home, ctx.engine.name);
    let advice: IndexAdvice | undefined;
    let built: string[] = [];

    const scheduler = newScheduler(ctx)
      .registerRequiredData(`index_${ctx.dataset}`, standardPulls(ctx))
      .registerEvents({
        name: 'index-advice',
        async onInit() {
          const training = await resolveTraining(params, ctx);
          if (training.engine !== ctx.engine && training.engine.name !== ctx.engine.name) {
            throw new PilotScopeError(
              'EXPERIMENT_INVALID',
              `Index advice builds its indexes in the tested database, so it must learn from queries on that database; ${training.dataset} is another one. ` +
                'Use training_dataset "auto" or a training_data_file of queries on the tested dataset.',
            );
          }
          const queries = pickQueries(training.queries, num(params.max_queries, 200), seed);
          ctx.progress.start('index advice');
          advice = await adviseIndexes({
            engine: ctx.engine,
            queries,
            budgetMb: num(params.budget_mb, 250),
            maxWidth: num(params.max_width, 2),
            minImprovement: num(params.min_improvement, 1.003),
            maxSteps: num(params.max_steps, 0),
            dropExisting: params.drop_existing === true,
            parallelism: ctx.parallelism,
            onStep: (step) => ctx.progress.tick('index advice', 0, `${step.action} ${step.index.table}(${step.index.columns.join(', ')})`),
          });
          for (const text of advice.notices) ctx.notice(`index: ${text}`);
          ctx.progress.finish('index advice', `${advice.indexes.length} index(es), estimated cost ${advice.improvement.toFixed(2)}x lower`);
          if (params.build !== false && advice.indexes.length > 0) {
            built = advice.indexes.map((i) => i.name);
            await journal.build(ctx.engine, advice.indexes);
          }
        },
      });

    return {
      scheduler,
      model: () => undefined,
      async quality() {
        if (!advice) return { advised: false };
        return { ...adviceReport(advice), built };
      },
      async cleanup() {
        if (built.length === 0) return;
        await journal.drop(ctx.engine, built);
        built = [];
      },
    };
  },
};

/** The advice as recorded in results. */
export function adviceReport(advice: IndexAdvice): Record<string, unknown> {
  return {
    indexes: advice.indexes.map((i) => ({ name: i.name, table: i.table, columns: i.columns, bytes: i.bytes, statement: i.statement })),
    base_cost: advice.baseCost,
    final_cost: advice.finalCost,
    estimated_improvement: advice.improvement,
    steps: advice.steps.map((s) => ({ action: s.action, index: `${s.index.table}(${s.index.columns.join(', ')})`, cost: s.cost, total_bytes: s.totalBytes })),
    stopped_by: advice.stoppedBy,
    training_queries: advice.queries,
    indexable_columns: advice.candidates,
    what_if: advice.whatIf,
    advice_seconds: advice.seconds,
  };
}

function num(value: ParamValue | undefined, fallback: number): number {
  return value === undefined ? fallback : Number(value);
}

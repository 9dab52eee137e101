/** The no-AI baseline: the database's own optimizer, with the same pulls as every other algorithm. */
import { PilotScheduler } from '../scheduler/scheduler.js';
import type { PullSpec } from '../engine/types.js';
import type { Algorithm, AlgorithmContext } from './types.js';

/**
 * What every preset records per query: time, plan and cost; plus the planner's sub-query
 * estimates where pulling them is nearly free (a planner hook), for q-error reports.
 */
export function standardPulls(ctx: AlgorithmContext): PullSpec {
  const pull: PullSpec = { executionTime: true, physicalPlan: true, estimatedCost: true };
  if (ctx.engine.capabilities.cardinalityPush === 'planner' && ctx.engine.capabilities.operators.has('pullSubqueryCard')) pull.subqueryCards = true;
  return pull;
}

export function newScheduler(ctx: AlgorithmContext): PilotScheduler {
  return new PilotScheduler({ engine: ctx.engine, store: ctx.store, timers: ctx.timers, progress: ctx.progress, timeoutMs: ctx.timeoutMs });
}

export const baseline: Algorithm = {
  name: 'baseline',
  description: "The database's own optimizer, no AI: the reference every algorithm is compared with.",
  params: [],
  engines: ['postgresql', 'spark'],
  async create(_params, ctx) {
    const scheduler = newScheduler(ctx).registerRequiredData(`baseline_${ctx.dataset}`, standardPulls(ctx));
    return { scheduler, model: () => undefined };
  },
};

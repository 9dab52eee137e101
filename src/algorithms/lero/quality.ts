/**
 * Lero's quality report: how often it picked a plan other than PostgreSQL's default, whether the
 * executed plans were the chosen ones, and the time won or lost on the queries where it deviated:
 * each such query is run again with the default plan and with the chosen one, side by side (at
 * most `maxQueries` of them), so both latencies come from the same moment.
 */
import type { Engine } from '../../engine/types.js';
import { distribution } from '../common/stats.js';
import type { LeroHandler } from './handler.js';

export interface LeroQualityOptions {
  engine: Engine;
  maxQueries: number;
  timeoutMs: number;
}

export async function leroQuality(handler: LeroHandler, options: LeroQualityOptions): Promise<Record<string, unknown>> {
  const deviating = handler.records.filter((r) => r.chosenSignature !== r.defaultSignature);
  const measured = deviating.slice(0, options.maxQueries);
  const comparisons: Array<{ default: number; chosen: number; timedOut: boolean }> = [];
  for (const record of measured) {
    const run = (cards?: Record<string, number>) =>
      options.engine.run({ sql: record.sql, ...(cards ? { push: { cards } } : {}), pull: { executionTime: true }, timeoutMs: options.timeoutMs });
    const base = await run();
    const chosen = await run(record.cards);
    const timedOut = base.status !== 'ok' || chosen.status !== 'ok';
    comparisons.push({
      default: base.status === 'ok' ? base.executionTime! : options.timeoutMs / 1000,
      chosen: chosen.status === 'ok' ? chosen.executionTime! : options.timeoutMs / 1000,
      timedOut,
    });
  }
  const won = comparisons.map((c) => c.default - c.chosen);
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  return {
    queries: handler.queries,
    assistedQueries: handler.records.length,
    fallbackQueries: handler.fallbacks.total,
    fallbacks: handler.fallbacks.toJSON(),
    unseen: { tables: handler.unseenTables.toJSON() },
    candidatesPerQuery: handler.records.length ? handler.candidatesPlanned / handler.records.length : 0,
    nonDefaultChoices: deviating.length,
    nonDefaultShare: handler.records.length ? deviating.length / handler.records.length : 0,
    executedPlanMismatches: handler.mismatches,
    executedPlanChecked: handler.records.filter((r) => r.matched !== undefined).length,
    deviations: {
      measured: comparisons.length,
      notMeasured: deviating.length - comparisons.length,
      defaultSeconds: sum(comparisons.map((c) => c.default)),
      chosenSeconds: sum(comparisons.map((c) => c.chosen)),
      secondsWon: sum(won),
      faster: won.filter((w) => w > 0).length,
      slower: won.filter((w) => w < 0).length,
      timedOut: comparisons.filter((c) => c.timedOut).length,
      speedup: comparisons.length ? distribution(comparisons.map((c) => c.default / Math.max(c.chosen, 1e-9))) : undefined,
    },
  };
}

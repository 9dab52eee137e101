/**
 * MSCN's quality report: q-error of the pushed cardinalities against the true ones, beside
 * PostgreSQL's own estimates for the same relation sets. True cardinalities come from what is
 * already known (collected counts of the tested database, earlier reports) or are counted on
 * demand, at most `maxCounts` statements per report, each with a timeout. PostgreSQL's
 * estimates come from a plan-only pull of each query without any push.
 */
import type { Engine } from '../../engine/types.js';
import type { RowStore } from '../../scheduler/types.js';
import { subquerySql } from '../../sql/index.js';
import { mapConcurrent } from '../common/pool.js';
import { analyzeQuery } from '../common/query-analysis.js';
import { distribution, qError, type Distribution } from '../common/stats.js';
import { countRows, knownCounts, type CountOutcome } from './collect.js';
import type { MscnHandler } from './handler.js';

export interface MscnQualityOptions {
  engine: Engine;
  store: RowStore;
  /** Tables whose rows hold counts of the tested database (by sub-query SQL). */
  knownTables: readonly string[];
  /** Where counts made for the report are kept for later reports. */
  truthTable: string;
  maxCounts: number;
  timeoutMs: number;
  parallelism: number;
}

interface Pair {
  mscn: number;
  postgres: number;
  truth: number;
  join: boolean;
}

export async function mscnQuality(handler: MscnHandler, options: MscnQualityOptions): Promise<Record<string, unknown>> {
  const { engine } = options;
  const dialect = engine.capabilities.dialect;
  const schema = await engine.schema();
  const known = new Map<string, CountOutcome>();
  for (const table of [...options.knownTables, options.truthTable]) {
    for (const [sql, outcome] of knownCounts(await options.store.readAll(table))) {
      const previous = known.get(sql);
      if (!previous || (previous.card === null && outcome.card !== null)) known.set(sql, outcome);
    }
  }

  // Per query: the sub-query of each pushed set, and PostgreSQL's own estimates (plan-only pull).
  const items: Array<{ key: string; subquery: string; pushed: number; postgres: number | undefined; join: boolean }> = [];
  const postgresEstimates = await mapConcurrent(handler.records, options.parallelism, async (record) => {
    const data = await engine.run({ sql: record.sql, pull: { subqueryCards: true } });
    return data.subqueryCards ?? {};
  });
  handler.records.forEach((record, q) => {
    const analysis = analyzeQuery(record.sql, dialect, schema);
    if (!analysis.ok) return;
    for (const set of analysis.sets) {
      const pushed = record.pushed[set.key];
      if (pushed === undefined) continue;
      items.push({ key: set.key, subquery: subquerySql(analysis.graph, set, dialect), pushed, postgres: postgresEstimates[q]![set.key], join: set.aliases.length > 1 });
    }
  });

  const unknown = [...new Set(items.map((i) => i.subquery))].filter((s) => known.get(s)?.card == null && !known.get(s)?.censored);
  const toCount = unknown.slice(0, options.maxCounts);
  const outcomes = await mapConcurrent(toCount, options.parallelism, (sql) => countRows(engine, sql, options.timeoutMs));
  const fresh = toCount.map((sql, i) => ({ subquery: sql, card: outcomes[i]!.card, censored: outcomes[i]!.censored, timeout_ms: outcomes[i]!.timeoutMs, ...(outcomes[i]!.error ? { error: outcomes[i]!.error } : {}) }));
  toCount.forEach((sql, i) => known.set(sql, outcomes[i]!));
  if (fresh.length) await options.store.saveBatch(options.truthTable, fresh);

  const pairs: Pair[] = [];
  let censored = 0;
  let missing = 0;
  for (const item of items) {
    const truth = known.get(item.subquery);
    if (truth?.censored) censored++;
    else if (truth?.card == null || item.postgres === undefined) missing++;
    else pairs.push({ mscn: item.pushed, postgres: item.postgres, truth: truth.card, join: item.join });
  }
  const summarize = (list: Pair[]): { mscn: Distribution; postgresql: Distribution } => ({
    mscn: distribution(list.map((p) => qError(p.mscn, p.truth))),
    postgresql: distribution(list.map((p) => qError(p.postgres, p.truth))),
  });
  return {
    queries: handler.queries,
    assistedQueries: handler.records.length,
    fallbackQueries: handler.fallbacks.total,
    fallbacks: handler.fallbacks.toJSON(),
    unseen: { tables: handler.unseenTables.toJSON(), columns: handler.unseenColumns.toJSON() },
    qerror: summarize(pairs),
    qerrorJoins: summarize(pairs.filter((p) => p.join)),
    relationSets: {
      pushed: items.length,
      evaluated: pairs.length,
      censored,
      withoutTruth: missing,
      countsRun: toCount.length,
      countsSkippedByBudget: unknown.length - toCount.length,
    },
    pushes: {
      entries: handler.pushedEntries,
      notApplied: handler.notApplied.toJSON(),
      notAppliedTotal: handler.notApplied.total,
      plannerSetsNotPushed: handler.plannerSetsNotPushed,
      rowMismatches: handler.rowMismatches,
    },
  };
}

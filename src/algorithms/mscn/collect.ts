/**
 * MSCN training data: the true cardinality of every relation set of every training query (one
 * stored row per (query, relation set); upstream stored only the last one). Sub-queries are
 * deduplicated across the workload and against what the table already holds, counted
 * concurrently over the engine's pool, each with its own timeout. A count that times out is
 * stored as censored (card null) and is not retried unless a later collection allows more time.
 */
import type { Engine } from '../../engine/types.js';
import { isPilotScopeError } from '../../errors.js';
import type { ProgressReporter, RowStore } from '../../scheduler/types.js';
import { subquerySql } from '../../sql/index.js';
import { mapConcurrent } from '../common/pool.js';
import { analyzeQuery } from '../common/query-analysis.js';
import { ReasonCounter } from '../common/stats.js';

/** One stored row. */
export interface CardRow {
  query: string;
  relset: string;
  subquery: string;
  /** The true count; null when censored or failed. */
  card: number | null;
  censored: boolean;
  /** The statement timeout the count ran with. */
  timeout_ms: number;
  /** Why the count failed (not a timeout). */
  error?: string;
}

/** What is known about one sub-query. */
export interface CountOutcome {
  card: number | null;
  censored: boolean;
  timeoutMs: number;
  error?: string;
}

export interface CardCollectionOptions {
  engine: Engine;
  store: RowStore;
  table: string;
  queries: readonly string[];
  timeoutMs: number;
  parallelism: number;
  progress?: ProgressReporter;
  /** Queries per stored batch (progress is saved batch by batch). */
  batchQueries?: number;
}

export interface CardCollectionResult {
  queries: number;
  /** Queries collected now. */
  collected: number;
  /** Queries the table already held (not collected again). */
  reused: number;
  /** Queries the analysis cannot represent, by reason. */
  skipped: Record<string, number>;
  /** Count statements run. */
  counts: number;
  /** Relation sets whose count was shared with another query or taken from earlier collections. */
  deduplicated: number;
  censored: number;
  failed: number;
  rows: number;
}

/** Known outcomes by sub-query SQL, from rows already stored. */
export function knownCounts(rows: readonly Record<string, unknown>[]): Map<string, CountOutcome> {
  const known = new Map<string, CountOutcome>();
  for (const row of rows) {
    const subquery = row.subquery;
    if (typeof subquery !== 'string') continue;
    const outcome: CountOutcome = {
      card: typeof row.card === 'number' ? row.card : null,
      censored: row.censored === true,
      timeoutMs: typeof row.timeout_ms === 'number' ? row.timeout_ms : 0,
      ...(typeof row.error === 'string' ? { error: row.error } : {}),
    };
    const previous = known.get(subquery);
    if (!previous || (previous.card === null && (outcome.card !== null || outcome.timeoutMs > previous.timeoutMs))) known.set(subquery, outcome);
  }
  return known;
}

/** Whether an outcome answers the question for a collection running with `timeoutMs`. */
function settled(outcome: CountOutcome | undefined, timeoutMs: number): boolean {
  if (!outcome) return false;
  if (outcome.card !== null || outcome.error !== undefined) return true;
  return outcome.censored && outcome.timeoutMs >= timeoutMs;
}

/** Runs one count(*) statement. Timeouts and query errors are outcomes, not exceptions. */
export async function countRows(engine: Engine, sql: string, timeoutMs: number): Promise<CountOutcome> {
  try {
    const data = await engine.run({ sql, pull: { records: true }, timeoutMs });
    if (data.status === 'timeout') return { card: null, censored: true, timeoutMs };
    const value = data.records?.[0] ? Object.values(data.records[0])[0] : undefined;
    const card = Number(value);
    if (!Number.isFinite(card)) return { card: null, censored: false, timeoutMs, error: `count returned ${String(value)}` };
    return { card, censored: false, timeoutMs };
  } catch (err) {
    if (isPilotScopeError(err, 'QUERY_ERROR')) return { card: null, censored: false, timeoutMs, error: err.message };
    throw err;
  }
}

export async function collectTrueCards(options: CardCollectionOptions): Promise<CardCollectionResult> {
  const { engine, store, table, timeoutMs, parallelism, progress } = options;
  const existing = await store.readAll(table);
  const known = knownCounts(existing);
  const done = new Set(existing.map((r) => r.query).filter((q): q is string => typeof q === 'string'));
  const dialect = engine.capabilities.dialect;
  const schema = await engine.schema();
  const skipped = new ReasonCounter();
  const result: CardCollectionResult = { queries: options.queries.length, collected: 0, reused: 0, skipped: {}, counts: 0, deduplicated: 0, censored: 0, failed: 0, rows: 0 };
  const todo = [...new Set(options.queries)].filter((q) => {
    if (!done.has(q)) return true;
    result.reused++;
    return false;
  });
  const batchQueries = options.batchQueries ?? 50;
  progress?.start('collect true cardinalities', todo.length);
  for (let start = 0; start < todo.length; start += batchQueries) {
    const batch = todo.slice(start, start + batchQueries);
    const planned: Array<{ query: string; relset: string; subquery: string }> = [];
    for (const query of batch) {
      const analysis = analyzeQuery(query, dialect, schema);
      if (!analysis.ok) {
        skipped.add(analysis.category);
        continue;
      }
      for (const set of analysis.sets) planned.push({ query, relset: set.key, subquery: subquerySql(analysis.graph, set, dialect) });
    }
    const toCount = [...new Set(planned.map((p) => p.subquery))].filter((s) => !settled(known.get(s), timeoutMs));
    result.deduplicated += planned.length - toCount.length;
    const outcomes = await mapConcurrent(toCount, parallelism, (sql) => countRows(engine, sql, timeoutMs));
    toCount.forEach((sql, i) => known.set(sql, outcomes[i]!));
    result.counts += toCount.length;
    const rows: CardRow[] = planned.map((p) => {
      const outcome = known.get(p.subquery)!;
      if (outcome.censored) result.censored++;
      if (outcome.error !== undefined) result.failed++;
      return {
        query: p.query,
        relset: p.relset,
        subquery: p.subquery,
        card: outcome.card,
        censored: outcome.censored,
        timeout_ms: outcome.timeoutMs,
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      };
    });
    if (rows.length > 0) await store.saveBatch(table, rows as unknown as Record<string, unknown>[]);
    result.rows += rows.length;
    result.collected += new Set(planned.map((p) => p.query)).size;
    progress?.tick('collect true cardinalities', Math.min(start + batchQueries, todo.length), `${result.counts} counts, ${result.censored} censored`);
  }
  result.skipped = skipped.toJSON();
  progress?.finish('collect true cardinalities', `${result.collected} queries, ${result.rows} relation sets, ${result.counts} counts`);
  return result;
}

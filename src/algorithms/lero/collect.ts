/**
 * Lero training data: for each training query, its distinct candidate plans, each executed with
 * its cardinalities pushed and a timeout, storing the executed plan (rows restored) and its
 * latency. The default plan runs first; later candidates get a timeout of `slowFactor` times the
 * fastest finished plan (capped by the collection timeout): a plan that times out is stored as
 * censored, known to be slower than that, not dropped and not retried.
 */
import type { Engine } from '../../engine/types.js';
import { isPilotScopeError } from '../../errors.js';
import type { ProgressReporter, RowStore } from '../../scheduler/types.js';
import { ReasonCounter } from '../common/stats.js';
import { planCandidates } from './candidates.js';
import { planSignature, restoreRows, type LeroPlan } from './plans.js';

export interface PlanRow {
  query: string;
  candidate: string;
  /** Signature of the executed plan (of the planned one when it timed out). */
  signature: string;
  plan: LeroPlan;
  /** Seconds; for a censored plan, the timeout it ran into. */
  latency: number;
  censored: boolean;
  /** The executed plan was not the planned candidate (the planner re-planned differently). */
  replanned: boolean;
}

export interface PlanCollectionOptions {
  engine: Engine;
  store: RowStore;
  table: string;
  queries: readonly string[];
  factors: readonly number[];
  /** Hard cap on one candidate's run (ms). */
  timeoutMs: number;
  /** Later candidates may run this many times the fastest finished one (0 = only the hard cap). */
  slowFactor: number;
  parallelism: number;
  progress?: ProgressReporter;
}

export interface PlanCollectionResult {
  queries: number;
  collected: number;
  reused: number;
  skipped: Record<string, number>;
  /** Candidate card vectors generated, and the distinct plans among them. */
  vectors: number;
  distinctPlans: number;
  executed: number;
  censored: number;
  /** Executed plans that differed from the planned candidate. */
  replanned: number;
  /** Candidates that failed with a query error, and the first few messages. */
  failed: number;
  errors: string[];
  rows: number;
}

/** The smallest timeout worth giving a candidate (ms): below this, noise dominates. */
const MIN_ADAPTIVE_TIMEOUT_MS = 50;

export async function collectPlans(options: PlanCollectionOptions): Promise<PlanCollectionResult> {
  const { engine, store, table, progress } = options;
  const existing = await store.readAll(table);
  const done = new Set(existing.map((r) => r.query).filter((q): q is string => typeof q === 'string'));
  const skipped = new ReasonCounter();
  const result: PlanCollectionResult = { queries: options.queries.length, collected: 0, reused: 0, skipped: {}, vectors: 0, distinctPlans: 0, executed: 0, censored: 0, replanned: 0, failed: 0, errors: [], rows: 0 };
  const todo = [...new Set(options.queries)].filter((q) => {
    if (!done.has(q)) return true;
    result.reused++;
    return false;
  });
  progress?.start('collect Lero plans', todo.length);
  for (const [i, query] of todo.entries()) {
    const rows = await collectQuery(query, options, result, skipped);
    if (rows.length > 0) {
      await store.saveBatch(table, rows as unknown as Record<string, unknown>[]);
      result.rows += rows.length;
      result.collected++;
    }
    progress?.tick('collect Lero plans', i + 1, `${result.executed} plans run, ${result.censored} censored`);
  }
  result.skipped = skipped.toJSON();
  progress?.finish('collect Lero plans', `${result.collected} queries, ${result.rows} plans`);
  return result;
}

async function collectQuery(query: string, options: PlanCollectionOptions, result: PlanCollectionResult, skipped: ReasonCounter): Promise<PlanRow[]> {
  const { engine } = options;
  let planned;
  try {
    planned = await planCandidates(engine, query, options.factors, options.parallelism);
  } catch (err) {
    if (!isPilotScopeError(err, 'QUERY_ERROR')) throw err;
    skipped.add('query error');
    return [];
  }
  if (!planned.ok) {
    skipped.add(planned.category);
    return [];
  }
  const { candidates, original, generated } = planned.set;
  result.vectors += generated;
  result.distinctPlans += candidates.length;
  const rows: PlanRow[] = [];
  const executedSignatures = new Set<string>();
  let fastest = Infinity;
  for (const candidate of candidates) {
    const timeoutMs =
      options.slowFactor > 0 && Number.isFinite(fastest) ? Math.min(options.timeoutMs, Math.max(MIN_ADAPTIVE_TIMEOUT_MS, fastest * 1000 * options.slowFactor)) : options.timeoutMs;
    let data;
    try {
      data = await engine.run({ sql: query, ...(candidate.cards ? { push: { cards: candidate.cards } } : {}), pull: { executionTime: true, physicalPlan: true }, timeoutMs });
    } catch (err) {
      if (!isPilotScopeError(err, 'QUERY_ERROR')) throw err;
      result.failed++;
      if (result.errors.length < 3) result.errors.push(err.message);
      continue;
    }
    result.executed++;
    if (data.status === 'timeout' || data.executionTime === undefined || !data.planTree) {
      result.censored++;
      rows.push({ query, candidate: candidate.label, signature: candidate.signature, plan: candidate.features, latency: timeoutMs / 1000, censored: true, replanned: false });
      continue;
    }
    const signature = planSignature(data.planTree);
    const replanned = signature !== candidate.signature;
    if (replanned) result.replanned++;
    if (executedSignatures.has(signature)) continue; // the same plan ran already for another candidate
    executedSignatures.add(signature);
    fastest = Math.min(fastest, data.executionTime);
    rows.push({
      query,
      candidate: candidate.label,
      signature,
      plan: restoreRows(data.planTree, candidate.cards, original),
      latency: data.executionTime,
      censored: false,
      replanned,
    });
  }
  return rows;
}

/**
 * Lero's candidate plans: the planner's own plan, plus the plans it makes when the cardinalities
 * of all join relation sets of one size are scaled by a factor (upstream's cardinality swing).
 * Cards are keyed by relation set (never by position), scaled values are floored at 1, every
 * factor is applied to every size (upstream skipped 0.1 for the largest), and candidates are
 * deduplicated by plan signature: only distinct plans are kept, the default first.
 */
import type { Engine, PlanNode, RelSetEstimate } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';
import { mapConcurrent } from '../common/pool.js';
import { planSignature, restoreRows, type LeroPlan } from './plans.js';

export const DEFAULT_SWING_FACTORS = [0.01, 0.1, 10, 100];

export interface CardVector {
  label: string;
  /** What to push; undefined = nothing (the planner's own estimates). */
  cards?: Record<string, number>;
}

export interface Candidate extends CardVector {
  plan: PlanNode;
  signature: string;
  /** The plan with the original estimates restored (what the model scores). */
  features: LeroPlan;
}

export interface CandidateSet {
  /** The planner's estimates per relation set (level 1). */
  original: Record<string, number>;
  /** Distinct plans, the default first. */
  candidates: Candidate[];
  /** Card vectors tried (before deduplication). */
  generated: number;
  /** Card vectors whose planning failed or timed out (skipped). */
  failed: number;
}

export function parseFactors(text: string): number[] {
  const factors = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (factors.length === 0 || factors.some((f) => !Number.isFinite(f) || f <= 0 || f === 1)) {
    throw new PilotScopeError('EXPERIMENT_INVALID', `swing_factors must be a comma-separated list of positive numbers other than 1 (e.g. "0.01,0.1,10,100"), got "${text}".`);
  }
  return [...new Set(factors)];
}

/** The default vector, then every (join size, factor) vector, largest sets first. */
export function swingVectors(relSets: readonly RelSetEstimate[], factors: readonly number[]): CardVector[] {
  const top = relSets.filter((s) => s.level === 1);
  const original: Record<string, number> = {};
  for (const s of top) original[s.key] = s.rows;
  const bySize = new Map<number, RelSetEstimate[]>();
  for (const s of top) {
    if (s.kind !== 'join') continue;
    const size = s.aliases.length;
    bySize.set(size, [...(bySize.get(size) ?? []), s]);
  }
  const vectors: CardVector[] = [{ label: 'default' }];
  for (const size of [...bySize.keys()].sort((a, b) => b - a)) {
    for (const factor of factors) {
      const cards = { ...original };
      for (const s of bySize.get(size)!) cards[s.key] = Math.max(1, Math.round(s.rows * factor));
      vectors.push({ label: `${size} relations x${factor}`, cards });
    }
  }
  return vectors;
}

export type CandidateResult = { ok: true; set: CandidateSet } | { ok: false; category: string; reason: string };

/**
 * Plans every card vector (plan-only, concurrently) and keeps the distinct plans. One pull first
 * gives the planner's relation sets and its own plan.
 */
export async function planCandidates(engine: Engine, sql: string, factors: readonly number[], parallelism: number): Promise<CandidateResult> {
  const first = await engine.run({ sql, pull: { subqueryCards: true, physicalPlan: true } });
  const relSets = first.relSets ?? [];
  if (!first.planTree || relSets.length === 0) return { ok: false, category: 'no relation sets', reason: 'the planner built no relation sets for it (no tables?)' };
  if (!relSets.some((s) => s.level === 1 && s.kind === 'join')) return { ok: false, category: 'no joins', reason: 'it joins no relations, so there is no plan to choose' };
  const vectors = swingVectors(relSets, factors);
  const original: Record<string, number> = {};
  for (const s of relSets) if (s.level === 1) original[s.key] = s.rows;
  const plans = await mapConcurrent(vectors.slice(1), parallelism, async (v) => {
    const data = await engine.run({ sql, push: { cards: v.cards! }, pull: { physicalPlan: true } });
    return data.status === 'ok' ? data.planTree : undefined;
  });
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  let failed = 0;
  const consider = (vector: CardVector, plan: PlanNode | undefined): void => {
    if (!plan) {
      failed++;
      return;
    }
    const signature = planSignature(plan);
    if (seen.has(signature)) return;
    seen.add(signature);
    candidates.push({ ...vector, plan, signature, features: restoreRows(plan, vector.cards, original) });
  };
  consider(vectors[0]!, first.planTree);
  vectors.slice(1).forEach((v, i) => consider(v, plans[i]));
  return { ok: true, set: { original, candidates, generated: vectors.length, failed } };
}

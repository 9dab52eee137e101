/**
 * Lero at query time: plan the candidates (plan-only, concurrently), score their restored plans
 * in one batch, execute the best with its cardinalities pushed, and check that the executed plan
 * is the chosen one (by signature; mismatches are counted). When the default plan wins nothing
 * is pushed. Queries with no joins, or over tables the model never saw, run unassisted.
 */
import type { PilotTransData } from '../../engine/types.js';
import { isPilotScopeError } from '../../errors.js';
import type { LeroModel } from '../../native/index.js';
import type { HandlerDecision, QueryHandler, SchedulerContext } from '../../scheduler/types.js';
import { describeUnseen, Vocabulary } from '../common/coverage.js';
import { ReasonCounter } from '../common/stats.js';
import { planCandidates } from './candidates.js';
import { planRelations, planSignature } from './plans.js';

export interface LeroQueryRecord {
  sql: string;
  chosen: string;
  chosenSignature: string;
  defaultSignature: string;
  candidates: number;
  /** The chosen card vector (undefined: the default plan, nothing pushed). */
  cards?: Record<string, number>;
  /** Latency of the executed (chosen) plan, seconds. */
  latency?: number;
  matched?: boolean;
}

export class LeroHandler implements QueryHandler {
  readonly name = 'lero';
  readonly records: LeroQueryRecord[] = [];
  readonly fallbacks = new ReasonCounter();
  readonly unseenTables = new ReasonCounter();
  queries = 0;
  mismatches = 0;
  candidatesPlanned = 0;
  private model: LeroModel | undefined;
  private vocabulary: Vocabulary | undefined;

  constructor(private readonly factors: readonly number[], private readonly parallelism: number) {}

  setModel(model: LeroModel): void {
    this.model = model;
    this.vocabulary = new Vocabulary(model.metadata().tables);
  }

  get currentVocabulary(): Vocabulary | undefined {
    return this.vocabulary;
  }

  async decide(sql: string, ctx: SchedulerContext): Promise<HandlerDecision> {
    this.queries++;
    if (!this.model || !this.vocabulary) return this.fallback('no model', 'no Lero model is loaded (training disabled and no model given)');
    let planned;
    try {
      planned = await ctx.timers.time('lero:candidates', () => planCandidates(ctx.engine, sql, this.factors, this.parallelism));
    } catch (err) {
      // The statement itself will fail the same way when executed; let it say so.
      if (isPilotScopeError(err, 'QUERY_ERROR')) return this.fallback('query error', err.message);
      throw err;
    }
    if (!planned.ok) return this.fallback(planned.category, planned.reason);
    const { candidates } = planned.set;
    this.candidatesPlanned += candidates.length;
    const tables = planRelations(candidates[0]!.plan);
    const unseen = this.vocabulary.unseen(tables);
    if (unseen.tables.length) {
      for (const t of unseen.tables) this.unseenTables.add(t);
      return this.fallback('unseen by the model', `the model never saw ${describeUnseen(unseen)}`);
    }
    const model = this.model;
    const scores = ctx.timers.time('lero:score', () => model.scorePlans(candidates.map((c) => c.features)));
    let best = 0;
    for (let i = 1; i < candidates.length; i++) if (scores[i]! < scores[best]!) best = i; // ties keep the earlier (default first)
    const chosen = candidates[best]!;
    this.records.push({
      sql,
      chosen: chosen.label,
      chosenSignature: chosen.signature,
      defaultSignature: candidates[0]!.signature,
      candidates: candidates.length,
      ...(chosen.cards ? { cards: chosen.cards } : {}),
    });
    return {
      ...(chosen.cards ? { push: { cards: chosen.cards } } : {}),
      pull: { physicalPlan: true },
      details: { candidates: candidates.length, chosen: chosen.label },
    };
  }

  async after(sql: string, decision: HandlerDecision, data: PilotTransData): Promise<Record<string, unknown> | void> {
    if (decision.fallback !== undefined) return;
    const record = this.records[this.records.length - 1];
    if (!record || record.sql !== sql || data.status !== 'ok' || !data.planTree) return;
    record.latency = data.executionTime;
    record.matched = planSignature(data.planTree) === record.chosenSignature;
    if (!record.matched) this.mismatches++;
    return { planMatched: record.matched };
  }

  private fallback(category: string, reason: string): HandlerDecision {
    this.fallbacks.add(category);
    return { fallback: reason };
  }
}

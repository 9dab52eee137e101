/**
 * MSCN at query time: analyse the query once, featurize all its relation sets, estimate them in
 * one batch, push the estimates (keyed by relation set) and execute. The same request pulls what
 * the planner used, so every query checks that its pushes reached the planner. Queries the
 * analysis cannot represent, or that touch tables/columns the model never saw, run with
 * PostgreSQL's own estimates; both are counted with their reasons.
 */
import type { PilotTransData, SchemaInfo } from '../../engine/types.js';
import type { MscnModel } from '../../native/index.js';
import type { HandlerDecision, QueryHandler, SchedulerContext } from '../../scheduler/types.js';
import { describeUnseen, Vocabulary } from '../common/coverage.js';
import { analyzeQuery } from '../common/query-analysis.js';
import { ReasonCounter } from '../common/stats.js';
import { relSetSpec, vocabularyOf } from './features.js';
import { QuantileTransform } from './quantiles.js';

/** What was pushed for one query (kept for the quality report). */
export interface MscnQueryRecord {
  sql: string;
  /** Relation-set key -> the estimate pushed. */
  pushed: Record<string, number>;
}

export class MscnHandler implements QueryHandler {
  readonly name = 'mscn';
  readonly records: MscnQueryRecord[] = [];
  readonly fallbacks = new ReasonCounter();
  readonly unseenTables = new ReasonCounter();
  readonly unseenColumns = new ReasonCounter();
  /** Pushed entries the planner did not apply, by reason. */
  readonly notApplied = new ReasonCounter();
  queries = 0;
  pushedEntries = 0;
  /** Relation sets the planner built that were not pushed (it estimated them itself). */
  plannerSetsNotPushed = 0;
  /** Applied entries whose planner rows differ from the pushed value (should stay 0). */
  rowMismatches = 0;
  private model: MscnModel | undefined;
  private transform = QuantileTransform.empty();
  private vocabulary: Vocabulary | undefined;

  /**
   * `verifyInPlanner`: pull the relation sets the planner built with each push, to check that the
   * pushed rows were used (PostgreSQL). Spark turns the push into a join order instead, and pulling
   * its estimates costs an EXPLAIN per relation set, so there the push is not re-read.
   */
  constructor(
    private readonly dialect: 'postgresql' | 'spark',
    private schema: SchemaInfo | undefined,
    private readonly verifyInPlanner: boolean,
  ) {}

  setModel(model: MscnModel, transform: QuantileTransform): void {
    const meta = model.metadata();
    this.model = model;
    this.transform = transform;
    this.vocabulary = new Vocabulary(meta.tables, meta.columns.map((c) => c.name));
  }

  setSchema(schema: SchemaInfo): void {
    this.schema = schema;
  }

  get currentVocabulary(): Vocabulary | undefined {
    return this.vocabulary;
  }

  async decide(sql: string, ctx: SchedulerContext): Promise<HandlerDecision> {
    this.queries++;
    if (!this.model || !this.vocabulary) return this.fallback('no model', 'no MSCN model is loaded (training disabled and no model given)');
    const analysis = ctx.timers.time('mscn:analyze', () => analyzeQuery(sql, this.dialect, this.schema));
    if (!analysis.ok) return this.fallback(analysis.category, analysis.reason);
    const specs = ctx.timers.time('mscn:featurize', () => analysis.sets.map((s) => relSetSpec(analysis.graph, s)));
    const used = vocabularyOf(specs);
    const unseen = this.vocabulary.unseen(used.tables, used.columns);
    if (unseen.tables.length || unseen.columns.length) {
      for (const t of unseen.tables) this.unseenTables.add(t);
      for (const c of unseen.columns) this.unseenColumns.add(c);
      return this.fallback('unseen by the model', `the model never saw ${describeUnseen(unseen)}`);
    }
    const { model, transform } = this;
    const estimates = ctx.timers.time('mscn:infer', () => model.predictRelSets(specs.map((s) => transform.apply(s))));
    const cards: Record<string, number> = {};
    analysis.sets.forEach((s, i) => {
      // The planner clamps to >= 1 and rounds; pushing what it will use keeps the check exact.
      cards[s.key] = Math.max(1, Math.round(Math.min(estimates[i]!, 1e15)));
    });
    this.records.push({ sql, pushed: cards });
    return { push: { cards }, ...(this.verifyInPlanner ? { pull: { subqueryCards: true } } : {}), details: { pushedCards: cards } };
  }

  async after(_sql: string, decision: HandlerDecision, data: PilotTransData): Promise<Record<string, unknown> | void> {
    const cards = decision.push?.cards;
    if (!cards || data.status !== 'ok') return;
    const keys = Object.keys(cards);
    this.pushedEntries += keys.length;
    let notApplied = 0;
    for (const entry of data.pushReport?.notApplied ?? []) {
      this.notApplied.add(entry.reason);
      notApplied++;
    }
    let notPushed = 0;
    for (const set of data.relSets ?? []) {
      if (set.level !== 1) continue;
      const pushed = cards[set.key];
      if (pushed === undefined) notPushed++;
      else if (set.pushed && set.rows !== pushed) this.rowMismatches++;
    }
    this.plannerSetsNotPushed += notPushed;
    return notApplied || notPushed ? { notApplied, plannerSetsNotPushed: notPushed } : undefined;
  }

  private fallback(category: string, reason: string): HandlerDecision {
    this.fallbacks.add(category);
    return { fallback: reason };
  }
}

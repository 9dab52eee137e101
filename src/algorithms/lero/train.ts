/**
 * Lero training from collected plans: plans of the same query form a group, compared pairwise by
 * latency in the native core. Censored plans (timed out) are labelled slower than every finished
 * plan of their query (and tie with each other, so they are never ordered among themselves).
 * Latencies within `tolerance` of each other are treated as ties (timing noise carries no
 * order). A seeded share of the queries is held out to report pair accuracy.
 */
import { PilotScopeError } from '../../errors.js';
import { LeroModel, type LeroEpochReport } from '../../native/index.js';
import { planRelations, type LeroPlan } from './plans.js';

export interface LeroGroup {
  query: string;
  plans: LeroPlan[];
  latencies: number[];
  censored: boolean[];
  /** Index of PostgreSQL's own plan in the group, -1 when it was not stored. */
  defaultIndex: number;
}

export interface LeroExamples {
  groups: LeroGroup[];
  plans: number;
  censored: number;
}

/** Stored rows grouped by query (storage order), the first `numQueries` queries with at least two plans. */
export function groupsFromRows(rows: readonly Record<string, unknown>[], numQueries?: number): LeroExamples {
  const byQuery = new Map<string, LeroGroup>();
  for (const row of rows) {
    if (typeof row.query !== 'string' || typeof row.latency !== 'number' || typeof row.plan !== 'object' || row.plan === null) continue;
    let group = byQuery.get(row.query);
    if (!group) byQuery.set(row.query, (group = { query: row.query, plans: [], latencies: [], censored: [], defaultIndex: -1 }));
    if (row.candidate === 'default' && group.defaultIndex < 0) group.defaultIndex = group.plans.length;
    group.plans.push(row.plan as LeroPlan);
    group.latencies.push(row.latency);
    group.censored.push(row.censored === true);
  }
  const groups = [...byQuery.values()].filter((g) => g.plans.length >= 2);
  const chosen = numQueries === undefined ? groups : groups.slice(0, numQueries);
  return {
    groups: chosen,
    plans: chosen.reduce((n, g) => n + g.plans.length, 0),
    censored: chosen.reduce((n, g) => n + g.censored.filter(Boolean).length, 0),
  };
}

/**
 * Training labels of a group: finished plans keep their latency, rounded onto a log grid of
 * step (1 + tolerance) so near-equal times tie; censored plans all get one value above them.
 */
export function groupLabels(group: LeroGroup, tolerance: number): number[] {
  const step = Math.log1p(Math.max(tolerance, 1e-9));
  const finished = group.latencies.filter((_, i) => !group.censored[i]);
  const ceiling = Math.max(...group.latencies, ...finished, 1e-6);
  const grid = (t: number): number => Math.round(Math.log(Math.max(t, 1e-6)) / step);
  const censoredLabel = grid(ceiling * 4) + 2;
  return group.latencies.map((t, i) => (group.censored[i] ? censoredLabel : grid(t)));
}

export interface LeroFitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  tolerance: number;
  validationFraction: number;
  onEpoch?: (report: LeroEpochReport) => void;
}

export interface LeroFitResult {
  epochsRun: number;
  pairs: number;
  finalLoss: number;
  trainPairAccuracy: number;
  trainQueries: number;
  validationQueries: number;
  /** Held-out queries: share of plan pairs the model orders like their latencies. */
  validationPairAccuracy: number;
  /** Held-out queries: mean of (latency of the plan the model ranks first) / (best latency). */
  validationTop1Regret: number;
  /** The same for PostgreSQL's own plan, for comparison. */
  validationDefaultRegret: number;
}

/** A fresh model over the tables of the training plans. */
export function newLeroModel(examples: LeroExamples, seed: number): LeroModel {
  const tables = new Set<string>();
  for (const g of examples.groups) for (const p of g.plans) planRelations(p, tables);
  return LeroModel.create({ tables: [...tables].sort(), seed });
}

/** Seeded Fisher-Yates order of 0..n-1 (mulberry32). */
function shuffledIndices(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export async function fitLero(model: LeroModel, examples: LeroExamples, options: LeroFitOptions): Promise<LeroFitResult> {
  const n = examples.groups.length;
  const order = shuffledIndices(n, options.seed);
  const held = n >= 5 ? Math.floor(n * options.validationFraction) : 0;
  const validation = order.slice(0, held).map((i) => examples.groups[i]!);
  const training = order.slice(held).map((i) => examples.groups[i]!);
  const plans: LeroPlan[] = [];
  const groups: number[] = [];
  const labels: number[] = [];
  training.forEach((g, gi) => {
    const l = groupLabels(g, options.tolerance);
    g.plans.forEach((p, i) => {
      plans.push(p);
      groups.push(gi);
      labels.push(l[i]!);
    });
  });
  if (!training.some((g) => new Set(groupLabels(g, options.tolerance)).size > 1)) {
    throw new PilotScopeError(
      'EXPERIMENT_INVALID',
      `Lero has no training pairs: none of the ${training.length} collected queries has two plans with clearly different latencies. Collect more queries (num_collection) or use more swing factors.`,
    );
  }
  const result = await model.train(model.encode(plans), Int32Array.from(groups), Float64Array.from(labels), {
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    seed: options.seed,
    ...(options.onEpoch ? { onEpoch: options.onEpoch } : {}),
  });
  const held_out = evaluateGroups(model, validation, options.tolerance);
  return {
    epochsRun: result.epochsRun,
    pairs: result.pairs,
    finalLoss: result.finalLoss,
    trainPairAccuracy: result.finalPairAccuracy,
    trainQueries: training.length,
    validationQueries: validation.length,
    validationPairAccuracy: held_out.pairAccuracy,
    validationTop1Regret: held_out.top1Regret,
    validationDefaultRegret: held_out.defaultRegret,
  };
}

/** Pair accuracy and top-1 regret of a model on groups it did not train on. */
export function evaluateGroups(model: LeroModel, groups: readonly LeroGroup[], tolerance: number): { pairAccuracy: number; top1Regret: number; defaultRegret: number } {
  let pairs = 0;
  let correct = 0;
  let regretSum = 0;
  let regretCount = 0;
  let defaultSum = 0;
  let defaultCount = 0;
  for (const g of groups) {
    const scores = model.scorePlans(g.plans);
    const labels = groupLabels(g, tolerance);
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        if (labels[i] === labels[j]) continue;
        pairs++;
        if (labels[i]! < labels[j]! === scores[i]! < scores[j]!) correct++;
      }
    }
    const finished = g.latencies.filter((_, i) => !g.censored[i]);
    if (finished.length === 0) continue;
    let pick = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i]! < scores[pick]!) pick = i;
    const best = Math.max(Math.min(...finished), 1e-9);
    const latencyOf = (i: number): number => (g.censored[i] ? Math.max(...g.latencies) : g.latencies[i]!);
    regretSum += latencyOf(pick) / best;
    regretCount++;
    if (g.defaultIndex >= 0) {
      defaultSum += latencyOf(g.defaultIndex) / best;
      defaultCount++;
    }
  }
  return {
    pairAccuracy: pairs ? correct / pairs : Number.NaN,
    top1Regret: regretCount ? regretSum / regretCount : Number.NaN,
    defaultRegret: defaultCount ? defaultSum / defaultCount : Number.NaN,
  };
}

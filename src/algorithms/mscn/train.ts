/**
 * MSCN training from collected rows: rows become (relation set, true cardinality) examples,
 * censored and failed counts are left out (and counted), and the native core trains with a
 * seeded validation split, keeping the best epoch.
 */
import type { Engine, SchemaInfo } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';
import { MscnModel, type MscnEpochReport, type RelSetSpec } from '../../native/index.js';
import { analyzeQuery } from '../common/query-analysis.js';
import { relSetSpec } from './features.js';
import { buildMscnMetadata } from './metadata.js';
import { QuantileTransform } from './quantiles.js';

export interface MscnExamples {
  specs: RelSetSpec[];
  cards: number[];
  /** Queries the examples come from. */
  queries: number;
  /** Relation sets left out: their count timed out. */
  censored: number;
  /** Relation sets left out: their count failed, or the analysis no longer gives the set. */
  failed: number;
}

/** Examples from stored rows, grouped by query in storage order, the first `numQueries` queries. */
export function examplesFromRows(rows: readonly Record<string, unknown>[], dialect: 'postgresql' | 'spark', schema: SchemaInfo | undefined, numQueries?: number): MscnExamples {
  const byQuery = new Map<string, Array<Record<string, unknown>>>();
  for (const row of rows) {
    const query = row.query;
    if (typeof query !== 'string') continue;
    let list = byQuery.get(query);
    if (!list) {
      if (numQueries !== undefined && byQuery.size >= numQueries) continue;
      byQuery.set(query, (list = []));
    }
    list.push(row);
  }
  const examples: MscnExamples = { specs: [], cards: [], queries: 0, censored: 0, failed: 0 };
  for (const [query, queryRows] of byQuery) {
    const analysis = analyzeQuery(query, dialect, schema);
    if (!analysis.ok) {
      examples.failed += queryRows.length;
      continue;
    }
    const sets = new Map(analysis.sets.map((s) => [s.key, s]));
    let used = false;
    const seen = new Set<string>();
    for (const row of queryRows) {
      const set = sets.get(String(row.relset));
      if (row.censored === true) examples.censored++;
      else if (typeof row.card !== 'number' || !set) examples.failed++;
      else if (!seen.has(set.key)) {
        seen.add(set.key);
        examples.specs.push(relSetSpec(analysis.graph, set));
        examples.cards.push(row.card);
        used = true;
      }
    }
    if (used) examples.queries++;
  }
  return examples;
}

export type MscnLoss = 'qerror' | 'log-squared';

export interface MscnFitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  validationFraction: number;
  patience: number;
  seed: number;
  loss?: MscnLoss;
  onEpoch?: (report: MscnEpochReport) => void;
}

export interface MscnFitResult {
  epochsRun: number;
  bestEpoch: number;
  trainSamples: number;
  validationSamples: number;
  /** Validation q-error of the kept epoch (NaN without a validation split). */
  validation: { qerror_mean: number; qerror_median: number; qerror_p95: number };
}

/** A model with the literal transform it was built with (both are needed to estimate). */
export interface MscnBundle {
  model: MscnModel;
  transform: QuantileTransform;
}

/** The registry's featurization record of a bundle, and back. */
export function featurizationOf(bundle: MscnBundle): Record<string, unknown> {
  return { quantiles: bundle.transform.quantiles, bounds: bundle.transform.boundsAtRunEdges ? 'run-edges' : 'mid-run' };
}

export function transformFrom(featurization: Record<string, unknown> | undefined): QuantileTransform {
  const quantiles = featurization?.quantiles;
  if (typeof quantiles !== 'object' || quantiles === null) return QuantileTransform.empty();
  const table: Record<string, number[]> = {};
  for (const [column, values] of Object.entries(quantiles)) {
    if (Array.isArray(values) && values.every((v) => typeof v === 'number')) table[column] = values;
  }
  return new QuantileTransform(table, featurization?.bounds === 'run-edges');
}

/** Trains the bundle's model in place (a fresh one, or a loaded one to fine-tune). */
export async function fitMscn(bundle: MscnBundle, examples: MscnExamples, options: MscnFitOptions): Promise<MscnFitResult> {
  const { model, transform } = bundle;
  if (examples.specs.length === 0) {
    throw new PilotScopeError(
      'EXPERIMENT_INVALID',
      `MSCN has no training examples (${examples.censored} censored and ${examples.failed} failed relation sets were left out). Collect data first (enable_collection=true) or raise collection_timeout_ms.`,
    );
  }
  let best: MscnEpochReport | undefined;
  const result = await model.train(model.encode(examples.specs.map((s) => transform.apply(s))), Float64Array.from(examples.cards), {
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    validationFraction: options.validationFraction,
    patience: options.patience,
    seed: options.seed,
    ...(options.loss ? { loss: options.loss } : {}),
    onEpoch: (report) => {
      if (report.best) best = report;
      options.onEpoch?.(report);
    },
  });
  return {
    epochsRun: result.epochsRun,
    bestEpoch: result.bestEpoch,
    trainSamples: result.trainSamples,
    validationSamples: result.validationSamples,
    validation: {
      qerror_mean: best?.validationQErrorMean ?? Number.NaN,
      qerror_median: best?.validationQErrorMedian ?? Number.NaN,
      qerror_p95: best?.validationQError95 ?? Number.NaN,
    },
  };
}

/** A fresh model whose vocabularies and column domains come from the examples and the training database. */
export async function newMscnModel(examples: MscnExamples, trainingEngine: Engine, hidden: number, seed: number): Promise<MscnBundle> {
  const { metadata, transform } = await buildMscnMetadata(examples.specs, trainingEngine, { hidden, seed });
  return { model: MscnModel.create(metadata), transform };
}

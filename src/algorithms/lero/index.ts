/**
 * The Lero preset: a learned optimizer that ranks candidate plans (made by swinging the
 * cardinalities of join relation sets) with a tree convolution network trained pairwise on
 * their latencies, and executes the best one.
 */
import type { Algorithm, ParamSpec } from '../types.js';
import { requireCardinalityPush } from '../common/engine-checks.js';
import { LEARNED_PARAMS, ParamReader, readLearnedSettings } from '../common/settings.js';
import { DEFAULT_SWING_FACTORS, parseFactors } from './candidates.js';
import { LeroRun } from './run.js';

export const LERO_PARAMS: readonly ParamSpec[] = [
  ...LEARNED_PARAMS.map((p) => (p.name === 'num_collection' ? { ...p, default: 100, description: 'Training queries to collect candidate plans for (-1 = all; upstream: 100).' } : p)),
  { name: 'batch_size', type: 'integer', default: 64, min: 1, max: 65536, description: 'Plan pairs per training step (upstream: 64).' },
  { name: 'swing_factors', type: 'string', default: DEFAULT_SWING_FACTORS.join(','), description: 'Factors the join cardinalities of each size are scaled by to make candidate plans.' },
  {
    name: 'slow_plan_factor',
    type: 'number',
    default: 5,
    min: 0,
    description: 'While collecting, a candidate may run this many times the fastest finished plan of its query before it is stopped and stored as censored (0 = only collection_timeout_ms).',
  },
  { name: 'latency_tolerance', type: 'number', default: 0.05, min: 0, max: 1, description: 'Latencies within this relative difference are ties in training (timing noise carries no order).' },
  { name: 'validation_fraction', type: 'number', default: 0.1, min: 0, max: 0.5, description: 'Share of collected queries held out to report pair accuracy.' },
  { name: 'planning_parallelism', type: 'integer', default: 0, min: 0, max: 64, description: 'Candidate plans made concurrently per query (0 = the experiment parallelism).' },
  {
    name: 'quality_max_queries',
    type: 'integer',
    default: 200,
    min: 0,
    description: 'The quality report runs at most this many deviating queries again with the default and the chosen plan, to measure the time won or lost.',
  },
];

export const lero: Algorithm = {
  name: 'lero',
  description: 'Learned query optimizer (Lero): plans candidates by swinging join cardinalities, ranks them with a tree CNN, runs the best.',
  params: LERO_PARAMS,
  engines: ['postgresql', 'spark'],
  async create(params, ctx) {
    requireCardinalityPush(ctx.engine, 'Lero');
    const reader = new ParamReader(params, 'lero');
    const planning = reader.number('planning_parallelism');
    const run = new LeroRun(ctx, {
      settings: readLearnedSettings(reader, ctx),
      params,
      factors: parseFactors(reader.string('swing_factors')),
      batchSize: reader.number('batch_size'),
      slowFactor: reader.number('slow_plan_factor'),
      tolerance: reader.number('latency_tolerance'),
      validationFraction: reader.number('validation_fraction'),
      planningParallelism: planning > 0 ? planning : Math.max(1, ctx.parallelism),
      qualityMaxQueries: reader.number('quality_max_queries'),
    });
    return run.algorithmRun();
  },
};

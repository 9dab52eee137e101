/**
 * The MSCN preset: learned cardinality estimation (Kipf et al.'s multi-set convolutional
 * network) pushed for every relation set of every query: into PostgreSQL's planner, or on Spark as
 * the join order chosen from them.
 */
import type { Algorithm, ParamSpec } from '../types.js';
import { requireCardinalityPush } from '../common/engine-checks.js';
import { LEARNED_PARAMS, ParamReader, readLearnedSettings } from '../common/settings.js';
import { MscnRun } from './run.js';
import type { MscnLoss } from './train.js';

export const MSCN_PARAMS: readonly ParamSpec[] = [
  ...LEARNED_PARAMS,
  { name: 'batch_size', type: 'integer', default: 256, min: 1, max: 65536, description: 'Relation sets per training batch (upstream: 2048 queries, one set each).' },
  { name: 'hidden_size', type: 'integer', default: 256, min: 4, max: 4096, description: 'Width of the hidden layers (upstream: 256).' },
  { name: 'validation_fraction', type: 'number', default: 0.1, min: 0, max: 0.5, description: 'Share of relation sets held out to pick the best epoch.' },
  { name: 'patience', type: 'integer', default: 10, min: 0, description: 'Stop after this many epochs without validation improvement (0 = never).' },
  {
    name: 'loss',
    type: 'string',
    default: 'log-squared',
    choices: ['log-squared', 'qerror'],
    description:
      'What training minimizes: mean squared error of ln(card + 1), or mean q-error (upstream), whose gradient grows with the error so that a few estimates off by orders of magnitude swamp training (see src/algorithms/README.md).',
  },
  {
    name: 'quality_max_counts',
    type: 'integer',
    default: 20000,
    min: 0,
    description: 'At most this many count(*) statements to find true cardinalities for the quality report (known ones are reused).',
  },
];

export const mscn: Algorithm = {
  name: 'mscn',
  description: 'Learned cardinality estimation (MSCN): estimates every relation set of a query and pushes them into the planner.',
  params: MSCN_PARAMS,
  engines: ['postgresql', 'spark'],
  async create(params, ctx) {
    requireCardinalityPush(ctx.engine, 'MSCN');
    const reader = new ParamReader(params, 'mscn');
    const run = new MscnRun(ctx, {
      settings: readLearnedSettings(reader, ctx),
      params,
      batchSize: reader.number('batch_size'),
      hidden: reader.number('hidden_size'),
      validationFraction: reader.number('validation_fraction'),
      patience: reader.number('patience'),
      loss: reader.string('loss') as MscnLoss,
      qualityMaxCounts: reader.number('quality_max_counts'),
    });
    return run.algorithmRun();
  },
};

/**
 * The parameters every learned preset shares (upstream's knobs plus training source, model reuse,
 * timeouts and periodic updates), and their typed reading.
 */
import { PilotScopeError } from '../../errors.js';
import type { AlgorithmContext, ParamSpec, ParamValue } from '../types.js';

export const LEARNED_PARAMS: readonly ParamSpec[] = [
  {
    name: 'enable_collection',
    type: 'boolean',
    default: true,
    description: 'Collect training data before training. Already collected queries are reused, not collected again (upstream default: false).',
  },
  { name: 'enable_training', type: 'boolean', default: true, description: 'Train a model at start-up from the collected data.' },
  { name: 'num_collection', type: 'integer', default: -1, min: -1, description: 'Training queries to collect data for (-1 = all).' },
  { name: 'num_training', type: 'integer', default: -1, min: -1, description: 'Collected queries to train on, in collection order (-1 = all).' },
  { name: 'num_epoch', type: 'integer', default: 100, min: 1, max: 100000, description: 'Training epochs.' },
  {
    name: 'training_dataset',
    type: 'string',
    default: 'auto',
    description: '"auto" = the tested dataset; or any registered dataset (cross-dataset training: the model learns on that database).',
  },
  { name: 'training_data_file', type: 'string', default: '', description: 'A file of SQL statements to train on instead (run against the tested database).' },
  {
    name: 'model',
    type: 'string',
    default: '',
    description: 'Reuse a model from the registry instead of collecting and training: a model id, or "latest" (newest for the training dataset).',
  },
  { name: 'seed', type: 'integer', default: null, min: 0, description: 'Seed for initialization, splits and shuffling (default: the experiment seed).' },
  { name: 'learning_rate', type: 'number', default: 0.001, min: 1e-7, max: 1, description: 'Adam learning rate.' },
  {
    name: 'collection_timeout_ms',
    type: 'integer',
    default: 60000,
    min: 1,
    description: 'Timeout of each statement run while collecting (a timed-out one is recorded as censored, not retried).',
  },
  { name: 'collection_parallelism', type: 'integer', default: 0, min: 0, max: 64, description: 'Concurrent statements while collecting (0 = the experiment parallelism).' },
  { name: 'update_interval', type: 'integer', default: 0, min: 0, description: 'Update the model every N executed queries from what was collected since the last update (0 = never).' },
  { name: 'update_mode', type: 'string', default: 'finetune', choices: ['finetune', 'retrain'], description: 'finetune: continue training on the new data; retrain: a fresh model on all data.' },
  { name: 'update_epochs', type: 'integer', default: 20, min: 1, max: 100000, description: 'Epochs of each periodic update.' },
];

export interface LearnedSettings {
  enableCollection: boolean;
  enableTraining: boolean;
  /** undefined = all. */
  numCollection: number | undefined;
  numTraining: number | undefined;
  numEpoch: number;
  /** 'auto' or a dataset name. */
  trainingDataset: string;
  trainingDataFile: string | undefined;
  /** undefined = train; an id or 'latest'. */
  model: string | undefined;
  seed: number;
  learningRate: number;
  collectionTimeoutMs: number;
  collectionParallelism: number;
  updateInterval: number;
  updateMode: 'finetune' | 'retrain';
  updateEpochs: number;
}

/** Typed access to resolved parameters (resolveParams has checked types and ranges). */
export class ParamReader {
  constructor(private readonly params: Readonly<Record<string, ParamValue>>, private readonly algorithm: string) {}

  number(name: string): number {
    const v = this.params[name];
    if (typeof v !== 'number') throw this.missing(name, 'a number');
    return v;
  }

  optionalNumber(name: string): number | undefined {
    const v = this.params[name];
    return typeof v === 'number' ? v : undefined;
  }

  boolean(name: string): boolean {
    const v = this.params[name];
    if (typeof v !== 'boolean') throw this.missing(name, 'true or false');
    return v;
  }

  string(name: string): string {
    const v = this.params[name];
    if (typeof v !== 'string') throw this.missing(name, 'a string');
    return v;
  }

  private missing(name: string, what: string): PilotScopeError {
    return new PilotScopeError('EXPERIMENT_INVALID', `${this.algorithm}: parameter "${name}" must be ${what} (resolve parameters with resolveParams first).`);
  }
}

export function readLearnedSettings(reader: ParamReader, ctx: AlgorithmContext): LearnedSettings {
  const count = (name: string): number | undefined => {
    const n = reader.number(name);
    return n < 0 ? undefined : n;
  };
  const model = reader.string('model').trim();
  const file = reader.string('training_data_file').trim();
  const parallelism = reader.number('collection_parallelism');
  return {
    enableCollection: reader.boolean('enable_collection'),
    enableTraining: reader.boolean('enable_training'),
    numCollection: count('num_collection'),
    numTraining: count('num_training'),
    numEpoch: reader.number('num_epoch'),
    trainingDataset: reader.string('training_dataset').trim() || 'auto',
    trainingDataFile: file === '' ? undefined : file,
    model: model === '' ? undefined : model,
    seed: reader.optionalNumber('seed') ?? ctx.seed,
    learningRate: reader.number('learning_rate'),
    collectionTimeoutMs: reader.number('collection_timeout_ms'),
    collectionParallelism: parallelism > 0 ? parallelism : Math.max(1, ctx.parallelism),
    updateInterval: reader.number('update_interval'),
    updateMode: reader.string('update_mode') === 'retrain' ? 'retrain' : 'finetune',
    updateEpochs: reader.number('update_epochs'),
  };
}

/** The parameters a model was trained with, for its registry metadata. */
export function trainingParams(params: Readonly<Record<string, ParamValue>>, names: readonly string[]): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const name of names) if (params[name] !== undefined) out[name] = params[name]!;
  return out;
}

/**
 * The experiment file's JSON Schema. docs/experiment.schema.json is this object, printed by
 * `experimentSchemaText()` (a test keeps the two identical; regenerate the file with
 * `node --import=tsx src/experiments/publish-schema.ts`).
 */
import { ALGORITHM_NAMES } from '../algorithms/types.js';
import type { JsonSchema } from '../config/schema.js';

/** Metrics a sweep can pick its best configuration by (lower is better for all). */
export const SWEEP_METRICS = ['total_time', 'average_time', 'median_time', 'p95_time', 'q_error_p95'] as const;
export type SweepMetric = (typeof SWEEP_METRICS)[number];

/** Figures a comparison can show. */
export const COMPARISON_METRICS = [...SWEEP_METRICS, 'db_execution_time', 'overhead_time', 'timeouts', 'failures'] as const;
export type ComparisonMetric = (typeof COMPARISON_METRICS)[number];

export const EXPERIMENT_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$';
const DATASET_NAME_PATTERN = '^[a-z][a-z0-9_]*$';

const paramValue: JsonSchema = { type: ['string', 'number', 'boolean'] };

export const experimentSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://pilotscope.dev/schemas/experiment.json',
  title: 'PilotScope experiment file',
  description: 'Experiments (algorithm x dataset x parameters), config sweeps and a comparison, run with `pilotscope run --config <file>`. Relative paths are relative to this file.',
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['experiments'] }, { required: ['sweeps'] }],
  properties: {
    $schema: { type: 'string' },
    db_config: {
      type: 'object',
      additionalProperties: false,
      description: 'Where to run. Leave out host to use the configured server (by default the embedded PostgreSQL). Each dataset uses its own database.',
      properties: {
        engine: { enum: ['postgresql', 'spark'], default: 'postgresql' },
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        user: { type: 'string', minLength: 1 },
        password: { type: 'string' },
        timeout_ms: { type: 'integer', minimum: 1, description: 'Statement timeout for workload queries.' },
      },
    },
    defaults: {
      type: 'object',
      additionalProperties: false,
      description: 'Applied to every experiment and sweep (their own fields win).',
      properties: {
        params: { $ref: '#/$defs/params' },
        limit: { $ref: '#/$defs/limit' },
        seed: { $ref: '#/$defs/seed' },
        timeout_ms: { type: 'integer', minimum: 1 },
      },
    },
    experiments: {
      type: 'array',
      minItems: 1,
      items: { $ref: '#/$defs/experiment' },
    },
    sweeps: {
      type: 'array',
      minItems: 1,
      items: { $ref: '#/$defs/sweep' },
    },
    comparison: {
      type: 'object',
      additionalProperties: false,
      description: 'What to compare at the end, and where results go.',
      properties: {
        baseline: { type: 'boolean', default: false, description: 'Also run the baseline on every dataset that has no baseline experiment.' },
        metrics: { type: 'array', minItems: 1, items: { enum: COMPARISON_METRICS } },
        output_dir: { type: 'string', minLength: 1, default: 'results', description: 'Directory for results and the report.' },
        report: { type: 'string', minLength: 1, default: 'report.html', description: 'Report file name (inside output_dir unless absolute); charts go beside it.' },
      },
    },
  },
  $defs: {
    params: {
      type: 'object',
      description: "Algorithm parameters (snake_case), e.g. num_epoch, num_training, training_dataset. `pilotscope run --help` lists each algorithm's.",
      additionalProperties: paramValue,
    },
    limit: { type: 'integer', minimum: 1, description: 'Run only the first N queries of the workload.' },
    seed: { type: 'integer', minimum: 0 },
    dataset: {
      description: 'A registered dataset name, or {name, scale, seed} for the generated synthetic dataset.',
      oneOf: [
        { type: 'string', pattern: DATASET_NAME_PATTERN },
        {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', pattern: DATASET_NAME_PATTERN },
            scale: { type: 'number', exclusiveMinimum: 0 },
            seed: { type: 'integer', minimum: 0 },
          },
        },
      ],
    },
    workload: {
      description: '"test" (default): the dataset\'s test queries; "validation": held-out training queries; {"dataset": name}: another dataset\'s test queries on this dataset\'s database; {"file": path}: a file of SQL.',
      oneOf: [
        { enum: ['test', 'validation'] },
        { type: 'object', additionalProperties: false, required: ['dataset'], properties: { dataset: { $ref: '#/$defs/dataset' } } },
        { type: 'object', additionalProperties: false, required: ['file'], properties: { file: { type: 'string', minLength: 1 } } },
      ],
    },
    experiment: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'algorithm', 'dataset'],
      properties: {
        name: { type: 'string', pattern: EXPERIMENT_NAME_PATTERN, description: 'Names the result files <name>.json, <name>.arrow, <name>.parquet.' },
        algorithm: { enum: ALGORITHM_NAMES },
        dataset: { $ref: '#/$defs/dataset' },
        workload: { $ref: '#/$defs/workload' },
        params: { $ref: '#/$defs/params' },
        limit: { $ref: '#/$defs/limit' },
        seed: { $ref: '#/$defs/seed' },
        timeout_ms: { type: 'integer', minimum: 1 },
      },
    },
    sweep: {
      type: 'object',
      additionalProperties: false,
      required: ['algorithm', 'dataset', 'grid'],
      properties: {
        name: { type: 'string', pattern: EXPERIMENT_NAME_PATTERN, description: 'Default: sweep_<algorithm>_<dataset>.' },
        algorithm: { enum: ALGORITHM_NAMES },
        dataset: { $ref: '#/$defs/dataset' },
        grid: {
          type: 'object',
          description: 'Parameter -> list of values; every combination is run.',
          additionalProperties: { type: 'array', minItems: 1, items: paramValue },
        },
        params: { $ref: '#/$defs/params' },
        metric: { enum: SWEEP_METRICS, default: 'total_time' },
        evaluate_on: { enum: ['validation', 'test'], default: 'validation', description: 'Workload the grid points run on.' },
        rerun_best: { type: 'boolean', default: false, description: 'Re-run the best configuration on the test workload.' },
        limit: { $ref: '#/$defs/limit' },
        seed: { $ref: '#/$defs/seed' },
        timeout_ms: { type: 'integer', minimum: 1 },
      },
    },
  },
};

/** The published file's exact text. */
export function experimentSchemaText(): string {
  return `${JSON.stringify(experimentSchema, null, 2)}\n`;
}

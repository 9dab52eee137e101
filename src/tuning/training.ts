/** The training workload of the knob and index presets: the tested dataset's, another dataset's, or a file of SQL. */
import type { AlgorithmContext, ParamSpec, ParamValue, TrainingWorkload } from '../algorithms/types.js';

export const TRAINING_PARAMS: readonly ParamSpec[] = [
  { name: 'training_dataset', type: 'string', default: 'auto', description: 'Workload to tune on: "auto" (the tested dataset\'s training queries) or a registered dataset.' },
  { name: 'training_data_file', type: 'string', default: null, description: "A file of SQL to tune on instead (run against the tested dataset's database)." },
];

export async function resolveTraining(params: Readonly<Record<string, ParamValue>>, ctx: AlgorithmContext): Promise<TrainingWorkload> {
  const dataset = params.training_dataset === undefined ? 'auto' : String(params.training_dataset);
  const file = params.training_data_file === undefined ? undefined : String(params.training_data_file);
  if (dataset === 'auto' && file === undefined) return { dataset: ctx.dataset, engine: ctx.engine, queries: ctx.trainingQueries };
  return ctx.trainingWorkload({ ...(dataset !== 'auto' ? { dataset } : {}), ...(file !== undefined ? { file } : {}) });
}

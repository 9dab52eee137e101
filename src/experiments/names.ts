/** Names of datasets and experiments as they appear in results and file names. */
import { PilotScopeError } from '../errors.js';
import { EXPERIMENT_NAME_PATTERN } from './schema.js';
import type { DatasetRef } from './types.js';

const EXPERIMENT_NAME = new RegExp(EXPERIMENT_NAME_PATTERN);

/** "stats_tiny", or "synthetic_sf0_1_s7" when scale/seed are given. */
export function datasetLabel(ref: DatasetRef): string {
  let label = ref.name;
  if (ref.scale !== undefined) label += `_sf${String(ref.scale).replace(/[^0-9]/g, '_')}`;
  if (ref.seed !== undefined) label += `_s${ref.seed}`;
  return label;
}

/** The experiment name the flags give: <algorithm>_<dataset label>. */
export function defaultExperimentName(algorithm: string, dataset: DatasetRef): string {
  return checkExperimentName(`${algorithm}_${datasetLabel(dataset)}`.slice(0, 100));
}

export function checkExperimentName(name: string, where = 'experiment name'): string {
  if (!EXPERIMENT_NAME.test(name)) {
    throw new PilotScopeError('EXPERIMENT_INVALID', `${where} ${JSON.stringify(name)} is not usable as a file name: use 1-100 characters from A-Z, a-z, 0-9, '_' and '-', not starting with '-'.`);
  }
  return name;
}

/** Parses "name", "synthetic:0.1" or "synthetic:0.1:7" (scale, seed) as given on the command line. */
export function parseDatasetArg(text: string, scale?: number, seed?: number): DatasetRef {
  const [name, scaleText, seedText, extra] = text.split(':');
  if (!name || extra !== undefined) {
    throw new PilotScopeError('USAGE', `"${text}" is not a dataset: give a registered name, or synthetic:<scale>:<seed> (e.g. synthetic:0.01:7).`);
  }
  const ref: DatasetRef = { name };
  const s = scaleText !== undefined ? Number(scaleText) : scale;
  const d = seedText !== undefined ? Number(seedText) : seed;
  if (s !== undefined) {
    if (!(Number.isFinite(s) && s > 0)) throw new PilotScopeError('USAGE', `The scale in "${text}" must be a number > 0 (e.g. synthetic:0.01).`);
    ref.scale = s;
  }
  if (d !== undefined) {
    if (!(Number.isInteger(d) && d >= 0)) throw new PilotScopeError('USAGE', `The seed in "${text}" must be an integer >= 0 (e.g. synthetic:0.01:7).`);
    ref.seed = d;
  }
  return ref;
}

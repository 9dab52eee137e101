/**
 * The registered dataset `synthetic`: a STATS-like schema generated from (scale, seed), loaded
 * straight from row streams, with a generated workload. Each (scale, seed) pair is its own
 * database, e.g. synthetic_sf0_1_s7.
 */
import { PilotScopeError } from '../../errors.js';
import type { Dataset, TableData } from '../types.js';
import { SyntheticModel, type SyntheticParams } from './model.js';
import { SYNTHETIC_SCHEMA } from './schema.js';
import { copyTextStream, syntheticTables } from './tables.js';
import { generateSyntheticWorkload, type WorkloadParams } from './workload.js';

/** Bumped whenever generated data changes for the same parameters (forces reloads). */
export const GENERATOR_VERSION = 1;
export const DEFAULT_SCALE = 0.1;
export const DEFAULT_SEED = 7;
const MIN_SCALE = 0.001;
const MAX_SCALE = 1000;

export interface SyntheticOptions extends Partial<WorkloadParams> {}

export function checkSyntheticParams(params: Partial<SyntheticParams>): SyntheticParams {
  const scale = params.scale ?? DEFAULT_SCALE;
  const seed = params.seed ?? DEFAULT_SEED;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < MIN_SCALE || scale > MAX_SCALE) {
    throw new PilotScopeError('USAGE', `The synthetic scale factor must be a number from ${MIN_SCALE} to ${MAX_SCALE} (got ${String(scale)}); 1 gives STATS sizes (about 1M rows), 0.01 about 10k rows.`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new PilotScopeError('USAGE', `The synthetic seed must be a non-negative integer (got ${String(seed)}).`);
  }
  return { scale, seed };
}

/** The database a (scale, seed) pair loads into: synthetic_sf0_1_s7 for scale 0.1, seed 7. */
export function syntheticDatabaseName({ scale, seed }: SyntheticParams): string {
  return `synthetic_sf${String(scale).replace('.', '_').replace(/[^0-9_]/g, '')}_s${seed}`;
}

/** The synthetic dataset for these parameters (usable from experiment files: {scale, seed}). */
export function syntheticDataset(options: SyntheticOptions = {}): Dataset {
  const params = checkSyntheticParams(options);
  let model: SyntheticModel | undefined;
  const getModel = () => (model ??= new SyntheticModel(params));
  let tables: ReturnType<typeof syntheticTables> | undefined;
  const getTables = () => (tables ??= syntheticTables(getModel()));
  const tableData = SYNTHETIC_SCHEMA.map((schema) => ({
    name: schema.name,
    data: {
      format: 'rows' as const,
      open: () => copyTextStream(getTables().find((t) => t.name === schema.name)!.rows()),
      get rowCount() {
        return getTables().find((t) => t.name === schema.name)!.rowCount;
      },
    } satisfies TableData,
  }));
  return {
    name: 'synthetic',
    database: syntheticDatabaseName(params),
    fingerprint: `synthetic-v${GENERATOR_VERSION}:scale=${params.scale}:seed=${params.seed}`,
    source: `generated (scale ${params.scale}, seed ${params.seed})`,
    data: { kind: 'generated', schema: [...SYNTHETIC_SCHEMA], tables: tableData },
    notices: [],
    async workload() {
      const { train, test } = generateSyntheticWorkload({ ...options, ...params }, getModel());
      return { train, test, notices: [] };
    },
  };
}

export { SYNTHETIC_SCHEMA, SyntheticModel, generateSyntheticWorkload, type SyntheticParams };

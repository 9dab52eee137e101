/**
 * The one place that loads the native addon (build/Release/pilotscope_native.node) and gives it
 * TypeScript types. It refuses a stale build: the addon carries a fingerprint of the native
 * sources it was built from, and it must match the sources in this package.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PilotScopeError, type ErrorCode } from '../errors.js';

/** Columnar relation sets for MSCN (CSR: per-relation-set offsets into flat arrays). */
export interface NativeRelSetBatch {
  tableOffsets: Int32Array;
  tableIds: Int32Array;
  joinOffsets: Int32Array;
  joinIds: Int32Array;
  predicateOffsets: Int32Array;
  predicateColumns: Int32Array;
  predicateOperators: Int32Array;
  predicateLow: Float64Array;
  predicateHigh: Float64Array;
  predicateArg: Float64Array;
}

/** Binary plan trees in flat preorder for Lero (child indices local to each plan, -1 = none). */
export interface NativePlanBatch {
  treeOffsets: Int32Array;
  nodeTypes: Int32Array;
  left: Int32Array;
  right: Int32Array;
  widths: Float64Array;
  rows: Float64Array;
  nodeTableOffsets: Int32Array;
  nodeTableIds: Int32Array;
}

export interface MscnColumnMetadata {
  /** "table.column" */
  name: string;
  /** Numeric range: numbers as-is, dates as epoch seconds, strings as dictionary ranks. */
  min: number;
  max: number;
  /** Sorted dictionary of the column's string values (string literals map to their rank). */
  strings?: string[];
}

export interface MscnMetadataInput {
  tables: string[];
  columns: MscnColumnMetadata[];
  joins: string[];
  operators: string[];
  /** Width of every hidden layer (default 256, as upstream). */
  hidden?: number;
  /** Seed of the weight initialization (default 1). */
  seed?: number;
}

export interface MscnMetadata extends Required<MscnMetadataInput> {
  trained: boolean;
  /** ln(card + 1) range of the training labels (fitted by the first train()). */
  labelLogMin: number;
  labelLogMax: number;
}

export interface MscnNativeTrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  validationFraction?: number;
  patience?: number;
  seed?: number;
  /** What training minimizes: mean q-error (default, upstream) or mean squared error of ln(card + 1). */
  loss?: 'qerror' | 'log-squared';
}

export interface MscnEpochReport {
  epoch: number;
  trainLoss: number;
  validationQErrorMean: number;
  validationQErrorMedian: number;
  validationQError95: number;
  /** exp(mean ln q-error): what selects the kept epoch and stops early. */
  validationQErrorGeoMean: number;
  best: boolean;
}

export interface MscnTrainResult {
  epochsRun: number;
  bestEpoch: number;
  bestValidationQError: number;
  trainSamples: number;
  validationSamples: number;
}

export interface LeroMetadataInput {
  nodeTypes: string[];
  tables: string[];
  seed?: number;
}

export interface LeroMetadata extends Required<LeroMetadataInput> {
  trained: boolean;
  nodeFeatureDim: number;
}

export interface LeroNativeTrainOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
}

export interface LeroEpochReport {
  epoch: number;
  trainLoss: number;
  pairAccuracy: number;
}

export interface LeroTrainResult {
  epochsRun: number;
  pairs: number;
  finalLoss: number;
  finalPairAccuracy: number;
}

export interface NativeCancelToken {
  cancel(): void;
  readonly cancelled: boolean;
}

export interface NativeMscnModel {
  readonly training: boolean;
  metadata(): MscnMetadata;
  predict(batch: NativeRelSetBatch): Float64Array;
  train(
    batch: NativeRelSetBatch,
    cards: Float64Array,
    options?: MscnNativeTrainOptions,
    onEpoch?: (report: MscnEpochReport) => void,
    cancel?: NativeCancelToken,
  ): Promise<MscnTrainResult>;
  toBuffer(): Buffer;
  save(path: string): void;
}

export interface NativeLeroModel {
  readonly training: boolean;
  metadata(): LeroMetadata;
  score(plans: NativePlanBatch): Float64Array;
  train(
    plans: NativePlanBatch,
    groups: Int32Array,
    latencies: Float64Array,
    options?: LeroNativeTrainOptions,
    onEpoch?: (report: LeroEpochReport) => void,
    cancel?: NativeCancelToken,
  ): Promise<LeroTrainResult>;
  toBuffer(): Buffer;
  save(path: string): void;
}

export interface NativeAddon {
  /** Fingerprint of the native sources the addon was built from. */
  readonly sourceHash: string;
  /** The GEMM kernel picked for this CPU ("avx512", "avx2" or "generic"). */
  readonly gemmKernel: string;
  CancelToken: new () => NativeCancelToken;
  MscnModel: {
    new (metadata: MscnMetadataInput): NativeMscnModel;
    fromBuffer(buffer: Uint8Array): NativeMscnModel;
    load(path: string): NativeMscnModel;
  };
  LeroModel: {
    new (metadata: LeroMetadataInput): NativeLeroModel;
    fromBuffer(buffer: Uint8Array): NativeLeroModel;
    load(path: string): NativeLeroModel;
  };
}

const REBUILD_ADVICE = 'run `npm run build:native` in the pilotscope package';
const ADDON_RELATIVE_PATH = path.join('build', 'Release', 'pilotscope_native.node');

/** The package root (the directory of pilotscope's package.json), from src/ or dist/src/. */
export function packageRoot(start: string = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'pilotscope') return dir;
      } catch {
        // not our manifest; keep walking up
      }
    }
    if (path.dirname(dir) === dir) {
      throw new PilotScopeError('NATIVE_ADDON_MISSING', `cannot find the pilotscope package root above ${start}`);
    }
  }
}

/** Throws NATIVE_ADDON_STALE when the addon was built from other native sources. */
export function checkAddonFreshness(builtHash: string, expectedHash: string | undefined): void {
  if (expectedHash === undefined) return; // sources not shipped: nothing to compare with
  if (builtHash !== expectedHash) {
    throw new PilotScopeError(
      'NATIVE_ADDON_STALE',
      `the native addon is stale (built from sources ${builtHash}, the sources are now ${expectedHash}): ${REBUILD_ADVICE}`,
      { builtHash, expectedHash },
    );
  }
}

/** Recomputes the fingerprint of the native sources, or undefined when they are not present. */
export function currentSourceHash(root: string = packageRoot()): string | undefined {
  const tool = path.join(root, 'native', 'tools', 'source-hash.cjs');
  if (!fs.existsSync(tool)) return undefined;
  const require = createRequire(import.meta.url);
  return (require(tool) as { sourceHash(): string }).sourceHash();
}

let cached: NativeAddon | undefined;

/** Loads the addon once; throws NATIVE_ADDON_MISSING or NATIVE_ADDON_STALE with what to do. */
export function loadNativeAddon(): NativeAddon {
  if (cached) return cached;
  const root = packageRoot();
  const file = path.join(root, ADDON_RELATIVE_PATH);
  if (!fs.existsSync(file)) {
    throw new PilotScopeError('NATIVE_ADDON_MISSING', `the native addon is not built (${ADDON_RELATIVE_PATH} is missing): ${REBUILD_ADVICE}`);
  }
  const require = createRequire(import.meta.url);
  let addon: NativeAddon;
  try {
    addon = require(file) as NativeAddon;
  } catch (err) {
    throw new PilotScopeError('NATIVE_ADDON_MISSING', `the native addon could not be loaded (${String(err)}): ${REBUILD_ADVICE}`, {}, { cause: err });
  }
  checkAddonFreshness(addon.sourceHash, currentSourceHash(root));
  cached = addon;
  return addon;
}

const NATIVE_CODES = new Set<ErrorCode>(['NATIVE_INVALID_ARGUMENT', 'MODEL_CORRUPT', 'INTERRUPTED']);

/** Maps an error thrown by the addon (it carries a `code`) to a PilotScopeError. */
export function fromNativeError(err: unknown, context: string): PilotScopeError {
  if (err instanceof PilotScopeError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && NATIVE_CODES.has(code as ErrorCode)) {
    return new PilotScopeError(code as ErrorCode, `${context}: ${message}`, {}, { cause: err });
  }
  if (err instanceof TypeError) return new PilotScopeError('NATIVE_INVALID_ARGUMENT', `${context}: ${message}`, {}, { cause: err });
  return new PilotScopeError('INTERNAL', `${context}: ${message}`, {}, { cause: err });
}

/** Runs a synchronous native call, mapping its errors. */
export function callNative<T>(context: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw fromNativeError(err, context);
  }
}

/** Bridges an AbortSignal to a native cancel token for the duration of a promise. */
export async function withCancel<T>(
  signal: AbortSignal | undefined,
  context: string,
  run: (token: NativeCancelToken) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw new PilotScopeError('INTERRUPTED', `${context}: cancelled before it started`);
  const token = new (loadNativeAddon().CancelToken)();
  const onAbort = (): void => token.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await callNative(context, () => run(token));
  } catch (err) {
    throw fromNativeError(err, context);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

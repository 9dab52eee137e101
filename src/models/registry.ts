/**
 * The model registry: trained models kept under `<home>/models/<id>/` as the native model file
 * (`model.bin`) plus `metadata.json` (algorithm, dataset trained on, parameters, training data
 * size, creation time, validation metrics, the model file's sha256). Models are found by id or as
 * "latest" (optionally the latest for one algorithm and dataset), and a model file whose bytes no
 * longer match its checksum is refused with MODEL_CORRUPT.
 *
 * Both files are written durably (temp file, fsync, rename); metadata.json is written last, so a
 * model without it was never committed and is ignored.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PilotScopeError } from '../errors.js';
import { isErrno, writeFileDurably } from '../store/durable-fs.js';

export const MODEL_FILE = 'model.bin';
export const METADATA_FILE = 'metadata.json';
const METADATA_FORMAT = 1;

export type ModelParamValue = string | number | boolean;

export interface ModelMetadata {
  format: number;
  id: string;
  /** 'mscn', 'lero', ... */
  algorithm: string;
  /** The dataset the model was trained on (or "file:<path>" for a file of SQL). */
  dataset: string;
  /** The parameters it was trained with. */
  params: Record<string, ModelParamValue>;
  /** Training examples (MSCN: relation sets; Lero: plans). */
  trainingSamples: number;
  /** Training queries the examples came from. */
  trainingQueries: number;
  createdAt: string;
  /** Validation figures (q-error percentiles, pair accuracy, ...). */
  validation: Record<string, number>;
  /** sha256 (hex) of model.bin. */
  checksum: string;
  bytes: number;
  /** The model this one was fine-tuned from. */
  parent?: string;
  /** Featurization state the model needs at inference beyond its file (e.g. MSCN's column quantiles). */
  featurization?: Record<string, unknown>;
  /** Anything else the algorithm wants to remember (e.g. censored labels). */
  notes?: Record<string, unknown>;
}

export interface NewModel {
  algorithm: string;
  dataset: string;
  params: Record<string, ModelParamValue>;
  trainingSamples: number;
  trainingQueries: number;
  validation: Record<string, number>;
  parent?: string;
  featurization?: Record<string, unknown>;
  notes?: Record<string, unknown>;
}

export interface ModelFilter {
  algorithm?: string;
  dataset?: string;
}

export interface LoadedModel {
  metadata: ModelMetadata;
  bytes: Buffer;
}

export interface ModelListing {
  models: ModelMetadata[];
  /** Directories under models/ whose metadata could not be read, with why. */
  unreadable: Array<{ id: string; reason: string }>;
}

const ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,150}$/;

export class ModelRegistry {
  readonly dir: string;
  private lastCreated = 0;

  constructor(home: string) {
    if (typeof home !== 'string' || home.length === 0) {
      throw new PilotScopeError('USAGE', 'ModelRegistry needs the state directory (home) as a non-empty string.');
    }
    this.dir = path.join(path.resolve(home), 'models');
  }

  /** Stores a model file with its metadata; resolves to the metadata (with its new id). */
  async save(model: NewModel, bytes: Uint8Array): Promise<ModelMetadata> {
    const created = this.nextCreationTime();
    const id = newModelId(model.algorithm, model.dataset, created);
    const dir = path.join(this.dir, id);
    await fs.mkdir(dir, { recursive: true });
    const metadata: ModelMetadata = {
      format: METADATA_FORMAT,
      id,
      algorithm: model.algorithm,
      dataset: model.dataset,
      params: { ...model.params },
      trainingSamples: model.trainingSamples,
      trainingQueries: model.trainingQueries,
      createdAt: created.toISOString(),
      validation: { ...model.validation },
      checksum: sha256(bytes),
      bytes: bytes.byteLength,
      ...(model.parent !== undefined ? { parent: model.parent } : {}),
      ...(model.featurization !== undefined ? { featurization: model.featurization } : {}),
      ...(model.notes !== undefined ? { notes: model.notes } : {}),
    };
    await writeFileDurably(dir, MODEL_FILE, bytes);
    await writeFileDurably(dir, METADATA_FILE, Buffer.from(JSON.stringify(metadata, null, 2) + '\n'));
    return metadata;
  }

  /** Models matching the filter, newest first, plus the entries that could not be read. */
  async listAll(filter: ModelFilter = {}): Promise<ModelListing> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return { models: [], unreadable: [] };
      throw new PilotScopeError('STORE_IO', `Cannot list the model directory ${this.dir}: ${(err as Error).message}.`, {}, { cause: err });
    }
    const models: ModelMetadata[] = [];
    const unreadable: ModelListing['unreadable'] = [];
    for (const name of names) {
      if (!ID_PATTERN.test(name)) continue;
      try {
        const metadata = await this.readMetadata(name);
        if (metadata === undefined) continue; // never committed
        if (filter.algorithm !== undefined && metadata.algorithm !== filter.algorithm) continue;
        if (filter.dataset !== undefined && metadata.dataset !== filter.dataset) continue;
        models.push(metadata);
      } catch (err) {
        unreadable.push({ id: name, reason: (err as Error).message });
      }
    }
    models.sort((a, b) => (a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? 1 : -1) : a.id < b.id ? 1 : -1));
    return { models, unreadable };
  }

  async list(filter: ModelFilter = {}): Promise<ModelMetadata[]> {
    return (await this.listAll(filter)).models;
  }

  /** The metadata of a model by id, or the newest matching the filter for "latest". */
  async resolve(ref: string, filter: ModelFilter = {}): Promise<ModelMetadata> {
    if (typeof ref !== 'string' || ref.trim() === '') {
      throw new PilotScopeError('USAGE', 'A model reference must be a model id or "latest".');
    }
    if (ref === 'latest') {
      const newest = (await this.list(filter))[0];
      if (!newest) {
        const scope = [filter.algorithm && `algorithm ${filter.algorithm}`, filter.dataset && `dataset ${filter.dataset}`].filter(Boolean).join(', ');
        const others = await this.list(filter.algorithm !== undefined ? { algorithm: filter.algorithm } : {});
        const hint = others.length
          ? ` Models there are: ${others.slice(0, 5).map((m) => `${m.id} (trained on ${m.dataset})`).join(', ')}; name one by id or set training_dataset to its dataset.`
          : ' Train one first (run without "model", with enable_training=true).';
        throw new PilotScopeError('MODEL_NOT_FOUND', `No model${scope ? ` for ${scope}` : ''} in ${this.dir}.${hint}`, { ...filter });
      }
      return newest;
    }
    if (!ID_PATTERN.test(ref)) {
      throw new PilotScopeError('MODEL_NOT_FOUND', `"${ref}" is not a model id (ids look like mscn-stats_tiny-20250101t120000123-1a2b) nor "latest".`, { ref });
    }
    const metadata = await this.readMetadata(ref);
    if (metadata === undefined) {
      const known = (await this.list(filter)).slice(0, 5).map((m) => m.id);
      throw new PilotScopeError(
        'MODEL_NOT_FOUND',
        `No model "${ref}" in ${this.dir}.${known.length ? ` Recent models: ${known.join(', ')}.` : ' The registry holds no models yet.'}`,
        { ref },
      );
    }
    if (filter.algorithm !== undefined && metadata.algorithm !== filter.algorithm) {
      throw new PilotScopeError('MODEL_INCOMPATIBLE', `Model "${ref}" is a ${metadata.algorithm} model, not ${filter.algorithm}. Pick a ${filter.algorithm} model (\`latest\` or an id).`, {
        ref,
        algorithm: metadata.algorithm,
      });
    }
    return metadata;
  }

  /** The model's bytes and metadata; MODEL_CORRUPT when the file does not match its checksum. */
  async load(ref: string, filter: ModelFilter = {}): Promise<LoadedModel> {
    const metadata = await this.resolve(ref, filter);
    const file = path.join(this.dir, metadata.id, MODEL_FILE);
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(file);
    } catch (err) {
      throw new PilotScopeError('MODEL_CORRUPT', `The file of model "${metadata.id}" cannot be read (${(err as Error).message}). Remove ${path.dirname(file)} and train again.`, { id: metadata.id }, { cause: err });
    }
    const checksum = sha256(bytes);
    if (bytes.byteLength !== metadata.bytes || checksum !== metadata.checksum) {
      throw new PilotScopeError(
        'MODEL_CORRUPT',
        `Model "${metadata.id}" is damaged: ${file} has ${bytes.byteLength} bytes with sha256 ${checksum.slice(0, 12)}…, its metadata records ${metadata.bytes} bytes with ${metadata.checksum.slice(0, 12)}…. Remove ${path.dirname(file)} and train again, or pick another model.`,
        { id: metadata.id, file },
      );
    }
    return { metadata, bytes };
  }

  /** Deletes a model (both files). */
  async remove(id: string): Promise<void> {
    const dir = path.join(this.dir, id);
    if (!ID_PATTERN.test(id) || !(await fs.stat(dir).catch(() => undefined))?.isDirectory()) {
      throw new PilotScopeError('MODEL_NOT_FOUND', `No model "${id}" in ${this.dir}.`, { ref: id });
    }
    await fs.rm(dir, { recursive: true, force: true });
  }

  private async readMetadata(id: string): Promise<ModelMetadata | undefined> {
    const file = path.join(this.dir, id, METADATA_FILE);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
      throw new PilotScopeError('MODEL_CORRUPT', `Cannot read ${file}: ${(err as Error).message}.`, { id }, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new PilotScopeError('MODEL_CORRUPT', `The metadata of model "${id}" (${file}) is not valid JSON. Remove ${path.dirname(file)} and train again.`, { id }, { cause: err });
    }
    return checkMetadata(parsed, id, file);
  }

  /** Creation times strictly increase within a process, so "latest" is never a tie. */
  private nextCreationTime(): Date {
    const now = Math.max(Date.now(), this.lastCreated + 1);
    this.lastCreated = now;
    return new Date(now);
  }
}

function checkMetadata(value: unknown, id: string, file: string): ModelMetadata {
  const m = value as Partial<ModelMetadata> | null;
  const bad = (field: string): never => {
    throw new PilotScopeError('MODEL_CORRUPT', `The metadata of model "${id}" (${file}) has no valid "${field}". Remove ${path.dirname(file)} and train again.`, { id, field });
  };
  if (typeof m !== 'object' || m === null) return bad('metadata object');
  if (m.format !== METADATA_FORMAT) return bad('format');
  if (m.id !== id) return bad('id');
  for (const field of ['algorithm', 'dataset', 'createdAt', 'checksum'] as const) if (typeof m[field] !== 'string') bad(field);
  for (const field of ['trainingSamples', 'trainingQueries', 'bytes'] as const) if (typeof m[field] !== 'number') bad(field);
  if (typeof m.params !== 'object' || m.params === null) bad('params');
  if (typeof m.validation !== 'object' || m.validation === null) bad('validation');
  return m as ModelMetadata;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `<algorithm>-<dataset>-<UTC time to the ms>-<random>`, lower case, file-name safe. */
function newModelId(algorithm: string, dataset: string, created: Date): string {
  const clean = (s: string, max: number): string =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, max) || 'x';
  const stamp = created.toISOString().replace(/[-:]/g, '').replace('.', '').replace('Z', '').toLowerCase();
  return `${clean(algorithm, 20)}-${clean(dataset, 60)}-${stamp}-${randomBytes(2).toString('hex')}`;
}

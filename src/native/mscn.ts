/**
 * MSCN cardinality model: typed wrapper over the native MscnModel, and the encoding of relation
 * sets (names and SQL literals) into the columnar batch the native core featurizes.
 */
import {
  callNative,
  loadNativeAddon,
  withCancel,
  type MscnColumnMetadata,
  type MscnEpochReport,
  type MscnMetadata,
  type MscnMetadataInput,
  type MscnNativeTrainOptions,
  type MscnTrainResult,
  type NativeMscnModel,
  type NativeRelSetBatch,
} from './addon.js';

/** Operators the SQL analysis emits; a model may use any list (metadata.operators). */
export const DEFAULT_MSCN_OPERATORS: readonly string[] = [
  '=', '<>', '<', '<=', '>', '>=', 'BETWEEN', 'IN', 'NOT IN', 'LIKE', 'NOT LIKE', 'IS NULL', 'IS NOT NULL',
];

export type SqlLiteral = number | bigint | string | Date | boolean;

/**
 * One filter of a relation set. `values`: one literal for comparisons, two for BETWEEN, the list
 * for IN, the pattern for LIKE, none for IS NULL.
 */
export interface RelSetPredicate {
  column: string;
  operator: string;
  values: readonly SqlLiteral[];
}

/** A relation set by name: its tables (with repeats for self-joins), join names and filters. */
export interface RelSetSpec {
  tables: readonly string[];
  joins: readonly string[];
  predicates: readonly RelSetPredicate[];
}

export interface MscnTrainOptions extends MscnNativeTrainOptions {
  onEpoch?: (report: MscnEpochReport) => void;
  signal?: AbortSignal;
}

/** Maps a literal to the column's numeric domain (dates: epoch seconds; strings: dictionary rank). */
export function encodeLiteral(column: MscnColumnMetadata | undefined, value: SqlLiteral): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Date) return value.getTime() / 1000;
  return encodeString(column, value);
}

function encodeString(column: MscnColumnMetadata | undefined, text: string): number {
  const dictionary = column?.strings;
  if (dictionary && dictionary.length > 0) {
    // Rank in the sorted dictionary; a value between two entries sits half-way.
    let lo = 0;
    let hi = dictionary.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (dictionary[mid]! < text) lo = mid + 1;
      else hi = mid;
    }
    return lo < dictionary.length && dictionary[lo] === text ? lo : lo - 0.5;
  }
  // No dictionary: a stable hash spread over the column's range.
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  const min = column?.min ?? 0;
  const max = column?.max ?? 1;
  return min + (h / 2 ** 32) * (max - min);
}

/** Literal characters of a LIKE pattern (wildcards removed): the prefix encodes the position. */
function likeFeatures(column: MscnColumnMetadata | undefined, pattern: string): { position: number; literalChars: number } {
  const prefix = pattern.split(/[%_]/)[0] ?? '';
  return { position: encodeString(column, prefix), literalChars: pattern.replace(/[%_]/g, '').length };
}

class Vocabulary {
  private readonly ids: Map<string, number>;
  constructor(names: readonly string[]) {
    this.ids = new Map(names.map((name, i) => [name, i]));
  }
  /** The id of a name, or -1 (the model's explicit "unknown"). */
  id(name: string): number {
    return this.ids.get(name) ?? -1;
  }
}

/** Encodes relation sets by name into the native columnar batch (unknown names become -1). */
export class RelSetEncoder {
  private readonly tables: Vocabulary;
  private readonly columns: Vocabulary;
  private readonly joins: Vocabulary;
  private readonly operators: Vocabulary;

  constructor(private readonly meta: Pick<MscnMetadata, 'tables' | 'columns' | 'joins' | 'operators'>) {
    this.tables = new Vocabulary(meta.tables);
    this.columns = new Vocabulary(meta.columns.map((c) => c.name));
    this.joins = new Vocabulary(meta.joins);
    this.operators = new Vocabulary(meta.operators);
  }

  encode(relSets: readonly RelSetSpec[]): NativeRelSetBatch {
    const n = relSets.length;
    const tableOffsets = new Int32Array(n + 1);
    const joinOffsets = new Int32Array(n + 1);
    const predicateOffsets = new Int32Array(n + 1);
    const tableIds: number[] = [];
    const joinIds: number[] = [];
    const columns: number[] = [];
    const ops: number[] = [];
    const low: number[] = [];
    const high: number[] = [];
    const arg: number[] = [];
    relSets.forEach((rs, s) => {
      for (const t of rs.tables) tableIds.push(this.tables.id(t));
      for (const j of rs.joins) joinIds.push(this.joins.id(j));
      for (const p of rs.predicates) {
        const columnId = this.columns.id(p.column);
        const column = columnId >= 0 ? this.meta.columns[columnId] : undefined;
        const encoded = this.encodePredicate(column, p);
        columns.push(columnId);
        ops.push(this.operators.id(p.operator.toUpperCase()));
        low.push(encoded.low);
        high.push(encoded.high);
        arg.push(encoded.arg);
      }
      tableOffsets[s + 1] = tableIds.length;
      joinOffsets[s + 1] = joinIds.length;
      predicateOffsets[s + 1] = columns.length;
    });
    return {
      tableOffsets,
      tableIds: Int32Array.from(tableIds),
      joinOffsets,
      joinIds: Int32Array.from(joinIds),
      predicateOffsets,
      predicateColumns: Int32Array.from(columns),
      predicateOperators: Int32Array.from(ops),
      predicateLow: Float64Array.from(low),
      predicateHigh: Float64Array.from(high),
      predicateArg: Float64Array.from(arg),
    };
  }

  private encodePredicate(column: MscnColumnMetadata | undefined, p: RelSetPredicate): { low: number; high: number; arg: number } {
    const op = p.operator.toUpperCase();
    if (op === 'LIKE' || op === 'NOT LIKE' || op === 'ILIKE') {
      const pattern = String(p.values[0] ?? '');
      const f = likeFeatures(column, pattern);
      return { low: f.position, high: f.position, arg: f.literalChars };
    }
    if (p.values.length === 0) return { low: 0, high: 0, arg: 0 };
    const values = p.values.map((v) => encodeLiteral(column, v));
    const low = Math.min(...values);
    const high = Math.max(...values);
    return { low, high, arg: op === 'IN' || op === 'NOT IN' ? values.length : 0 };
  }
}

export class MscnModel {
  private encoder?: RelSetEncoder;

  private constructor(private readonly native: NativeMscnModel) {}

  /** A fresh, untrained model over the given vocabularies and column ranges. */
  static create(metadata: MscnMetadataInput): MscnModel {
    const addon = loadNativeAddon();
    return new MscnModel(callNative('cannot create the MSCN model', () => new addon.MscnModel(metadata)));
  }

  static load(path: string): MscnModel {
    const addon = loadNativeAddon();
    return new MscnModel(callNative(`cannot load the MSCN model from ${path}`, () => addon.MscnModel.load(path)));
  }

  static fromBuffer(buffer: Uint8Array): MscnModel {
    const addon = loadNativeAddon();
    return new MscnModel(callNative('cannot read the MSCN model', () => addon.MscnModel.fromBuffer(buffer)));
  }

  /** Vocabularies, column ranges and label range: use them to map names to ids. */
  metadata(): MscnMetadata {
    return this.native.metadata();
  }

  /** True while a train() call is running (predict() then uses the previous weights). */
  get training(): boolean {
    return this.native.training;
  }

  /** Encodes relation sets by name (unknown names become the model's "unknown" id). */
  encode(relSets: readonly RelSetSpec[]): NativeRelSetBatch {
    this.encoder ??= new RelSetEncoder(this.native.metadata());
    return this.encoder.encode(relSets);
  }

  /** Estimated rows per relation set (>= 0). Typed arrays are read zero-copy. */
  predict(batch: NativeRelSetBatch): Float64Array {
    return callNative('MSCN predict', () => this.native.predict(batch));
  }

  predictRelSets(relSets: readonly RelSetSpec[]): Float64Array {
    return this.predict(this.encode(relSets));
  }

  /**
   * Trains on a worker thread (the event loop stays free). Keeps the epoch with the best
   * validation q-error. Rejects with INTERRUPTED when `signal` aborts; the model is then unchanged.
   */
  train(batch: NativeRelSetBatch, cards: Float64Array, options: MscnTrainOptions = {}): Promise<MscnTrainResult> {
    const { onEpoch, signal, ...native } = options;
    return withCancel(signal, 'MSCN training', (token) => this.native.train(batch, cards, native, onEpoch, token));
  }

  save(path: string): void {
    callNative(`cannot save the MSCN model to ${path}`, () => this.native.save(path));
  }

  toBuffer(): Buffer {
    return callNative('cannot serialize the MSCN model', () => this.native.toBuffer());
  }
}

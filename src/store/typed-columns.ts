/**
 * Numeric columns of an Arrow table as typed arrays for the native core.
 *
 * Zero-copy (a view on the Arrow buffer, trimmed to the row count) when the column already has
 * the wanted type, sits in a single chunk and has no nulls. A copy is made only when it must be:
 * - the table has several chunks (record batches): the chunks are concatenated;
 * - the type differs (Int64/Int32/Float32 -> float64, Int64 -> int32, ...): values are converted;
 * - the column has nulls and `nulls: 'fill'` was given: the slots under nulls get `fillValue`.
 * `zeroCopy` in the result says which happened. A view shares memory with the table: writing
 * into it changes the table.
 */
import * as arrow from 'apache-arrow';
import { PilotScopeError } from '../errors.js';

export type NumericTarget = 'float64' | 'float32' | 'int32';

type TargetArray<T extends NumericTarget> = T extends 'float64' ? Float64Array : T extends 'float32' ? Float32Array : Int32Array;

export interface TypedColumnOptions {
  /** 'reject' (default): a column with nulls is an error. 'fill': nulls become `fillValue`. */
  nulls?: 'reject' | 'fill';
  /** Value for nulls with nulls: 'fill' (default NaN for floats, 0 for int32). */
  fillValue?: number;
}

export interface TypedColumn<T extends NumericTarget> {
  values: TargetArray<T>;
  /** True when `values` is a view on the table's own buffer. */
  zeroCopy: boolean;
  /** Nulls in the column (filled when nulls: 'fill'). */
  nullCount: number;
}

const CONSTRUCTORS = { float64: Float64Array, float32: Float32Array, int32: Int32Array } as const;

export function typedColumn<T extends NumericTarget>(table: arrow.Table, column: string, target: T, options: TypedColumnOptions = {}): TypedColumn<T> {
  const index = table.schema.fields.findIndex((f) => f.name === column);
  if (index < 0) {
    throw new PilotScopeError(
      'STORE_INVALID_INPUT',
      `No column '${column}' in the table; its columns are: ${table.schema.fields.map((f) => f.name).join(', ')}.`,
      { column },
    );
  }
  const vector = table.getChildAt(index)!;
  const type = vector.type as arrow.DataType;
  if (!isNumeric(type)) {
    throw new PilotScopeError('STORE_INVALID_INPUT', `Column '${column}' is ${String(type)}, not numeric; it cannot become a ${target} array.`, { column, type: String(type) });
  }
  const nullCount = vector.nullCount;
  if (nullCount > 0 && options.nulls !== 'fill') {
    throw new PilotScopeError(
      'STORE_INVALID_INPUT',
      `Column '${column}' has ${nullCount} null(s); pass { nulls: 'fill' } to replace them (NaN for floats, 0 for int32, or fillValue) or filter those rows first.`,
      { column, nullCount },
    );
  }
  const Ctor = CONSTRUCTORS[target];
  if (nullCount === 0 && vector.data.length === 1 && sameType(type, target)) {
    const data = vector.data[0]!;
    const values = (data.values as InstanceType<typeof Ctor>).subarray(0, data.length);
    return { values: values as TargetArray<T>, zeroCopy: true, nullCount };
  }
  const out = new Ctor(vector.length);
  const fill = options.fillValue ?? (target === 'int32' ? 0 : Number.NaN);
  let at = 0;
  for (const data of vector.data) {
    const values = data.values as ArrayLike<number | bigint>;
    const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
    for (let i = 0; i < data.length; i++, at++) {
      const bit = data.offset + i;
      if (bitmap && ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 0) out[at] = fill;
      else out[at] = convert(values[i]!, target, column, at);
    }
  }
  return { values: out as TargetArray<T>, zeroCopy: false, nullCount };
}

export function float64Column(table: arrow.Table, column: string, options?: TypedColumnOptions): TypedColumn<'float64'> {
  return typedColumn(table, column, 'float64', options);
}

export function int32Column(table: arrow.Table, column: string, options?: TypedColumnOptions): TypedColumn<'int32'> {
  return typedColumn(table, column, 'int32', options);
}

function isNumeric(type: arrow.DataType): boolean {
  return arrow.DataType.isInt(type) || (arrow.DataType.isFloat(type) && type.precision !== arrow.Precision.HALF);
}

function sameType(type: arrow.DataType, target: NumericTarget): boolean {
  if (target === 'int32') return arrow.DataType.isInt(type) && type.bitWidth === 32 && type.isSigned;
  if (!arrow.DataType.isFloat(type)) return false;
  return type.precision === (target === 'float64' ? arrow.Precision.DOUBLE : arrow.Precision.SINGLE);
}

function convert(v: number | bigint, target: NumericTarget, column: string, row: number): number {
  const n = Number(v);
  if (target !== 'int32') return n;
  if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new PilotScopeError(
      'STORE_INVALID_INPUT',
      `Column '${column}', row ${row}: ${String(v)} is not a 32-bit integer; ask for 'float64' instead.`,
      { column, row },
    );
  }
  return n;
}

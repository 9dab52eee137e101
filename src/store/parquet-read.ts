/**
 * Parquet input through hyparquet, as Arrow tables, one row group at a time.
 *
 * Arrow types from Parquet: INT32 -> Int32, FLOAT -> Float32, DOUBLE -> Float64,
 * INT64 and UINT_32/UINT_64 -> Int64, BOOLEAN -> Bool, strings/ENUM/UUID -> Utf8,
 * DATE/TIMESTAMP/INT96 -> Timestamp(ms, UTC), DECIMAL/FLOAT16 -> Float64,
 * JSON and nested columns (LIST, MAP, struct, VARIANT, geo) -> Utf8 tagged `arrow.json`,
 * other fixed-length byte arrays -> Binary. Non-nullable numeric columns are wrapped without a copy.
 */
import * as arrow from 'apache-arrow';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { AsyncBuffer, ColumnData, FileMetaData, SchemaTree } from 'hyparquet';
import { PilotScopeError } from '../errors.js';
import { encodeColumn, tableFromColumns, type Row } from './encode.js';
import { tableToRows } from './decode.js';
import { arrowFieldOf, type ColumnKind } from './schema.js';
import { ioError, isErrno } from './durable-fs.js';

export interface ParquetBatch {
  /** The rows of one row group. */
  table: arrow.Table;
  rowGroup: number;
  /** Position of the first row in the file (0-based) and one past the last. */
  rowStart: number;
  rowEnd: number;
}

export interface ReadParquetOptions {
  /** Top-level columns to read (all by default), in this order. */
  columns?: readonly string[];
}

export interface StreamParquetOptions extends ReadParquetOptions {
  /** Called once per row group, in order; awaited before the next row group is read. */
  onBatch: (batch: ParquetBatch) => void | Promise<void>;
}

export interface ParquetSummary {
  numRows: number;
  rowGroups: number;
  schema: arrow.Schema;
}

type ArrowKind = ColumnKind | 'int32' | 'float32' | 'binary';

interface ColumnPlan {
  name: string;
  kind: ArrowKind;
  field: arrow.Field;
}

/**
 * Reads a Parquet file. With `onBatch`, streams it one row group at a time (only one row group
 * is in memory) and resolves to a summary; without, resolves to the whole file as one Arrow
 * table (one record batch per row group).
 */
export function readParquet(file: string, options: StreamParquetOptions): Promise<ParquetSummary>;
export function readParquet(file: string, options?: ReadParquetOptions): Promise<arrow.Table>;
export async function readParquet(file: string, options: ReadParquetOptions & { onBatch?: StreamParquetOptions['onBatch'] } = {}): Promise<arrow.Table | ParquetSummary> {
  const { buffer, metadata } = await openParquet(file);
  const plans = planColumns(file, metadata, options.columns);
  const schema = new arrow.Schema(plans.map((p) => p.field));
  const batches: arrow.RecordBatch[] = [];
  let rowStart = 0;
  for (let g = 0; g < metadata.row_groups.length; g++) {
    const rowEnd = rowStart + Number(metadata.row_groups[g]!.num_rows);
    if (rowEnd > rowStart) {
      const table = await readRowGroup(file, buffer, metadata, plans, rowStart, rowEnd);
      if (options.onBatch) await options.onBatch({ table, rowGroup: g, rowStart, rowEnd });
      else batches.push(...table.batches);
    }
    rowStart = rowEnd;
  }
  if (options.onBatch) return { numRows: rowStart, rowGroups: metadata.row_groups.length, schema };
  return new arrow.Table(schema, batches);
}

/** Reads a Parquet file into row objects (JSON columns parsed, 64-bit ints as numbers). */
export async function readParquetRows(file: string, options: ReadParquetOptions = {}): Promise<Row[]> {
  return tableToRows(await readParquet(file, options));
}

async function openParquet(file: string): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }> {
  let buffer: AsyncBuffer;
  try {
    buffer = await asyncBufferFromFile(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) {
      throw new PilotScopeError('STORE_IO', `Parquet file ${file} does not exist; check the path.`, { file }, { cause: err });
    }
    throw ioError(err, 'open Parquet file', file);
  }
  try {
    return { buffer, metadata: await parquetMetadataAsync(buffer) };
  } catch (err) {
    throw new PilotScopeError(
      'DATASET_INVALID',
      `${file} is not a readable Parquet file (${(err as Error).message}); check that it is Parquet and not truncated.`,
      { file },
      { cause: err },
    );
  }
}

function planColumns(file: string, metadata: FileMetaData, wanted: readonly string[] | undefined): ColumnPlan[] {
  const tree = parquetSchema(metadata);
  const all = tree.children.map((node) => {
    const kind = kindOfParquetColumn(node);
    const name = node.element.name;
    const field =
      kind === 'int32' ? new arrow.Field(name, new arrow.Int32(), true)
      : kind === 'float32' ? new arrow.Field(name, new arrow.Float32(), true)
      : kind === 'binary' ? new arrow.Field(name, new arrow.Binary(), true)
      : arrowFieldOf({ name, kind });
    return { name, kind, field };
  });
  if (!wanted) return all;
  return wanted.map((name) => {
    const plan = all.find((p) => p.name === name);
    if (!plan) {
      throw new PilotScopeError(
        'STORE_INVALID_INPUT',
        `Parquet file ${file} has no column '${name}'; its columns are: ${all.map((p) => p.name).join(', ')}.`,
        { file, column: name },
      );
    }
    return plan;
  });
}

function kindOfParquetColumn(node: SchemaTree): ArrowKind {
  if (node.children.length > 0) return 'json';
  const { type, converted_type: ct } = node.element;
  const lt = node.element.logical_type?.type;
  if (ct === 'JSON' || lt === 'JSON' || lt === 'VARIANT' || lt === 'GEOMETRY' || lt === 'GEOGRAPHY') return 'json';
  if (ct === 'DATE' || lt === 'DATE' || ct === 'TIMESTAMP_MILLIS' || ct === 'TIMESTAMP_MICROS' || lt === 'TIMESTAMP' || type === 'INT96') return 'timestamp';
  if (ct === 'DECIMAL' || lt === 'DECIMAL' || lt === 'FLOAT16') return 'float';
  if (ct === 'UTF8' || ct === 'ENUM' || lt === 'STRING' || lt === 'ENUM' || lt === 'UUID') return 'string';
  switch (type) {
    case 'BOOLEAN':
      return 'bool';
    case 'INT32':
      return ct === 'UINT_32' || (node.element.logical_type?.type === 'INTEGER' && !node.element.logical_type.isSigned && node.element.logical_type.bitWidth === 32) ? 'int' : 'int32';
    case 'INT64':
      return 'int';
    case 'FLOAT':
      return 'float32';
    case 'DOUBLE':
      return 'float';
    case 'BYTE_ARRAY':
      return 'string';
    default:
      return 'binary';
  }
}

async function readRowGroup(file: string, buffer: AsyncBuffer, metadata: FileMetaData, plans: ColumnPlan[], rowStart: number, rowEnd: number): Promise<arrow.Table> {
  const chunks = new Map<string, ColumnData[]>(plans.map((p) => [p.name, []]));
  try {
    await parquetRead({
      file: buffer,
      metadata,
      columns: plans.map((p) => p.name),
      rowStart,
      rowEnd,
      onChunk: (chunk) => chunks.get(chunk.columnName)?.push(chunk),
    });
  } catch (err) {
    throw new PilotScopeError(
      'DATASET_INVALID',
      `Could not read rows ${rowStart}..${rowEnd - 1} of Parquet file ${file}: ${(err as Error).message}.`,
      { file, rowStart, rowEnd },
      { cause: err },
    );
  }
  const length = rowEnd - rowStart;
  const columns = plans.map((p) => toArrowData(p, assemble(file, p.name, chunks.get(p.name)!, rowStart, rowEnd), length));
  return tableFromColumns(plans.map((p) => p.field), columns, length);
}

/** The values of rows [rowStart, rowEnd) from the chunks hyparquet delivered (may overhang). */
function assemble(file: string, column: string, chunks: ColumnData[], rowStart: number, rowEnd: number): ArrayLike<unknown> {
  const only = chunks.length === 1 ? chunks[0]! : undefined;
  if (only && only.rowStart <= rowStart && only.rowEnd >= rowEnd) {
    return sliceValues(only.columnData, rowStart - only.rowStart, rowEnd - only.rowStart);
  }
  const out = new Array<unknown>(rowEnd - rowStart).fill(undefined);
  let filled = 0;
  for (const c of chunks) {
    const from = Math.max(c.rowStart, rowStart);
    const to = Math.min(c.rowEnd, rowEnd);
    for (let r = from; r < to; r++) {
      out[r - rowStart] = c.columnData[r - c.rowStart];
      filled += 1;
    }
  }
  if (filled < rowEnd - rowStart) {
    throw new PilotScopeError('DATASET_INVALID', `Parquet file ${file}: column '${column}' is missing values in rows ${rowStart}..${rowEnd - 1}.`, { file, column });
  }
  return out;
}

function sliceValues(values: ArrayLike<unknown>, from: number, to: number): ArrayLike<unknown> {
  if (from === 0 && to === values.length) return values;
  if (ArrayBuffer.isView(values)) return (values as unknown as Int32Array).subarray(from, to) as ArrayLike<unknown>;
  return Array.prototype.slice.call(values, from, to) as unknown[];
}

function toArrowData(plan: ColumnPlan, values: ArrayLike<unknown>, length: number): arrow.Data {
  switch (plan.kind) {
    case 'int32':
      if (values instanceof Int32Array) return arrow.makeData({ type: new arrow.Int32(), length, data: values });
      return numericWithNulls(new arrow.Int32(), new Int32Array(length), values);
    case 'float32':
      if (values instanceof Float32Array) return arrow.makeData({ type: new arrow.Float32(), length, data: values });
      return numericWithNulls(new arrow.Float32(), new Float32Array(length), values);
    case 'float':
      if (values instanceof Float64Array) return arrow.makeData({ type: new arrow.Float64(), length, data: values });
      return encodeColumn('float', Array.from(values));
    case 'int':
      if (values instanceof BigInt64Array) return arrow.makeData({ type: new arrow.Int64(), length, data: values });
      return encodeColumn('int', Array.from(values, (v) => checkInt64(plan.name, v)));
    case 'json':
      return encodeColumn('json', Array.from(values, (v) => (v === null || v === undefined ? null : JSON.stringify(v, bigintAsNumber))));
    case 'binary':
      return arrow.vectorFromArray(Array.from(values, (v) => (v ?? null) as Uint8Array | null), new arrow.Binary()).data[0]!;
    case 'null':
    case 'string':
    case 'bool':
    case 'timestamp':
      return encodeColumn(plan.kind, Array.from(values));
  }
}

function numericWithNulls(type: arrow.Int32 | arrow.Float32, data: Int32Array | Float32Array, values: ArrayLike<unknown>): arrow.Data {
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) nullCount += 1;
    else {
      data[i] = Number(v);
      bitmap[i >> 3]! |= 1 << (i & 7);
    }
  }
  const nullBitmap = nullCount > 0 ? bitmap : undefined;
  return type instanceof arrow.Int32
    ? arrow.makeData({ type, length: values.length, nullCount, nullBitmap, data: data as Int32Array })
    : arrow.makeData({ type, length: values.length, nullCount, nullBitmap, data: data as Float32Array });
}

const INT64_MAX = 2n ** 63n - 1n;

function checkInt64(column: string, v: unknown): unknown {
  if (typeof v === 'bigint' && v > INT64_MAX) {
    throw new PilotScopeError('DATASET_INVALID', `Column '${column}' holds the unsigned value ${v}, beyond the 64-bit signed range.`, { column });
  }
  return v;
}

function bigintAsNumber(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

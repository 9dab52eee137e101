/** Arrow columns -> JS values and row objects. */
import * as arrow from 'apache-arrow';
import { PilotScopeError } from '../errors.js';
import { isJsonField } from './schema.js';
import type { Row } from './encode.js';

export interface DecodeOptions {
  /** Parse `arrow.json` columns into values (default true); false keeps their JSON text. */
  parseJson?: boolean;
  /** Timestamps as Date (default) or as epoch milliseconds. */
  timestamps?: 'date' | 'ms';
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** 64-bit integers come back as numbers when exact, as bigint otherwise. */
export function fromBigInt(v: bigint): number | bigint {
  return v >= MIN_SAFE && v <= MAX_SAFE ? Number(v) : v;
}

/** All values of a column (every chunk), nulls as null. */
export function columnValues(vector: arrow.Vector, field: arrow.Field, options: DecodeOptions = {}): unknown[] {
  const out = new Array<unknown>(vector.length);
  let base = 0;
  for (const data of vector.data) {
    decodeChunk(data, field, options, out, base);
    base += data.length;
  }
  return out;
}

/** Row objects of `table`, in order, with every column (JSON parsed, 64-bit ints as numbers). */
export function tableToRows(table: arrow.Table, options: DecodeOptions = {}): Row[] {
  const fields = table.schema.fields;
  const columns = fields.map((f, i) => columnValues(table.getChildAt(i)!, f, options));
  const rows = new Array<Row>(table.numRows);
  for (let r = 0; r < rows.length; r++) {
    const row: Row = {};
    for (let c = 0; c < fields.length; c++) row[fields[c]!.name] = columns[c]![r];
    rows[r] = row;
  }
  return rows;
}

function decodeChunk(data: arrow.Data, field: arrow.Field, options: DecodeOptions, out: unknown[], base: number): void {
  const n = data.length;
  const type = data.type as arrow.DataType;
  const isNull = nullTester(data);
  if (arrow.DataType.isNull(type)) {
    for (let i = 0; i < n; i++) out[base + i] = null;
    return;
  }
  if (arrow.DataType.isUtf8(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const values = data.values as Uint8Array;
    const text = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    const json = isJsonField(field) && options.parseJson !== false;
    for (let i = 0; i < n; i++) {
      if (isNull(i)) {
        out[base + i] = null;
        continue;
      }
      const s = text.toString('utf8', offsets[i]!, offsets[i + 1]!);
      out[base + i] = json ? parseJson(s, field.name, base + i) : s;
    }
    return;
  }
  if (arrow.DataType.isBool(type)) {
    // Bool bits, like the validity bitmap, are not re-sliced by arrow-js: apply data.offset
    const bits = data.values as Uint8Array;
    const offset = data.offset;
    for (let i = 0; i < n; i++) {
      const bit = offset + i;
      out[base + i] = isNull(i) ? null : ((bits[bit >> 3]! >> (bit & 7)) & 1) === 1;
    }
    return;
  }
  if (arrow.DataType.isTimestamp(type)) {
    const values = data.values as BigInt64Array;
    const toMs = timestampToMs(type.unit);
    for (let i = 0; i < n; i++) {
      if (isNull(i)) out[base + i] = null;
      else {
        const ms = toMs(values[i]!);
        out[base + i] = options.timestamps === 'ms' ? ms : new Date(ms);
      }
    }
    return;
  }
  if ((arrow.DataType.isInt(type) || arrow.DataType.isFloat(type)) && !(arrow.DataType.isFloat(type) && type.precision === arrow.Precision.HALF)) {
    const values = data.values as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) {
      if (isNull(i)) out[base + i] = null;
      else {
        const v = values[i]!;
        out[base + i] = typeof v === 'bigint' ? fromBigInt(v) : v;
      }
    }
    return;
  }
  const chunk = new arrow.Vector([data]);
  for (let i = 0; i < n; i++) {
    const v: unknown = chunk.get(i);
    out[base + i] = typeof v === 'bigint' ? fromBigInt(v) : v ?? null;
  }
}

function nullTester(data: arrow.Data): (i: number) => boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || !bitmap || bitmap.length === 0) return () => false;
  const offset = data.offset;
  return (i) => ((bitmap[(offset + i) >> 3]! >> ((offset + i) & 7)) & 1) === 0;
}

function timestampToMs(unit: arrow.TimeUnit): (v: bigint) => number {
  switch (unit) {
    case arrow.TimeUnit.SECOND:
      return (v) => Number(v) * 1000;
    case arrow.TimeUnit.MILLISECOND:
      return (v) => Number(v);
    case arrow.TimeUnit.MICROSECOND:
      return (v) => Number(v / 1000n);
    case arrow.TimeUnit.NANOSECOND:
      return (v) => Number(v / 1_000_000n);
  }
}

function parseJson(text: string, column: string, row: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PilotScopeError(
      'STORE_CORRUPT',
      `Column '${column}' is tagged as JSON but row ${row} holds invalid JSON text; read it with parseJson: false to see the raw text.`,
      { column, row },
      { cause: err },
    );
  }
}

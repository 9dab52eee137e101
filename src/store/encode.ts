/** Rows (plain objects) -> column kinds -> one Arrow record batch. */
import * as arrow from 'apache-arrow';
import { PilotScopeError } from '../errors.js';
import { ROW_ID, checkColumnName } from './names.js';
import { arrowFieldOf, arrowTypeOf, kindOfValue, schemaConflict, widenKind, type ColumnKind, type ColumnSpec } from './schema.js';

export type Row = Record<string, unknown>;

/**
 * The table schema after `rows` are added to a table whose schema is `existing`: existing columns
 * keep their order (kinds may widen), new columns follow in order of first appearance.
 */
export function mergeSchema(table: string, existing: readonly ColumnSpec[], rows: readonly unknown[]): ColumnSpec[] {
  const kinds = new Map<string, ColumnKind>(existing.map((c) => [c.name, c.kind]));
  rows.forEach((row, i) => {
    checkRowObject(table, row, i);
    for (const [name, value] of Object.entries(row)) {
      checkColumnName(name, table);
      const incoming = kindOfValue(value, () => `Table '${table}', row ${i} of the batch, column '${name}'`);
      const current = kinds.get(name);
      if (current === undefined) {
        kinds.set(name, incoming);
        continue;
      }
      const widened = widenKind(current, incoming);
      if (widened === undefined) throw schemaConflict(table, name, current, incoming, `row ${i} of the batch`);
      kinds.set(name, widened);
    }
  });
  return [...kinds].map(([name, kind]) => ({ name, kind }));
}

/** Encodes rows as one record batch: the row id column first, then `schema`'s columns. */
export function encodeRows(table: string, schema: readonly ColumnSpec[], rows: readonly Row[], firstId: number): arrow.Table {
  const ids = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) ids[i] = firstId + i;
  const fields = [rowIdField(), ...schema.map(arrowFieldOf)];
  const columns = [encodeColumn('int', ids)];
  for (const spec of schema) {
    const values = rows.map((r) => r[spec.name]);
    columns.push(encodeColumn(spec.kind, spec.kind === 'json' ? stringifyJson(table, spec.name, values) : values));
  }
  return tableFromColumns(fields, columns, rows.length);
}

export function rowIdField(): arrow.Field {
  return new arrow.Field(ROW_ID, arrowTypeOf('int'), false);
}

/**
 * Encodes one column of `kind` from JS values (null/undefined are nulls). json columns take
 * their JSON text; int takes numbers or bigints; timestamp takes Dates or epoch milliseconds.
 */
export function encodeColumn(kind: ColumnKind, values: readonly unknown[]): arrow.Data {
  const length = values.length;
  switch (kind) {
    case 'null':
      return arrow.makeData({ type: new arrow.Null(), length });
    case 'int':
    case 'timestamp': {
      const data = new BigInt64Array(length);
      const { nullBitmap, nullCount } = fillValidity(values, (v, i) => {
        data[i] = typeof v === 'bigint' ? v : BigInt(v instanceof Date ? v.getTime() : (v as number));
      });
      return kind === 'int'
        ? arrow.makeData({ type: new arrow.Int64(), length, nullCount, nullBitmap, data })
        : arrow.makeData({ type: arrowTypeOf('timestamp') as arrow.TimestampMillisecond, length, nullCount, nullBitmap, data });
    }
    case 'float': {
      const data = new Float64Array(length);
      const { nullBitmap, nullCount } = fillValidity(values, (v, i) => {
        data[i] = typeof v === 'bigint' ? Number(v) : (v as number);
      });
      return arrow.makeData({ type: new arrow.Float64(), length, nullCount, nullBitmap, data });
    }
    case 'bool': {
      const data = new Uint8Array((length + 7) >> 3);
      const { nullBitmap, nullCount } = fillValidity(values, (v, i) => {
        if (v) data[i >> 3]! |= 1 << (i & 7);
      });
      return arrow.makeData({ type: new arrow.Bool(), length, nullCount, nullBitmap, data });
    }
    case 'string':
    case 'json':
      return encodeUtf8(values);
  }
}

export function tableFromColumns(fields: arrow.Field[], columns: arrow.Data[], length: number): arrow.Table {
  const schema = new arrow.Schema(fields);
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length, nullCount: 0, children: columns });
  return new arrow.Table([new arrow.RecordBatch(schema, struct)]);
}

function encodeUtf8(values: readonly unknown[]): arrow.Data<arrow.Utf8> {
  const length = values.length;
  const valueOffsets = new Int32Array(length + 1);
  const encoded: Buffer[] = [];
  let bytes = 0;
  const { nullBitmap, nullCount } = fillValidity(values, (v, i) => {
    const buf = Buffer.from(v as string, 'utf8');
    encoded[i] = buf;
    bytes += buf.length;
  });
  if (bytes > 0x7fffffff) {
    throw new PilotScopeError('STORE_INVALID_INPUT', 'A string column of one batch exceeds 2 GiB; save it in smaller batches.');
  }
  const data = new Uint8Array(bytes);
  let offset = 0;
  for (let i = 0; i < length; i++) {
    const buf = encoded[i];
    if (buf) {
      data.set(buf, offset);
      offset += buf.length;
    }
    valueOffsets[i + 1] = offset;
  }
  return arrow.makeData({ type: new arrow.Utf8(), length, nullCount, nullBitmap, valueOffsets, data });
}

/** Calls `set` for each non-null value; returns the LSB-first validity bitmap (none if no nulls). */
function fillValidity(values: readonly unknown[], set: (value: unknown, index: number) => void): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      nullCount += 1;
    } else {
      bitmap[i >> 3]! |= 1 << (i & 7);
      set(v, i);
    }
  }
  return { nullBitmap: nullCount > 0 ? bitmap : undefined, nullCount };
}

function stringifyJson(table: string, column: string, values: readonly unknown[]): Array<string | null> {
  return values.map((v, i) => {
    if (v === null || v === undefined) return null;
    try {
      return JSON.stringify(v);
    } catch (err) {
      throw new PilotScopeError(
        'STORE_INVALID_INPUT',
        `Table '${table}', row ${i} of the batch, column '${column}': the value cannot be written as JSON (${(err as Error).message}); remove cycles and bigints from it.`,
        { table, column, row: i },
        { cause: err },
      );
    }
  });
}

function checkRowObject(table: string, row: unknown, i: number): asserts row is Row {
  const proto = typeof row === 'object' && row !== null ? (Object.getPrototypeOf(row) as unknown) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    throw new PilotScopeError(
      'STORE_INVALID_INPUT',
      `Table '${table}', row ${i} of the batch: a row must be a plain object of column -> value (got ${describe(row)}).`,
      { table, row: i },
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`;
  return `a ${typeof value}`;
}

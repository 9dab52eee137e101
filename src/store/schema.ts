/**
 * Column kinds of stored tables, inferred from JS values, and how they map to Arrow types.
 *
 * | value                          | kind      | Arrow type                         | read back as |
 * |--------------------------------|-----------|------------------------------------|--------------|
 * | safe integer number, bigint    | int       | Int64                              | number (bigint beyond 2^53) |
 * | other number (NaN, ±Inf too)   | float     | Float64                            | number       |
 * | string                         | string    | Utf8                               | string       |
 * | boolean                        | bool      | Bool                               | boolean      |
 * | plain object or array          | json      | Utf8 tagged `arrow.json`           | parsed value |
 * | Date                           | timestamp | Timestamp(ms, UTC)                 | Date         |
 * | null / undefined / missing     | null      | Null until a value arrives         | null         |
 *
 * A column's kind may widen: null -> anything, int -> float (an int column that receives a
 * fraction becomes float; older rows read back as floats). Any other change is a
 * STORE_SCHEMA_CONFLICT.
 */
import * as arrow from 'apache-arrow';
import { PilotScopeError } from '../errors.js';

export type ColumnKind = 'null' | 'int' | 'float' | 'string' | 'bool' | 'json' | 'timestamp';

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
}

/** The Arrow canonical extension type for JSON text (pyarrow and polars know it). */
export const JSON_EXTENSION_NAME = 'arrow.json';
const EXTENSION_KEY = 'ARROW:extension:name';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The kind of one value; `null` for null/undefined. Throws for values the store cannot keep. */
export function kindOfValue(value: unknown, where: () => string): ColumnKind {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'number':
      return Number.isSafeInteger(value) ? 'int' : 'float';
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) {
        throw invalid(`${where()}: bigint ${value} does not fit in a 64-bit integer; store it as a string.`);
      }
      return 'int';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'object': {
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw invalid(`${where()}: invalid Date; store a valid Date or null.`);
        return 'timestamp';
      }
      if (Array.isArray(value)) return 'json';
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto === Object.prototype || proto === null) return 'json';
      const type = (value as object).constructor?.name ?? 'object';
      throw invalid(
        `${where()}: a ${type} cannot be stored (it would not survive JSON); convert it to a plain object, array, string or number.`,
      );
    }
    default:
      throw invalid(`${where()}: a ${typeof value} cannot be stored; use a number, string, boolean, Date, plain object or array.`);
  }
}

/** The kind a column takes when `incoming` values join `existing` ones, or undefined on conflict. */
export function widenKind(existing: ColumnKind, incoming: ColumnKind): ColumnKind | undefined {
  if (existing === incoming || incoming === 'null') return existing;
  if (existing === 'null') return incoming;
  if ((existing === 'int' && incoming === 'float') || (existing === 'float' && incoming === 'int')) return 'float';
  return undefined;
}

export function schemaConflict(table: string, column: string, existing: ColumnKind, incoming: ColumnKind, detail: string): PilotScopeError {
  return new PilotScopeError(
    'STORE_SCHEMA_CONFLICT',
    `Table '${table}', column '${column}' holds ${existing} values but ${detail} is ${incoming}. ` +
      `Store a ${existing} (or null) there, use another column name, or drop the table.`,
    { table, column, existing, incoming },
  );
}

/**
 * Arrow types are built from their base classes (Int, Float, Timestamp), as the IPC reader
 * builds them: arrow-js compares schemas with instanceof, and an Int64 field would not match an
 * Int field read back from a file.
 */
export function arrowTypeOf(kind: ColumnKind): arrow.DataType {
  switch (kind) {
    case 'null':
      return new arrow.Null();
    case 'int':
      return new arrow.Int(true, 64);
    case 'float':
      return new arrow.Float(arrow.Precision.DOUBLE);
    case 'string':
    case 'json':
      return new arrow.Utf8();
    case 'bool':
      return new arrow.Bool();
    case 'timestamp':
      return new arrow.Timestamp(arrow.TimeUnit.MILLISECOND, 'UTC');
  }
}

export function arrowFieldOf(spec: ColumnSpec): arrow.Field {
  const metadata = spec.kind === 'json' ? new Map([[EXTENSION_KEY, JSON_EXTENSION_NAME]]) : undefined;
  return new arrow.Field(spec.name, arrowTypeOf(spec.kind), true, metadata);
}

export function isJsonField(field: arrow.Field): boolean {
  return field.metadata.get(EXTENSION_KEY) === JSON_EXTENSION_NAME && arrow.DataType.isUtf8(field.type);
}

/** The kind of a field written by the store; undefined for Arrow types the store never writes. */
export function kindOfField(field: arrow.Field): ColumnKind | undefined {
  const type = field.type;
  if (arrow.DataType.isNull(type)) return 'null';
  if (arrow.DataType.isUtf8(type)) return isJsonField(field) ? 'json' : 'string';
  if (arrow.DataType.isBool(type)) return 'bool';
  if (arrow.DataType.isInt(type) && type.bitWidth === 64 && type.isSigned) return 'int';
  if (arrow.DataType.isFloat(type) && type.precision === arrow.Precision.DOUBLE) return 'float';
  if (arrow.DataType.isTimestamp(type) && type.unit === arrow.TimeUnit.MILLISECOND) return 'timestamp';
  return undefined;
}

function invalid(message: string): PilotScopeError {
  return new PilotScopeError('STORE_INVALID_INPUT', message);
}

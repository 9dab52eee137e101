/**
 * Writing any Arrow table to an Arrow IPC file or a Parquet file (hyparquet-writer), for pandas,
 * polars or DuckDB users. Files are written to a temp name next to the target, fsynced and
 * renamed, so a reader never sees half a file.
 *
 * Parquet types: Int64 -> INT64, Int8/16/32 and Uint8/16 -> INT32, Uint32 -> INT64,
 * Float64 -> DOUBLE, Float32 -> FLOAT, Bool -> BOOLEAN, Utf8 -> STRING, Utf8 tagged arrow.json ->
 * JSON, Timestamp -> TIMESTAMP_MILLIS (UTC), Null -> an all-null STRING, dictionary-encoded
 * strings -> STRING. Other Arrow types are refused with STORE_INVALID_INPUT.
 */
import * as arrow from 'apache-arrow';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parquetWriteFile, type ColumnSource } from 'hyparquet-writer';
import { PilotScopeError } from '../errors.js';
import { columnValues } from './decode.js';
import { isJsonField } from './schema.js';
import { fsyncDir, ioError, tempFileName, writeFileDurably } from './durable-fs.js';

export type ExportFormat = 'parquet' | 'arrow';

export interface ParquetExportOptions {
  /** Rows per row group (default 65,536); readers stream a file one row group at a time. */
  rowGroupSize?: number;
}

/** Writes `table` as an Arrow IPC file (the `ARROW1` file format, a.k.a. Feather v2). */
export async function writeArrowFile(table: arrow.Table, file: string): Promise<void> {
  const target = path.resolve(file);
  await writeFileDurably(path.dirname(target), path.basename(target), arrow.tableToIPC(table, 'file'));
}

/** Writes `table` as a Parquet file (SNAPPY compressed). */
export async function writeParquetFile(table: arrow.Table, file: string, options: ParquetExportOptions = {}): Promise<void> {
  const rowGroupSize = options.rowGroupSize ?? 65_536;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new PilotScopeError('STORE_INVALID_INPUT', `rowGroupSize must be a positive integer (got ${rowGroupSize}).`, { rowGroupSize });
  }
  const columnData = table.schema.fields.map((field, i) => parquetColumn(field, table.getChildAt(i)!));
  const target = path.resolve(file);
  const dir = path.dirname(target);
  const temp = path.join(dir, tempFileName());
  try {
    parquetWriteFile({ filename: temp, columnData, rowGroupSize });
    const handle = await fs.open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw ioError(err, 'write Parquet file', target);
  }
  await fsyncDir(dir);
}

/** Writes `table` in `format` to `file`. */
export async function writeTableFile(table: arrow.Table, file: string, format: ExportFormat, options: ParquetExportOptions = {}): Promise<void> {
  if (format === 'arrow') return writeArrowFile(table, file);
  if (format === 'parquet') return writeParquetFile(table, file, options);
  throw new PilotScopeError('STORE_INVALID_INPUT', `Unknown export format ${JSON.stringify(format)}: use 'parquet' or 'arrow'.`, { format });
}

function parquetColumn(field: arrow.Field, vector: arrow.Vector): ColumnSource {
  const name = field.name;
  const nullable = field.nullable || vector.nullCount > 0;
  const type = field.type as arrow.DataType;
  const single = vector.data.length === 1 && vector.nullCount === 0 ? vector.data[0] : undefined;
  if (arrow.DataType.isNull(type)) {
    return { name, type: 'STRING', nullable: true, data: new Array<null>(vector.length).fill(null) };
  }
  if (arrow.DataType.isInt(type)) {
    if (type.bitWidth === 64 || (type.bitWidth === 32 && !type.isSigned)) {
      if (type.bitWidth === 64 && type.isSigned && single) {
        return { name, type: 'INT64', nullable, data: (single.values as BigInt64Array).subarray(0, single.length) };
      }
      return { name, type: 'INT64', nullable, data: rawValues(vector).map((v) => (v === null ? null : BigInt(v as number | bigint))) };
    }
    return { name, type: 'INT32', nullable, data: rawValues(vector) as Array<number | null> };
  }
  if (arrow.DataType.isFloat(type)) {
    const parquetType = type.precision === arrow.Precision.SINGLE ? 'FLOAT' : 'DOUBLE';
    if (type.precision === arrow.Precision.DOUBLE && single) {
      return { name, type: parquetType, nullable, data: (single.values as Float64Array).subarray(0, single.length) };
    }
    return { name, type: parquetType, nullable, data: rawValues(vector) as Array<number | null> };
  }
  if (arrow.DataType.isBool(type)) return { name, type: 'BOOLEAN', nullable, data: rawValues(vector) as Array<boolean | null> };
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) {
    if (isJsonField(field)) return { name, type: 'JSON', nullable, data: columnValues(vector, field) };
    return { name, type: 'STRING', nullable, data: rawValues(vector) as Array<string | null> };
  }
  if (arrow.DataType.isDictionary(type) && arrow.DataType.isUtf8(type.dictionary)) {
    return { name, type: 'STRING', nullable, data: rawValues(vector) as Array<string | null> };
  }
  if (arrow.DataType.isTimestamp(type)) {
    return { name, type: 'TIMESTAMP', nullable, data: columnValues(vector, field, { timestamps: 'date' }) as Array<Date | null> };
  }
  throw new PilotScopeError(
    'STORE_INVALID_INPUT',
    `Column '${name}' has Arrow type ${String(type)}, which the Parquet export does not handle; convert it to a number, string, boolean, timestamp or JSON text column.`,
    { column: name, type: String(type) },
  );
}

function rawValues(vector: arrow.Vector): unknown[] {
  const out = new Array<unknown>(vector.length);
  let i = 0;
  for (const v of vector) out[i++] = v ?? null;
  return out;
}

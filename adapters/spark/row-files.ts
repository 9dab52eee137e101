/**
 * Rows on our side: COPY text rows converted to a Parquet file Spark can read (typed columns,
 * written in row groups so large tables do not sit in memory at once), and CSV/Parquet/COPY rows
 * read back as values for servers that cannot read our files.
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import { PilotScopeError } from '../../src/errors.js';
import { splitCopyLine, type ColumnDef, type ColumnTypeName } from './pg-dump.js';

const ROW_GROUP = 50_000;

/** The Parquet type each column type is written as (dates and timestamps as text, cast by Spark on load). */
const PARQUET_TYPE: Record<ColumnTypeName, 'INT32' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'STRING'> = {
  smallint: 'INT32',
  integer: 'INT32',
  bigint: 'INT64',
  double: 'DOUBLE',
  numeric: 'DOUBLE',
  boolean: 'BOOLEAN',
  text: 'STRING',
  date: 'STRING',
  timestamp: 'STRING',
};

export type Value = string | number | bigint | boolean | null;

/** Converts one COPY text field to the column's value. */
export function copyValue(field: string | null, column: ColumnDef, where: string): Value {
  if (field === null) return null;
  switch (column.type) {
    case 'smallint':
    case 'integer':
    case 'double':
    case 'numeric': {
      const n = Number(field);
      if (field.trim() === '' || (Number.isNaN(n) && field !== 'NaN')) throw badValue(field, column, where);
      return n;
    }
    case 'bigint':
      try {
        return BigInt(field);
      } catch {
        throw badValue(field, column, where);
      }
    case 'boolean':
      if (/^(t|true|y|yes|on|1)$/i.test(field)) return true;
      if (/^(f|false|n|no|off|0)$/i.test(field)) return false;
      throw badValue(field, column, where);
    default:
      return field;
  }
}

function badValue(field: string, column: ColumnDef, where: string): PilotScopeError {
  return new PilotScopeError('DATASET_INVALID', `${where}: ${JSON.stringify(field)} is not a valid ${column.type} for column ${column.name}.`);
}

/** Iterates the rows of a COPY text file as value arrays. */
export async function* copyRows(file: string, columns: readonly ColumnDef[]): AsyncGenerator<Value[]> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    const fields = splitCopyLine(line);
    if (fields.length !== columns.length) {
      throw new PilotScopeError('DATASET_INVALID', `${file}:${lineNo}: ${fields.length} fields, but the table has ${columns.length} columns.`);
    }
    yield fields.map((f, i) => copyValue(f, columns[i]!, `${file}:${lineNo}`));
  }
}

/** Writes rows to a Parquet file with the columns' types; returns the number of rows. */
export async function writeParquet(file: string, columns: readonly ColumnDef[], rows: AsyncIterable<Value[]>): Promise<number> {
  let writer: ParquetWriter | undefined;
  let buffer: Value[][] = columns.map(() => []);
  let count = 0;
  const flush = async () => {
    const columnData = columns.map((c, i) => ({ name: c.name, data: buffer[i]! as never, type: PARQUET_TYPE[c.type], nullable: true }));
    writer ??= new ParquetWriter({ writer: fileWriter(file), schema: schemaFromColumnData({ columnData }) });
    await writer.write({ columnData, rowGroupSize: ROW_GROUP });
    buffer = columns.map(() => []);
  };
  for await (const row of rows) {
    row.forEach((v, i) => buffer[i]!.push(v));
    if (++count % ROW_GROUP === 0) await flush();
  }
  if (count % ROW_GROUP !== 0 || writer === undefined) await flush();
  await writer!.finish();
  return count;
}

/** Iterates the rows of a Parquet file (our columns, in our order). */
export async function* parquetRows(file: string, columns: readonly ColumnDef[]): AsyncGenerator<Value[]> {
  const source = await asyncBufferFromFile(file);
  const rows = (await parquetReadObjects({ file: source, columns: columns.map((c) => c.name) })) as Array<Record<string, Value>>;
  for (const row of rows) yield columns.map((c) => normalize(row[c.name] ?? null));
}

function normalize(value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().replace('T', ' ').replace('Z', '');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return value;
  return String(value);
}

/** Iterates the records of a CSV file (RFC 4180: quotes, doubled quotes, line breaks inside quotes). */
export async function* csvRecords(file: string, delimiter = ',', quote = '"'): AsyncGenerator<string[]> {
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let afterQuote = false;
  let fieldStarted = false;
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8' })) {
    for (const c of chunk as string) {
      if (quoted) {
        if (c === quote) {
          quoted = false;
          afterQuote = true;
        } else field += c;
        continue;
      }
      if (c === quote) {
        if (afterQuote) field += quote; // a doubled quote inside a quoted field
        quoted = true;
        afterQuote = false;
        fieldStarted = true;
      } else if (c === delimiter) {
        record.push(field);
        field = '';
        afterQuote = false;
        fieldStarted = false;
      } else if (c === '\n') {
        if (fieldStarted || field !== '' || record.length > 0) {
          record.push(field.endsWith('\r') && !afterQuote ? field.slice(0, -1) : field);
          yield record;
        }
        record = [];
        field = '';
        afterQuote = false;
        fieldStarted = false;
      } else {
        field += c;
        afterQuote = false;
        fieldStarted = true;
      }
    }
  }
  if (quoted) throw new PilotScopeError('DATASET_INVALID', `${file}: a quoted field is not closed before the end of the file.`);
  if (fieldStarted || field !== '' || record.length > 0) {
    record.push(field);
    yield record;
  }
}

/** CSV records as typed rows: empty unquoted fields are NULL. */
export async function* csvRows(file: string, columns: readonly ColumnDef[], options: { header: boolean; delimiter: string }): AsyncGenerator<Value[]> {
  let recordNo = 0;
  for await (const record of csvRecords(file, options.delimiter)) {
    recordNo++;
    if (recordNo === 1 && options.header) continue;
    if (record.length !== columns.length) {
      throw new PilotScopeError('DATASET_INVALID', `${file}: record ${recordNo} has ${record.length} fields, but the table has ${columns.length} columns.`);
    }
    yield record.map((f, i) => copyValue(f === '' ? null : f, columns[i]!, `${file} record ${recordNo}`));
  }
}

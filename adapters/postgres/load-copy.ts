/**
 * Streaming table data into PostgreSQL with COPY FROM STDIN: generated rows (COPY text), CSV
 * files (with a header row naming the columns) and Parquet files (read one row group at a time
 * with hyparquet and converted to COPY text). Backpressure is respected throughout, so memory
 * stays bounded whatever the file size.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { PilotScopeError } from '../../src/errors.js';
import { quoteIdent } from './connection.js';

function copyStatement(table: string, columns: readonly string[] | undefined, options: string): string {
  const cols = columns?.length ? ` (${columns.map(quoteIdent).join(', ')})` : '';
  return `COPY ${quoteIdent(table)}${cols} FROM STDIN WITH (${options})`;
}

/** Copies COPY-text rows (tab-separated, \N for NULL) from a stream. Returns the rows copied. */
export async function copyTextRows(client: pg.Client, table: string, rows: Readable, columns?: readonly string[]): Promise<number> {
  const sink = client.query(copyFrom(copyStatement(table, columns, 'FORMAT text')));
  await pipeline(rows, sink);
  return sink.rowCount;
}

/** Copies a CSV file whose first line names the columns. */
export async function copyCsvFile(client: pg.Client, table: string, file: string): Promise<number> {
  const header = await readCsvHeader(file);
  const sink = client.query(copyFrom(copyStatement(table, header, 'FORMAT csv, HEADER true')));
  await pipeline(fs.createReadStream(file), sink);
  return sink.rowCount;
}

/** The column names in a CSV file's first record (quoted names may hold commas and quotes). */
export async function readCsvHeader(file: string): Promise<string[]> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '');
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        fields.push(field);
        field = '';
      } else if (c === '\n' || c === '\r') {
        fields.push(field);
        return checkHeader(fields, file);
      } else field += c;
    }
    if (text.length > 0 && !quoted && bytesRead < buffer.length) {
      fields.push(field);
      return checkHeader(fields, file);
    }
  } finally {
    await handle.close();
  }
  throw new PilotScopeError('DATASET_INVALID', `${file} has no header line. CSV table files must start with a line naming the columns (id,name,...).`);
}

function checkHeader(fields: string[], file: string): string[] {
  const names = fields.map((f) => f.trim());
  if (names.length === 0 || names.some((n) => n === '')) {
    throw new PilotScopeError('DATASET_INVALID', `The header line of ${file} has an empty column name. The first line must name every column, e.g. id,name,score.`);
  }
  return names;
}

/** Copies a Parquet file one row group at a time. */
export async function copyParquetFile(client: pg.Client, table: string, file: string): Promise<number> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const columns = metadata.schema.slice(1).filter((s) => !s.num_children).map((s) => s.name);
  const sink = client.query(copyFrom(copyStatement(table, columns, 'FORMAT text')));
  const done = new Promise<void>((resolve, reject) => {
    sink.on('finish', resolve);
    sink.on('error', reject);
  });
  let rowStart = 0;
  try {
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      let rows: unknown[][] = [];
      await parquetRead({ file: buffer, metadata, columns, rowStart, rowEnd, onComplete: (r: unknown[][]) => (rows = r) });
      await writeChunked(sink, rows);
      rowStart = rowEnd;
    }
    sink.end();
    await done;
  } catch (err) {
    sink.destroy(err as Error);
    throw err;
  }
  return sink.rowCount;
}

async function writeChunked(sink: Writable, rows: unknown[][]): Promise<void> {
  let chunk = '';
  for (const row of rows) {
    chunk += row.map(copyTextValue).join('\t') + '\n';
    if (chunk.length >= 1 << 16) {
      if (!sink.write(chunk)) await once(sink, 'drain');
      chunk = '';
    }
  }
  if (chunk && !sink.write(chunk)) await once(sink, 'drain');
}

/** One value in COPY text format. */
export function copyTextValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `\\\\x${Buffer.from(value).toString('hex')}`;
  const text = typeof value === 'string' ? value : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

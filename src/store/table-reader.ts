/**
 * Reading a table: its live segments, verified, brought to one schema (columns added later read
 * as null in older rows; int columns widened to float read as float) as one Arrow table.
 * Readers take no lock: a segment removed by a concurrent compaction makes the read start over.
 */
import * as arrow from 'apache-arrow';
import { PilotScopeError } from '../errors.js';
import { encodeColumn, rowIdField } from './encode.js';
import { columnValues } from './decode.js';
import { arrowFieldOf, kindOfField, widenKind, type ColumnKind, type ColumnSpec } from './schema.js';
import { SegmentVanished, listTable, readSegment, type SegmentRef } from './segments.js';

const READ_ATTEMPTS = 8;

export interface SegmentTables {
  segments: SegmentRef[];
  tables: arrow.Table[];
}

/** Reads the live segments holding ids > afterId (all of them by default). */
export async function readLiveSegments(tableDir: string, table: string, afterId = 0): Promise<SegmentTables> {
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const listing = await listTable(tableDir, table);
    if (!listing) return { segments: [], tables: [] };
    const segments = listing.live.filter((s) => s.last > afterId);
    try {
      const tables = await Promise.all(segments.map((s) => readSegment(tableDir, table, s)));
      return { segments, tables };
    } catch (err) {
      if (!(err instanceof SegmentVanished)) throw err;
    }
  }
  throw new PilotScopeError(
    'STORE_IO',
    `Table '${table}' kept changing while being read (${READ_ATTEMPTS} attempts); try again.`,
    { table },
  );
}

/** The schema (without the row id) that covers all `tables`, oldest first. */
export function unifiedSchema(table: string, tables: readonly arrow.Table[]): ColumnSpec[] {
  const kinds = new Map<string, ColumnKind>();
  for (const t of tables) {
    for (const field of t.schema.fields.slice(1)) {
      const kind = kindOfField(field)!;
      const current = kinds.get(field.name);
      const widened = current === undefined ? kind : widenKind(current, kind);
      if (widened === undefined) {
        throw new PilotScopeError(
          'STORE_CORRUPT',
          `Table '${table}': segments disagree on column '${field.name}' (${current} and ${kind}); this store never writes that. ` +
            'Export the segments separately or drop the table.',
          { table, column: field.name },
        );
      }
      kinds.set(field.name, widened);
    }
  }
  return [...kinds].map(([name, kind]) => ({ name, kind }));
}

/**
 * One Arrow table with schema `[row id, ...schema]` from segment tables, keeping ids > afterId.
 * Segments already in that schema are used as they are (zero-copy).
 */
export function combineSegments(tables: readonly arrow.Table[], schema: readonly ColumnSpec[], afterId = 0): arrow.Table {
  const target = new arrow.Schema([rowIdField(), ...schema.map(arrowFieldOf)]);
  const batches: arrow.RecordBatch[] = [];
  for (const t of tables) {
    for (const batch of t.batches) {
      const conformed = conformBatch(batch, target, schema);
      const start = firstIndexAfter(conformed, afterId);
      if (start < conformed.numRows) batches.push(start === 0 ? conformed : conformed.slice(start));
    }
  }
  return new arrow.Table(target, batches);
}

/** The same rows as one record batch (one chunk per column), so columns can be used zero-copy. */
export function toSingleBatch(t: arrow.Table): arrow.Table {
  if (t.batches.length === 1) return t;
  const fields = t.schema.fields;
  const columns = fields.map((field, i) => {
    const kind = i === 0 ? 'int' : kindOfField(field)!;
    const values = columnValues(t.getChildAt(i)!, field, { parseJson: false, timestamps: 'ms' });
    return encodeColumn(kind, values);
  });
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length: t.numRows, nullCount: 0, children: columns });
  return new arrow.Table([new arrow.RecordBatch(t.schema, struct)]);
}

function conformBatch(batch: arrow.RecordBatch, target: arrow.Schema, schema: readonly ColumnSpec[]): arrow.RecordBatch {
  if (sameSchema(batch.schema, target)) return batch;
  const byName = new Map(batch.schema.fields.map((f, i) => [f.name, i]));
  const n = batch.numRows;
  const children: arrow.Data[] = [batch.getChildAt(0)!.data[0]!];
  for (const spec of schema) {
    const index = byName.get(spec.name);
    const column = index === undefined ? undefined : batch.getChildAt(index)!;
    const kind = index === undefined ? 'null' : kindOfField(batch.schema.fields[index]!)!;
    if (column === undefined || (kind === 'null' && spec.kind !== 'null')) {
      children.push(encodeColumn(spec.kind, new Array<null>(n).fill(null)));
    } else if (kind === 'int' && spec.kind === 'float') {
      const values = columnValues(column, batch.schema.fields[index!]!);
      children.push(encodeColumn('float', values));
    } else {
      children.push(column.data[0]!);
    }
  }
  const struct = arrow.makeData({ type: new arrow.Struct(target.fields), length: n, nullCount: 0, children });
  return new arrow.RecordBatch(target, struct);
}

function sameSchema(a: arrow.Schema, b: arrow.Schema): boolean {
  if (a.fields.length !== b.fields.length) return false;
  return a.fields.every((f, i) => {
    const g = b.fields[i]!;
    return f.name === g.name && f.type.toString() === g.type.toString() && (kindOfField(f) === kindOfField(g));
  });
}

/** Index of the first row whose id is > afterId (ids ascend within a batch). */
function firstIndexAfter(batch: arrow.RecordBatch, afterId: number): number {
  if (afterId <= 0) return 0;
  const ids = batch.getChildAt(0)!.data[0]!.values as BigInt64Array;
  const bound = BigInt(afterId);
  let lo = 0;
  let hi = batch.numRows;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid]! > bound) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

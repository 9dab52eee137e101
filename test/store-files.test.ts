/** Parquet and Arrow IPC files in and out, and typed-array views of numeric columns. */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import {
  DataManager,
  ROW_ID,
  float64Column,
  int32Column,
  readParquet,
  readParquetRows,
  tableToRows,
  typedColumn,
  writeParquetFile,
  writeTableFile,
} from '../src/store/index.js';
import { isPilotScopeError } from '../src/errors.js';
import { tempDir } from './helpers/store.js';

const at = new Date('2023-01-02T03:04:05.678Z');
const sampleRows = [
  { name: 'q1', time: 1.25, card: 10, ok: true, plan: { op: 'Seq Scan', children: [] }, at, big: 2n ** 60n },
  { name: null, time: null, card: null, ok: null, plan: null, at: null, big: null },
  { name: 'q3 ünïcödé', time: -0.5, card: -3, ok: false, plan: [1, 'two', { three: 3 }], at: new Date(0), big: 7 },
];

async function sampleStore(dir: string): Promise<DataManager> {
  const dm = new DataManager(dir);
  await dm.saveBatch('runs', sampleRows.slice(0, 2));
  await dm.save('runs', sampleRows[2]!);
  await dm.save('runs', { extra: 'added later' });
  return dm;
}

test('exportTable to Parquet: hyparquet reads back every kind and null', async (t) => {
  const dir = tempDir(t);
  const dm = await sampleStore(dir);
  t.teardown(() => dm.close());
  const file = path.join(dir, 'runs.parquet');
  t.is(await dm.exportTable('runs', file, 'parquet'), 4);

  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const byName = Object.fromEntries(metadata.schema.slice(1).map((e) => [e.name, e]));
  t.is(byName.card!.type, 'INT64');
  t.is(byName.time!.type, 'DOUBLE');
  t.is(byName.name!.converted_type, 'UTF8');
  t.is(byName.plan!.converted_type, 'JSON');
  t.is(byName.at!.converted_type, 'TIMESTAMP_MILLIS');
  t.is(byName.ok!.type, 'BOOLEAN');
  t.is(byName[ROW_ID]!.repetition_type, 'REQUIRED');

  const raw = await parquetReadObjects({ file: buffer });
  t.is(raw.length, 4);
  t.deepEqual(raw[0], { [ROW_ID]: 1n, name: 'q1', time: 1.25, card: 10n, ok: true, plan: { op: 'Seq Scan', children: [] }, at, big: 2n ** 60n, extra: null });
  t.deepEqual(raw[1], { [ROW_ID]: 2n, name: null, time: null, card: null, ok: null, plan: null, at: null, big: null, extra: null });
  t.deepEqual(raw[2]!.plan, [1, 'two', { three: 3 }]);
  t.is(raw[2]!.name, 'q3 ünïcödé');
  t.is(raw[3]!.extra, 'added later');

  // and our own reader gives back exactly what the store holds
  t.deepEqual(await readParquetRows(file), await dm.readAll('runs'));
});

test('exportTable to an Arrow IPC file: apache-arrow reads back the same table', async (t) => {
  const dir = tempDir(t);
  const dm = await sampleStore(dir);
  t.teardown(() => dm.close());
  const file = path.join(dir, 'runs.arrow');
  await dm.exportTable('runs', file, 'arrow');
  const bytes = fs.readFileSync(file);
  t.is(bytes.subarray(0, 6).toString(), 'ARROW1');
  const back = arrow.tableFromIPC(bytes);
  t.deepEqual(tableToRows(back), await dm.readAll('runs'));
  const plan = back.schema.fields.find((f) => f.name === 'plan')!;
  t.is(plan.metadata.get('ARROW:extension:name'), 'arrow.json', 'the JSON tag survives for pyarrow/polars');
  t.is(String(back.schema.fields.find((f) => f.name === 'name')!.type), 'Utf8');

  await dm.exportTable('runs', file, 'arrow', { rowId: false });
  t.false(arrow.tableFromIPC(fs.readFileSync(file)).schema.fields.some((f) => f.name === ROW_ID));
  t.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.tmp-')), [], 'no temp files left');
});

test('readParquet streams one row group at a time, with a column projection', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'big.parquet');
  const n = 2500;
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  const vals = Float64Array.from({ length: n }, (_, i) => i * 0.5);
  parquetWriteFile({
    filename: file,
    rowGroupSize: 1000,
    columnData: [
      { name: 'id', data: ids, type: 'INT32', nullable: false },
      { name: 'val', data: vals, type: 'DOUBLE', nullable: false },
      { name: 'label', data: Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : `l${i % 7}`)), type: 'STRING' },
    ],
  });

  const seen: Array<[number, number, number, number]> = [];
  let sum = 0;
  const summary = await readParquet(file, {
    columns: ['val', 'id'],
    onBatch: async ({ table, rowGroup, rowStart, rowEnd }) => {
      seen.push([rowGroup, rowStart, rowEnd, table.numRows]);
      t.deepEqual(table.schema.fields.map((f) => f.name), ['val', 'id']);
      const v = float64Column(table, 'val');
      t.true(v.zeroCopy, 'a non-nullable DOUBLE column is handed over without a copy');
      for (const x of v.values) sum += x;
      t.is(int32Column(table, 'id').values[0], rowStart);
      await new Promise((r) => setImmediate(r)); // the next row group waits for this callback
    },
  });
  t.deepEqual(seen, [
    [0, 0, 1000, 1000],
    [1, 1000, 2000, 1000],
    [2, 2000, 2500, 500],
  ]);
  t.is(sum, (0.5 * (n - 1) * n) / 2);
  t.is(summary.numRows, n);
  t.is(summary.rowGroups, 3);

  const whole = await readParquet(file);
  t.is(whole.numRows, n);
  t.is(whole.batches.length, 3);
  t.deepEqual(whole.schema.fields.map((f) => `${f.name}:${String(f.type)}`), ['id:Int32', 'val:Float64', 'label:Utf8']);
  const labels = tableToRows(whole).map((r) => r.label);
  t.is(labels[0], null);
  t.is(labels[1], 'l1');
  t.is(labels[2499], `l${2499 % 7}`);
});

test('readParquet maps Parquet types: dates, timestamps, JSON, floats, int64 and nullable int32', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'types.parquet');
  const day = new Date('2020-02-29T00:00:00.000Z');
  parquetWriteFile({
    filename: file,
    columnData: [
      { name: 'd', data: [day, null] },
      { name: 'ts', data: [at, null] },
      { name: 'j', data: [{ a: [1, 2] }, null] },
      { name: 'f32', data: [1.5, null] },
      { name: 'i64', data: [5n, null] },
      { name: 'i32', data: [7, null] },
    ],
    schema: [
      { name: 'root', num_children: 6 },
      { name: 'd', type: 'INT32', converted_type: 'DATE', repetition_type: 'OPTIONAL' },
      { name: 'ts', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'OPTIONAL' },
      { name: 'j', type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' },
      { name: 'f32', type: 'FLOAT', repetition_type: 'OPTIONAL' },
      { name: 'i64', type: 'INT64', repetition_type: 'OPTIONAL' },
      { name: 'i32', type: 'INT32', repetition_type: 'OPTIONAL' },
    ],
  });
  const table = await readParquet(file);
  t.deepEqual(
    table.schema.fields.map((f) => `${f.name}:${String(f.type)}`),
    ['d:Timestamp<MILLISECOND, UTC>', 'ts:Timestamp<MILLISECOND, UTC>', 'j:Utf8', 'f32:Float32', 'i64:Int64', 'i32:Int32'],
  );
  t.deepEqual(tableToRows(table), [
    { d: day, ts: at, j: { a: [1, 2] }, f32: 1.5, i64: 5, i32: 7 },
    { d: null, ts: null, j: null, f32: null, i64: null, i32: null },
  ]);
  const filled = int32Column(table, 'i32', { nulls: 'fill', fillValue: -1 });
  t.deepEqual([...filled.values], [7, -1]);
  t.false(filled.zeroCopy);
});

test('Parquet input errors say what is wrong', async (t) => {
  const dir = tempDir(t);
  const missing = await t.throwsAsync(readParquet(path.join(dir, 'nope.parquet')));
  t.true(isPilotScopeError(missing, 'STORE_IO'));
  t.regex(missing!.message, /does not exist; check the path/);

  const notParquet = path.join(dir, 'x.parquet');
  fs.writeFileSync(notParquet, 'this is a CSV file, a,b,c\n1,2,3\n');
  const bad = await t.throwsAsync(readParquet(notParquet));
  t.true(isPilotScopeError(bad, 'DATASET_INVALID'));
  t.regex(bad!.message, /is not a readable Parquet file/);

  const good = path.join(dir, 'g.parquet');
  parquetWriteFile({ filename: good, columnData: [{ name: 'a', data: [1, 2], type: 'INT32' }] });
  const truncated = path.join(dir, 'trunc.parquet');
  fs.writeFileSync(truncated, fs.readFileSync(good).subarray(0, 20));
  t.true(isPilotScopeError(await t.throwsAsync(readParquet(truncated)), 'DATASET_INVALID'));

  const col = await t.throwsAsync(readParquet(good, { columns: ['a', 'b'] }));
  t.true(isPilotScopeError(col, 'STORE_INVALID_INPUT'));
  t.regex(col!.message, /has no column 'b'; its columns are: a/);
});

test('export errors: unknown format and Arrow types Parquet export does not handle', async (t) => {
  const dir = tempDir(t);
  const dm = await sampleStore(dir);
  t.teardown(() => dm.close());
  const e1 = await t.throwsAsync(dm.exportTable('runs', path.join(dir, 'x'), 'csv' as 'arrow'));
  t.true(isPilotScopeError(e1, 'STORE_INVALID_INPUT'));
  t.regex(e1!.message, /use 'parquet' or 'arrow'/);
  const listTable = new arrow.Table({ l: arrow.vectorFromArray([[1], [2, 3]], new arrow.List(new arrow.Field('item', new arrow.Int32()))) });
  const e2 = await t.throwsAsync(writeParquetFile(listTable, path.join(dir, 'l.parquet')));
  t.true(isPilotScopeError(e2, 'STORE_INVALID_INPUT'));
  t.regex(e2!.message, /Column 'l' has Arrow type List/);
  const e3 = await t.throwsAsync(writeTableFile(listTable, path.join(dir, 'no-such-dir', 'l.arrow'), 'arrow'));
  t.true(isPilotScopeError(e3, 'STORE_IO'));
});

test('numeric columns as typed arrays: zero-copy for one chunk, copies only when needed', async (t) => {
  const dm = new DataManager(tempDir(t));
  t.teardown(() => dm.close());
  await dm.saveBatch('m', [{ x: 0.5, k: 1 }, { x: 1.5, k: 2 }]);
  await dm.saveBatch('m', [{ x: 2.5, k: 3 }]);

  const chunked = await dm.readAllTable('m');
  t.is(chunked.batches.length, 2);
  const copied = float64Column(chunked, 'x');
  t.false(copied.zeroCopy, 'two chunks are concatenated');
  t.deepEqual([...copied.values], [0.5, 1.5, 2.5]);

  await dm.compact('m');
  const single = await dm.readAllTable('m');
  t.is(single.batches.length, 1);
  const view = float64Column(single, 'x');
  t.true(view.zeroCopy);
  t.is(view.values.length, 3, 'trimmed to the row count, not the padded buffer');
  const data = single.getChild('x')!.data[0]!;
  t.is(view.values.buffer, (data.values as Float64Array).buffer, 'a view on the Arrow buffer itself');
  view.values[0] = 99;
  t.is(single.getChild('x')!.get(0), 99, 'writing the view changes the table (documented)');

  const k = typedColumn(single, 'k', 'float64');
  t.false(k.zeroCopy, 'Int64 -> float64 converts');
  t.deepEqual([...k.values], [1, 2, 3]);
  t.deepEqual([...int32Column(single, 'k').values], [1, 2, 3]);
  t.deepEqual([...typedColumn(single, 'x', 'float32').values], [99, 1.5, 2.5]);
  t.true(typedColumn(arrow.tableFromArrays({ i: new Int32Array([4, 5]) }), 'i', 'int32').zeroCopy);
});

test('typed column errors: nulls, lossy conversions, non-numeric and unknown columns', async (t) => {
  const table = new arrow.Table({
    f: arrow.vectorFromArray([1.5, null, 3], new arrow.Float64()),
    big: arrow.vectorFromArray([1n, 2n, 2n ** 40n], new arrow.Int64()),
    s: arrow.vectorFromArray(['a', 'b', 'c'], new arrow.Utf8()),
  });
  const nulls = t.throws(() => float64Column(table, 'f'));
  t.true(isPilotScopeError(nulls, 'STORE_INVALID_INPUT'));
  t.regex(nulls!.message, /has 1 null\(s\); pass \{ nulls: 'fill' \}/);
  const filled = float64Column(table, 'f', { nulls: 'fill' });
  t.true(Number.isNaN(filled.values[1]!));
  t.is(filled.nullCount, 1);
  t.regex(t.throws(() => int32Column(table, 'f', { nulls: 'fill' }))!.message, /1\.5 is not a 32-bit integer; ask for 'float64' instead/);
  t.regex(t.throws(() => int32Column(table, 'big'))!.message, /row 2: 1099511627776 is not a 32-bit integer/);
  t.regex(t.throws(() => float64Column(table, 's'))!.message, /is Utf8, not numeric/);
  t.regex(t.throws(() => float64Column(table, 'nope'))!.message, /No column 'nope' in the table; its columns are: f, big, s/);
});

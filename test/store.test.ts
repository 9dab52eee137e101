import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { DataManager, ROW_ID } from '../src/store/index.js';
import { isPilotScopeError } from '../src/errors.js';
import { TimeStatistic } from '../src/timing/index.js';
import { segmentFiles, tempDir } from './helpers/store.js';

test('rows of every kind round-trip with nulls, in insertion order, with row ids', async (t) => {
  const dm = new DataManager(tempDir(t));
  t.teardown(() => dm.close());
  const at = new Date('2024-05-06T07:08:09.123Z');
  const first = await dm.save('runs', {
    query: 'q1',
    executionTime: 12.5,
    rows: 42,
    ok: true,
    plan: { 'Node Type': 'Hash Join', Plans: [{ 'Node Type': 'Seq Scan' }] },
    cards: [1, 2.5, null],
    at,
    big: 2n ** 60n,
  });
  t.is(first, 1);
  const range = await dm.saveBatch('runs', [
    { query: 'q2', executionTime: null, rows: 0, ok: false, plan: null, cards: [], at: null },
    { query: null, executionTime: 3, rows: -7, ok: null, plan: { empty: {} }, cards: [[1], { a: 'b' }], at: new Date(0), big: -5n },
  ]);
  t.deepEqual(range, { firstId: 2, lastId: 3 });

  const rows = await dm.readAll('runs');
  t.deepEqual(rows, [
    { [ROW_ID]: 1, query: 'q1', executionTime: 12.5, rows: 42, ok: true, plan: { 'Node Type': 'Hash Join', Plans: [{ 'Node Type': 'Seq Scan' }] }, cards: [1, 2.5, null], at, big: 2n ** 60n },
    { [ROW_ID]: 2, query: 'q2', executionTime: null, rows: 0, ok: false, plan: null, cards: [], at: null, big: null },
    { [ROW_ID]: 3, query: null, executionTime: 3, rows: -7, ok: null, plan: { empty: {} }, cards: [[1], { a: 'b' }], at: new Date(0), big: -5 },
  ]);
  t.deepEqual(await dm.schema('runs'), [
    { name: 'query', kind: 'string' },
    { name: 'executionTime', kind: 'float' },
    { name: 'rows', kind: 'int' },
    { name: 'ok', kind: 'bool' },
    { name: 'plan', kind: 'json' },
    { name: 'cards', kind: 'json' },
    { name: 'at', kind: 'timestamp' },
    { name: 'big', kind: 'int' },
  ]);

  const table = await dm.readAllTable('runs');
  t.is(table.numRows, 3);
  t.is(String(table.schema.fields.find((f) => f.name === 'query')!.type), 'Utf8', 'strings are plain Utf8, not dictionaries');
  t.is(table.schema.fields.find((f) => f.name === 'plan')!.metadata.get('ARROW:extension:name'), 'arrow.json');
  t.is(String(table.schema.fields.find((f) => f.name === 'rows')!.type), 'Int64');
});

test('columns added later read as null in older rows; int widens to float', async (t) => {
  const dm = new DataManager(tempDir(t));
  t.teardown(() => dm.close());
  await dm.save('t', { a: 1 });
  await dm.save('t', { a: 2, b: 'new' });
  await dm.save('t', { a: 2.5 });
  await dm.save('t', { c: null });
  await dm.save('t', { c: [1] });
  t.deepEqual(await dm.readAll('t'), [
    { [ROW_ID]: 1, a: 1, b: null, c: null },
    { [ROW_ID]: 2, a: 2, b: 'new', c: null },
    { [ROW_ID]: 3, a: 2.5, b: null, c: null },
    { [ROW_ID]: 4, a: null, b: null, c: null },
    { [ROW_ID]: 5, a: null, b: null, c: [1] },
  ]);
  const table = await dm.readAllTable('t');
  t.is(String(table.schema.fields[1]!.type), 'Float64', 'older Int64 segments read back widened to Float64');
  // after compaction the widened column is stored as float
  await dm.compact('t');
  t.deepEqual((await dm.readAll('t')).map((r) => r.a), [1, 2, 2.5, null, null]);
  t.deepEqual(await dm.schema('t'), [
    { name: 'a', kind: 'float' },
    { name: 'b', kind: 'string' },
    { name: 'c', kind: 'json' },
  ]);
});

test('a type conflict is a clear STORE_SCHEMA_CONFLICT and writes nothing', async (t) => {
  const dm = new DataManager(tempDir(t));
  t.teardown(() => dm.close());
  await dm.save('t', { a: 1, s: 'x' });
  const e1 = await t.throwsAsync(dm.save('t', { a: 'one' }));
  t.true(isPilotScopeError(e1, 'STORE_SCHEMA_CONFLICT'));
  t.regex(e1!.message, /Table 't', column 'a' holds int values but row 0 of the batch is string/);
  t.regex(e1!.message, /use another column name, or drop the table/);
  const e2 = await t.throwsAsync(dm.saveBatch('t', [{ s: 'ok' }, { s: { obj: 1 } }]));
  t.true(isPilotScopeError(e2, 'STORE_SCHEMA_CONFLICT'));
  t.regex(e2!.message, /row 1 of the batch is json/);
  const e3 = await t.throwsAsync(dm.saveBatch('u', [{ v: true }, { v: 1 }]));
  t.true(isPilotScopeError(e3, 'STORE_SCHEMA_CONFLICT'), 'conflicts inside one batch too');
  t.is(await dm.count('t'), 1);
  t.is(await dm.count('u'), 0);
  t.deepEqual(await dm.tables(), ['t']);
});

test('values the store cannot keep, bad rows and bad names are STORE_INVALID_INPUT', async (t) => {
  const dm = new DataManager(tempDir(t));
  t.teardown(() => dm.close());
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['Map', () => dm.save('t', { m: new Map() }), /a Map cannot be stored/],
    ['function', () => dm.save('t', { f: () => 1 }), /a function cannot be stored/],
    ['symbol', () => dm.save('t', { s: Symbol('x') }), /a symbol cannot be stored/],
    ['typed array', () => dm.save('t', { b: new Float64Array(2) }), /a Float64Array cannot be stored/],
    ['huge bigint', () => dm.save('t', { b: 2n ** 70n }), /does not fit in a 64-bit integer/],
    ['invalid date', () => dm.save('t', { d: new Date('nope') }), /invalid Date/],
    ['cycle', () => dm.save('t', { j: cyclic }), /cannot be written as JSON/],
    ['bigint in json', () => dm.save('t', { j: { n: 1n } }), /cannot be written as JSON/],
    ['array row', () => dm.saveBatch('t', [[1, 2] as unknown as Record<string, unknown>]), /a row must be a plain object/],
    ['null row', () => dm.saveBatch('t', [null as unknown as Record<string, unknown>]), /a row must be a plain object of column -> value \(got null\)/],
    ['rows not array', () => dm.saveBatch('t', 'x' as unknown as []), /rows must be an array/],
    ['reserved column', () => dm.save('t', { [ROW_ID]: 5 }), /row id column and is set automatically/],
    ['empty column', () => dm.save('t', { '': 5 }), /column name must not be empty/],
    ['table path', () => dm.save('../evil', { a: 1 }), /Invalid table name "\.\.\/evil"/],
    ['table dot', () => dm.save('.hidden', { a: 1 }), /Invalid table name/],
    ['table empty', () => dm.readAll(''), /Invalid table name/],
    ['reader name', () => dm.readUpdate('t', 'a/b'), /Invalid reader name "a\/b"/],
  ];
  for (const [name, run, message] of cases) {
    const err = await t.throwsAsync(run(), undefined, name);
    t.true(isPilotScopeError(err, 'STORE_INVALID_INPUT'), `${name}: ${err?.message}`);
    t.regex(err!.message, message, name);
  }
  t.deepEqual(await dm.tables(), [], 'nothing was written');
  t.throws(() => new DataManager(''), { message: /needs the path of a data directory/ });
  t.throws(() => new DataManager(tempDir(t), { maxSegments: 1 }), { message: /maxSegments must be an integer >= 2/ });
});

test('unknown tables read as empty; tables(), count() and dropTable()', async (t) => {
  const dir = tempDir(t);
  const dm = new DataManager(path.join(dir, 'not-yet-created'));
  t.teardown(() => dm.close());
  t.deepEqual(await dm.readAll('none'), []);
  t.deepEqual(await dm.readUpdate('none'), []);
  t.is(await dm.count('none'), 0);
  t.deepEqual(await dm.tables(), []);
  t.deepEqual(await dm.schema('none'), []);
  t.is(await dm.saveBatch('none', []), null);
  t.deepEqual(await dm.tables(), [], 'an empty batch creates nothing');

  await dm.saveBatch('b_table', [{ x: 1 }, { x: 2 }]);
  await dm.save('a-table', { y: 'y' });
  t.deepEqual(await dm.tables(), ['a-table', 'b_table']);
  t.is(await dm.count('b_table'), 2);
  await dm.readUpdate('b_table', 'trainer');
  t.true(fs.existsSync(path.join(dm.dir, 'b_table', 'cursors', 'trainer.json')));

  t.true(await dm.dropTable('b_table'));
  t.false(await dm.dropTable('b_table'));
  t.deepEqual(await dm.tables(), ['a-table']);
  t.false(fs.existsSync(path.join(dm.dir, 'b_table')), 'the table directory and its cursors are gone');
  // a re-created table starts over, and so do its readers
  await dm.save('b_table', { x: 10 });
  t.deepEqual(await dm.readUpdate('b_table', 'trainer'), [{ [ROW_ID]: 1, x: 10 }]);
});

test('readUpdate gives each named reader only new rows, across instances', async (t) => {
  const dir = tempDir(t);
  const writer = new DataManager(dir);
  t.teardown(() => writer.close());
  await writer.saveBatch('t', [{ v: 1 }, { v: 2 }]);
  const r1 = new DataManager(dir);
  t.deepEqual((await r1.readUpdate('t')).map((r) => r.v), [1, 2]);
  t.deepEqual(await r1.readUpdate('t'), []);
  await writer.save('t', { v: 3 });
  const r2 = new DataManager(dir); // a new instance remembers the default reader's cursor
  t.deepEqual(await r2.readUpdate('t'), [{ [ROW_ID]: 3, v: 3 }]);
  t.deepEqual((await r2.readUpdate('t', 'other')).map((r) => r.v), [1, 2, 3], 'readers are independent');
  await writer.saveBatch('t', [{ v: 4 }, { v: 5, w: 'x' }]);
  t.deepEqual(await r1.readUpdate('t', 'default', { columns: ['w'] }), [
    { [ROW_ID]: 4, w: null },
    { [ROW_ID]: 5, w: 'x' },
  ]);
  const asTable = await r1.readUpdateTable('t', 'other');
  t.is(asTable.numRows, 2);
  // readAll with markRead moves a cursor like upstream's read_all did
  await writer.save('t', { v: 6 });
  t.is((await r1.readAll('t', { markRead: 'late' })).length, 6);
  t.deepEqual(await r1.readUpdate('t', 'late'), []);
  t.is((await r1.readAll('t')).length, 6, 'readAll without markRead moves no cursor');
  t.deepEqual((await r1.readUpdate('t')).map((r) => r.v), [6]);
});

test('readUpdate from the middle of a compacted segment decodes every kind and null correctly', async (t) => {
  const dm = new DataManager(tempDir(t));
  t.teardown(() => dm.close());
  const make = (i: number): Record<string, unknown> => ({
    b: i % 3 === 0 ? null : i % 2 === 0,
    s: i % 4 === 0 ? null : `s${i}`,
    j: i % 5 === 0 ? null : { i, list: [i, `${i}`] },
    n: i % 3 === 1 ? null : i * 10,
    f: i % 2 === 1 ? null : i / 4,
    at: i % 3 === 2 ? null : new Date(i * 1000),
  });
  for (let i = 1; i <= 11; i++) await dm.save('t', make(i));
  t.is((await dm.readUpdate('t')).length, 11);
  for (let i = 12; i <= 30; i++) await dm.save('t', make(i));
  await dm.compact('t');
  const rows = await dm.readUpdate('t');
  t.deepEqual(rows, Array.from({ length: 19 }, (_, k) => ({ [ROW_ID]: k + 12, ...make(k + 12) })));
  const all = await dm.readAll('t');
  t.deepEqual(all, Array.from({ length: 30 }, (_, k) => ({ [ROW_ID]: k + 1, ...make(k + 1) })));
});

test('readAll with a column projection; unknown columns are named in the error', async (t) => {
  const dm = new DataManager(tempDir(t));
  t.teardown(() => dm.close());
  await dm.saveBatch('t', [{ a: 1, b: 'x', c: true }]);
  t.deepEqual(await dm.readAll('t', { columns: ['c', 'a'] }), [{ [ROW_ID]: 1, c: true, a: 1 }]);
  const err = await t.throwsAsync(dm.readAll('t', { columns: ['zz'] }));
  t.true(isPilotScopeError(err, 'STORE_INVALID_INPUT'));
  t.regex(err!.message, /no column 'zz'; its columns are: pilot_data_id, a, b, c/);
});

test('concurrent writers in one process serialize: every row once, ids in order', async (t) => {
  const dir = tempDir(t);
  const a = new DataManager(dir, { maxSegments: 5 });
  const b = new DataManager(dir, { maxSegments: 5 });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < 40; i++) {
    writes.push(a.save('t', { who: 'a', i }));
    writes.push(b.saveBatch('t', [{ who: 'b', i }, { who: 'b', i, second: true }]));
  }
  await Promise.all(writes);
  const rows = await a.readAll('t');
  t.is(rows.length, 120);
  t.deepEqual(rows.map((r) => r[ROW_ID]), Array.from({ length: 120 }, (_, i) => i + 1));
  const aRows = rows.filter((r) => r.who === 'a').map((r) => r.i);
  t.deepEqual(aRows, Array.from({ length: 40 }, (_, i) => i), "each writer's rows keep their order");
  t.true(segmentFiles(path.join(dir, 't')).length <= 5, 'automatic compaction kept the segment count bounded');
});

test('automatic compaction keeps segments bounded and rows intact', async (t) => {
  const dir = tempDir(t);
  const dm = new DataManager(dir, { maxSegments: 6 });
  t.teardown(() => dm.close());
  let maxSeen = 0;
  for (let i = 1; i <= 200; i++) {
    await dm.save('t', { i, half: i / 2, tag: i % 3 === 0 ? null : `t${i}` });
    maxSeen = Math.max(maxSeen, segmentFiles(path.join(dir, 't')).length);
  }
  t.true(maxSeen <= 6, `at most 6 segments on disk after each save (saw ${maxSeen})`);
  const rows = await dm.readAll('t');
  t.deepEqual(rows.map((r) => r.i), Array.from({ length: 200 }, (_, i) => i + 1));
  t.deepEqual(rows.map((r) => r[ROW_ID]), Array.from({ length: 200 }, (_, i) => i + 1));
  t.is(rows[2]!.tag, null);
  t.is(rows[3]!.tag, 't4');
  t.is(rows[4]!.half, 2.5);
  const before = segmentFiles(path.join(dir, 't')).length;
  t.true(before > 1);
  t.deepEqual(await dm.compact('t'), { segmentsBefore: before, segmentsAfter: 1 });
  t.is(segmentFiles(path.join(dir, 't')).length, 1);
  const table = await dm.readAllTable('t');
  t.is(table.batches.length, 1, 'one compacted segment reads as one chunk');
  t.deepEqual((await dm.readAll('t')).map((r) => r.i), Array.from({ length: 200 }, (_, i) => i + 1));
});

test('a compaction interrupted after its merged segment was committed shows each row once', async (t) => {
  const dir = tempDir(t);
  const tableDir = path.join(dir, 't');
  const dm = new DataManager(dir);
  for (let i = 1; i <= 5; i++) await dm.save('t', { i });
  const originals = segmentFiles(tableDir).map((f) => [f, fs.readFileSync(path.join(tableDir, f))] as const);
  await dm.compact('t');
  await dm.close();
  // the state a crash leaves between committing the merged segment and deleting the originals
  for (const [f, bytes] of originals) fs.writeFileSync(path.join(tableDir, f), bytes);
  // ... and a crash in the middle of writing the next temp file
  fs.writeFileSync(path.join(tableDir, '.tmp-99999-1-deadbeef.part'), 'half a segment');
  t.is(segmentFiles(tableDir).length, 6);

  const reader = new DataManager(dir);
  t.deepEqual((await reader.readAll('t')).map((r) => r.i), [1, 2, 3, 4, 5]);
  t.is(await reader.count('t'), 5);
  t.deepEqual((await reader.readUpdate('t')).map((r) => r.i), [1, 2, 3, 4, 5]);

  const writer = new DataManager(dir);
  t.teardown(() => writer.close());
  await writer.save('t', { i: 6 });
  t.is(segmentFiles(tableDir).length, 2, 'the next writer removed the superseded originals');
  t.false(fs.readdirSync(tableDir).some((f) => f.startsWith('.tmp-')), 'and the leftover temp file');
  t.deepEqual((await reader.readAll('t')).map((r) => r.i), [1, 2, 3, 4, 5, 6]);
  t.deepEqual((await reader.readUpdate('t')).map((r) => r.i), [6]);
});

test('operations are timed under the store stage of a given TimeStatistic', async (t) => {
  const timer = new TimeStatistic();
  const dm = new DataManager(tempDir(t), { timer });
  t.teardown(() => dm.close());
  await dm.save('t', { a: 1 });
  await dm.readAll('t');
  await dm.readUpdate('t');
  t.is(timer.stats('store')?.count, 3, 'save (with its inner saveBatch, a re-entry) counts once');
});

test('a closed DataManager refuses work and releases the writer lock', async (t) => {
  const dir = tempDir(t);
  const dm = new DataManager(dir);
  await dm.save('t', { a: 1 });
  t.true(fs.existsSync(path.join(dir, 'writer.lock')));
  await dm.close();
  t.false(fs.existsSync(path.join(dir, 'writer.lock')));
  const err = await t.throwsAsync(dm.readAll('t'));
  t.true(isPilotScopeError(err, 'USAGE'));
  t.regex(err!.message, /was closed; create a new one/);
  await dm.close();
});

/**
 * Crash safety, cross-process reading, the writer lock and corruption detection, with real child
 * processes killed by SIGKILL.
 */
import test, { type ExecutionContext } from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import * as arrow from 'apache-arrow';
import { DataManager, ROW_ID } from '../src/store/index.js';
import { listTable } from '../src/store/segments.js';
import { isPilotScopeError } from '../src/errors.js';
import { expectedRow } from './helpers/store-expected.js';
import { onLines, prng, runChild, segmentFiles, spawnChild, tempDir, waitExit } from './helpers/store.js';

/** Appends in a child, kills it with SIGKILL at a random moment; returns the last id it reported. */
async function appendAndKill(dir: string, batchSize: number, maxSegments: number, rand: () => number): Promise<number> {
  const child = spawnChild(['append', dir, 't', String(batchSize), String(maxSegments)]);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const killAfter = 3 + Math.floor(rand() * 20);
  let lines = 0;
  let lastReported = 0;
  let firstAt = 0;
  const killed = new Promise<void>((resolve) => {
    onLines(child, (line) => {
      const m = /^committed (\d+)$/.exec(line);
      if (!m) return;
      lastReported = Number(m[1]);
      lines += 1;
      if (lines === 1) firstAt = performance.now();
      if (lines === killAfter) {
        // a random moment within one save cycle of the child
        const cycleMs = (performance.now() - firstAt) / (lines - 1);
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, rand() * cycleMs);
      }
    });
    child.on('exit', () => resolve());
  });
  await killed;
  await waitExit(child);
  if (child.signalCode !== 'SIGKILL') throw new Error(`child ended on its own (${child.exitCode}): ${stderr}`);
  return lastReported;
}

/**
 * Every committed row intact, no partial or duplicate row, ids 1..n, and the round that started
 * at `startN` rows added whole batches only; returns n.
 */
async function checkInvariants(t: ExecutionContext, dir: string, lastReported: number, batchSize: number, startN: number): Promise<number> {
  const reader = new DataManager(dir);
  const rows = await reader.readAll('t');
  const n = rows.length;
  t.true(n >= lastReported, `rows reported committed are there (${n} >= ${lastReported})`);
  t.true(n <= Math.max(lastReported, startN) + batchSize, `at most the one batch in flight was committed unreported (${n})`);
  t.is((n - startN) % batchSize, 0, 'whole batches only');
  rows.forEach((row, i) => {
    const id = i + 1;
    if (row[ROW_ID] !== id) t.fail(`row ${i} has id ${String(row[ROW_ID])}, expected ${id}`);
    const expected = { [ROW_ID]: id, ...expectedRow(id) };
    if (JSON.stringify(row) !== JSON.stringify(expected)) t.deepEqual(row, expected);
  });
  t.is(await reader.count('t'), n);
  await reader.close();
  return n;
}

function tempFiles(dir: string): string[] {
  return fs.readdirSync(path.join(dir, 't')).filter((f) => f.startsWith('.tmp-'));
}

test('SIGKILL while appending: committed rows intact, no partial rows, temp files ignored then cleaned', async (t) => {
  const seed = (Date.now() % 100_000) + 1;
  t.log(`seed ${seed}`);
  const rand = prng(seed);
  const dir = tempDir(t);
  const batchSizes = [1, 400, 7, 400, 1, 400, 3, 1];
  let killsInWrite = 0;
  let n = 0;
  for (const batchSize of batchSizes) {
    const lastReported = await appendAndKill(dir, batchSize, 1000, rand);
    if (tempFiles(dir).length > 0) killsInWrite += 1;
    n = await checkInvariants(t, dir, lastReported, batchSize, n);
  }
  t.log(`${n} rows after ${batchSizes.length} kills, ${killsInWrite} of them in the middle of writing a segment`);
  const writer = new DataManager(dir);
  await writer.save('t', expectedRow(n + 1));
  await writer.close();
  t.deepEqual(tempFiles(dir), [], 'the next writer removed leftover temp files');
  await checkInvariants(t, dir, n + 1, 1, n);
});

test('SIGKILL during automatic compaction: readers never see duplicated or missing rows', async (t) => {
  const seed = (Date.now() % 100_000) + 7;
  t.log(`seed ${seed}`);
  const rand = prng(seed);
  const dir = tempDir(t);
  let n = 0;
  let killsInCompaction = 0;
  const rounds = 10;
  for (let round = 0; round < rounds; round++) {
    // maxSegments 3 with one-row segments: nearly every save compacts
    const lastReported = await appendAndKill(dir, 1, 3, rand);
    const listing = (await listTable(path.join(dir, 't'), 't'))!;
    if (listing.superseded.length > 0 || listing.temps.length > 0) killsInCompaction += 1;
    n = await checkInvariants(t, dir, lastReported, 1, n);
  }
  t.log(`${n} rows after ${rounds} kills, ${killsInCompaction} of them left a compaction or write unfinished`);
  const writer = new DataManager(dir, { maxSegments: 3 });
  await writer.save('t', expectedRow(n + 1));
  await writer.close();
  t.true(segmentFiles(path.join(dir, 't')).length <= 3, 'superseded segments were removed by the next writer');
  await checkInvariants(t, dir, n + 1, 1, n);
});

test('readers alongside a writer process that compacts all the time see contiguous, intact rows', async (t) => {
  const dir = tempDir(t);
  const child = spawnChild(['append', dir, 't', '2', '3']);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  await new Promise<void>((resolve) => onLines(child, () => resolve()));
  const reader = new DataManager(dir);
  let delivered = 0;
  let reads = 0;
  const until = Date.now() + 4000;
  while (Date.now() < until) {
    const all = await reader.readAll('t');
    all.forEach((row, i) => {
      if (row[ROW_ID] !== i + 1 || row.seq !== i + 1 || row.text !== expectedRow(i + 1).text) {
        t.fail(`readAll: row at ${i} is ${JSON.stringify(row)}`);
      }
    });
    t.true(all.length >= delivered, 'a later read never has fewer rows');
    const fresh = await reader.readUpdate('t');
    fresh.forEach((row, k) => {
      if (row[ROW_ID] !== delivered + k + 1) t.fail(`readUpdate skipped or repeated: got ${String(row[ROW_ID])}, expected ${delivered + k + 1}`);
    });
    delivered += fresh.length;
    reads += 1;
  }
  child.kill('SIGKILL');
  await waitExit(child);
  t.is(stderr, '');
  t.log(`${reads} read rounds, ${delivered} rows delivered by readUpdate`);
  t.true(delivered > 0);
  const rest = await reader.readUpdate('t');
  t.is(delivered + rest.length, await reader.count('t'), 'every row delivered exactly once');
});

test('readUpdate across processes remembers each reader', async (t) => {
  const dir = tempDir(t);
  const dm = new DataManager(dir);
  t.teardown(() => dm.close());
  await dm.saveBatch('t', [{ v: 1 }, { v: 2 }, { v: 3 }]);
  const first = JSON.parse(await runChild(['read-update', dir, 't', 'trainer'])) as Array<Record<string, unknown>>;
  t.deepEqual(first.map((r) => r.v), [1, 2, 3]);
  await dm.saveBatch('t', [{ v: 4 }, { v: 5 }]);
  const second = JSON.parse(await runChild(['read-update', dir, 't', 'trainer'])) as Array<Record<string, unknown>>;
  t.deepEqual(second, [
    { [ROW_ID]: 4, v: 4 },
    { [ROW_ID]: 5, v: 5 },
  ]);
  t.deepEqual(JSON.parse(await runChild(['read-update', dir, 't', 'trainer'])), []);
  t.deepEqual(await dm.readUpdate('t', 'trainer'), [], 'this process sees the cursor the child moved');
  t.is((await dm.readUpdate('t', 'other')).length, 5);
});

test('a second writer process gets STORE_LOCKED; a killed writer leaves a stale lock that is taken over', async (t) => {
  const dir = tempDir(t);
  const child = spawnChild(['hold', dir, 't']);
  const locked = new Promise<void>((resolve) => onLines(child, (line) => line === 'locked' && resolve()));
  await locked;
  const dm = new DataManager(dir);
  t.teardown(() => dm.close());
  const err = await t.throwsAsync(dm.save('t', { mine: 1 }));
  t.true(isPilotScopeError(err, 'STORE_LOCKED'));
  t.regex(err!.message, new RegExp(`being written by process ${child.pid} on `));
  t.regex(err!.message, /stop the other writer or use another directory/);
  t.deepEqual((await dm.readAll('t')).map((r) => r.holder), [child.pid], 'reading needs no lock');

  child.kill('SIGKILL');
  await waitExit(child);
  t.true(fs.existsSync(path.join(dir, 'writer.lock')), 'the killed writer left its lock');
  t.is(await dm.save('t', { mine: 1 }), 2);
  t.is(JSON.parse(fs.readFileSync(path.join(dir, 'writer.lock'), 'utf8')).pid, process.pid);
});

test('a writer that closes releases the lock for the next process', async (t) => {
  const dir = tempDir(t);
  const child = spawnChild(['hold', dir, 't']);
  await new Promise<void>((resolve) => onLines(child, (line) => line === 'locked' && resolve()));
  child.stdin!.end();
  t.is(await waitExit(child), 0);
  t.false(fs.existsSync(path.join(dir, 'writer.lock')));
  const dm = new DataManager(dir);
  t.teardown(() => dm.close());
  t.is(await dm.save('t', { next: true }), 2);
});

test('stale, foreign and unreadable lock files', async (t) => {
  const lockOf = (dir: string): string => path.join(dir, 'writer.lock');
  const write = (dir: string, owner: unknown): void => fs.writeFileSync(lockOf(dir), typeof owner === 'string' ? owner : JSON.stringify(owner));
  const createdAt = new Date().toISOString();

  const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const dead = tempDir(t);
  write(dead, { pid: Number(deadPid), host: os.hostname(), processStart: null, createdAt });
  const a = new DataManager(dead);
  t.is(await a.save('t', { ok: 1 }), 1, 'a lock of a dead process is taken over');
  await a.close();

  const reused = tempDir(t);
  write(reused, { pid: process.ppid, host: os.hostname(), processStart: '1', createdAt });
  const b = new DataManager(reused);
  t.is(await b.save('t', { ok: 1 }), 1, 'a live pid that started at another time is a reused pid: stale');
  await b.close();

  const foreign = tempDir(t);
  write(foreign, { pid: 1, host: 'some-other-host', processStart: null, createdAt });
  const c = new DataManager(foreign);
  const e1 = await t.throwsAsync(c.save('t', { ok: 1 }));
  t.true(isPilotScopeError(e1, 'STORE_LOCKED'), 'a lock from another host cannot be checked: refused');
  t.regex(e1!.message, /If you are sure no such process is running, delete .*writer\.lock/);

  const garbled = tempDir(t);
  write(garbled, '{not json');
  const d = new DataManager(garbled);
  const e2 = await t.throwsAsync(d.save('t', { ok: 1 }));
  t.true(isPilotScopeError(e2, 'STORE_LOCKED'));
  t.regex(e2!.message, /lock file is unreadable/);
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(lockOf(garbled), old, old);
  t.is(await d.save('t', { ok: 1 }), 1, 'an old unreadable lock is a crash leftover: taken over');
  await d.close();
});

test('truncated and garbage segments are STORE_CORRUPT naming the file; repair() moves them aside', async (t) => {
  const dir = tempDir(t);
  const tableDir = path.join(dir, 't');
  const dm = new DataManager(dir);
  t.teardown(() => dm.close());
  await dm.saveBatch('t', [{ v: 1 }, { v: 2 }]);
  await dm.saveBatch('t', [{ v: 3 }]);
  await dm.saveBatch('t', [{ v: 4 }, { v: 5 }]);
  const [seg1, seg2, seg3] = segmentFiles(tableDir) as [string, string, string];

  const full = fs.readFileSync(path.join(tableDir, seg2));
  fs.writeFileSync(path.join(tableDir, seg2), full.subarray(0, full.length >> 1));
  const e1 = await t.throwsAsync(dm.readAll('t'));
  t.true(isPilotScopeError(e1, 'STORE_CORRUPT'));
  t.true(e1!.message.includes(path.join(tableDir, seg2)), 'names the file');
  t.regex(e1!.message, /checksum mismatch/);
  t.regex(e1!.message, /holds rows 3\.\.3/);
  t.regex(e1!.message, /Restore it from a backup, or call repair\('t'\)/);
  await t.throwsAsync(dm.readUpdate('t'), { instanceOf: Error, message: /is corrupt/ });

  // garbage whose checksum matches its name gets past the CRC and fails as Arrow, still cleanly
  const garbage = Buffer.from('ARROW1\0\0 definitely not a record batch');
  const garbageName = `seg-${'6'.padStart(16, '0')}-${'6'.padStart(16, '0')}-1-${zlib.crc32(garbage).toString(16).padStart(8, '0')}.arrow`;
  fs.writeFileSync(path.join(tableDir, garbageName), garbage);
  const e2 = await t.throwsAsync(dm.readAll('t'));
  t.true(isPilotScopeError(e2, 'STORE_CORRUPT'));

  const repaired = await dm.repair('t');
  t.deepEqual(repaired.movedFiles.sort(), [seg2, garbageName].sort());
  t.deepEqual(repaired.lostRows.sort((a, b) => a.first - b.first), [
    { first: 3, last: 3 },
    { first: 6, last: 6 },
  ]);
  t.true(fs.existsSync(path.join(tableDir, 'corrupt', seg2)));
  t.deepEqual((await dm.readAll('t')).map((r) => r.v), [1, 2, 4, 5]);
  t.is(await dm.save('t', { v: 7 }), 7, 'ids of moved-aside rows are never reused');
  t.deepEqual((await dm.readUpdate('t')).map((r) => r[ROW_ID]), [1, 2, 4, 5, 7]);
  t.deepEqual(segmentFiles(tableDir).slice(0, 2), [seg1, seg3]);
});

test('a corrupt newest segment stops saves with STORE_CORRUPT instead of writing past it', async (t) => {
  const dir = tempDir(t);
  const tableDir = path.join(dir, 't');
  const first = new DataManager(dir);
  await first.save('t', { v: 1 });
  await first.close();
  const [seg] = segmentFiles(tableDir) as [string];
  fs.writeFileSync(path.join(tableDir, seg), Buffer.alloc(100, 7));
  const dm = new DataManager(dir);
  t.teardown(() => dm.close());
  const err = await t.throwsAsync(dm.save('t', { v: 2 }));
  t.true(isPilotScopeError(err, 'STORE_CORRUPT'));
  t.is(await dm.count('t'), 1);
  await dm.repair('t');
  t.is(await dm.save('t', { v: 2 }), 2);
});

test('segments that disagree with their names or overlap are STORE_CORRUPT', async (t) => {
  const dir = tempDir(t);
  const tableDir = path.join(dir, 't');
  const dm = new DataManager(dir);
  t.teardown(() => dm.close());
  await dm.saveBatch('t', [{ v: 1 }, { v: 2 }]);
  const [seg] = segmentFiles(tableDir) as [string];
  // a valid Arrow file without the row id column, under a name with the right checksum
  const foreign = arrow.tableToIPC(arrow.tableFromArrays({ v: new Float64Array([1]) }), 'file');
  const name = `seg-${'3'.padStart(16, '0')}-${'3'.padStart(16, '0')}-1-${zlib.crc32(foreign).toString(16).padStart(8, '0')}.arrow`;
  fs.writeFileSync(path.join(tableDir, name), foreign);
  const e1 = await t.throwsAsync(dm.readAll('t'));
  t.true(isPilotScopeError(e1, 'STORE_CORRUPT'));
  t.regex(e1!.message, /first column is not the row id column/);
  fs.rmSync(path.join(tableDir, name));

  const overlapping = seg.replace(/^seg-0000000000000001/, 'seg-0000000000000002').replace(/-0000000000000002-2-/, '-0000000000000003-2-');
  fs.copyFileSync(path.join(tableDir, seg), path.join(tableDir, overlapping));
  const e2 = await t.throwsAsync(dm.readAll('t'));
  t.true(isPilotScopeError(e2, 'STORE_CORRUPT'));
  t.regex(e2!.message, /overlapping row ids/);
});

test('an unreadable reader cursor is STORE_CORRUPT with the fix', async (t) => {
  const dir = tempDir(t);
  const dm = new DataManager(dir);
  t.teardown(() => dm.close());
  await dm.save('t', { v: 1 });
  await dm.readUpdate('t', 'r');
  const cursor = path.join(dir, 't', 'cursors', 'r.json');
  fs.writeFileSync(cursor, '{"lastRowId": -3}');
  const err = await t.throwsAsync(dm.readUpdate('t', 'r'));
  t.true(isPilotScopeError(err, 'STORE_CORRUPT'));
  t.regex(err!.message, /Delete it to make that reader start again from the first row/);
  fs.rmSync(cursor);
  t.is((await dm.readUpdate('t', 'r')).length, 1);
});

test('a segment that keeps vanishing between listing and reading ends in STORE_IO, not a crash', async (t) => {
  const dir = tempDir(t);
  const dm = new DataManager(dir);
  t.teardown(() => dm.close());
  await dm.save('t', { v: 1 });
  // a dangling link looks like a segment that a compaction removed after every listing
  fs.symlinkSync(path.join(dir, 'gone'), path.join(dir, 't', `seg-${'2'.padStart(16, '0')}-${'2'.padStart(16, '0')}-1-00000000.arrow`));
  const err = await t.throwsAsync(dm.readAll('t'));
  t.true(isPilotScopeError(err, 'STORE_IO'));
  t.regex(err!.message, /kept changing while being read .* try again/);
});

test('a failed automatic compaction keeps the save, warns once and pauses until repair', async (t) => {
  const dir = tempDir(t);
  const tableDir = path.join(dir, 't');
  const dm = new DataManager(dir, { maxSegments: 3 });
  t.teardown(() => dm.close());
  await dm.save('t', { v: 1 });
  await dm.save('t', { v: 2 });
  await dm.save('t', { v: 3 });
  const [, second] = segmentFiles(tableDir) as [string, string];
  fs.writeFileSync(path.join(tableDir, second), 'garbage');
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    if (w.name === 'PilotScopeStoreWarning') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  t.is(await dm.save('t', { v: 4 }), 4, 'the save itself succeeded');
  t.is(await dm.save('t', { v: 5 }), 5);
  await new Promise((r) => setImmediate(r));
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /Automatic compaction of table 't' failed and is paused/);
  t.is(segmentFiles(tableDir).length, 5);
  await dm.repair('t');
  await dm.save('t', { v: 6 });
  t.true(segmentFiles(tableDir).length <= 3, 'compaction resumed after repair');
  t.deepEqual((await dm.readAll('t')).map((r) => r.v), [1, 3, 4, 5, 6]);
});

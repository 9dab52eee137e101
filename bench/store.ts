/**
 * Data store throughput and latency: `npm run bench -- store [reps]`.
 *
 * Every figure is the median of `reps` repetitions (default 5) measured in this one run:
 * - append throughput with saveBatch of 1 row and of 1000 rows (each save is durable: two fsyncs);
 * - readAll of 100k rows, as row objects and as an Arrow table, from one compacted segment, from
 *   32 segments (the automatic compaction limit) and from 1000 segments (no compaction);
 * - readUpdate latency with 1 new row in a 100k-row table, and with nothing new.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataManager, type Row } from '../src/store/index.js';
import { median, type BenchContext } from './harness.js';

function row(i: number): Row {
  return {
    query: `q${i % 113}`,
    executionTime: (i % 997) * 0.731,
    card: i * 3,
    ok: i % 11 !== 0,
    plan: { 'Node Type': i % 2 ? 'Hash Join' : 'Seq Scan', rows: i % 1000, Plans: [{ 'Node Type': 'Seq Scan' }] },
  };
}

function rows(from: number, count: number): Row[] {
  return Array.from({ length: count }, (_, k) => row(from + k));
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export default async function (ctx: BenchContext): Promise<void> {
  const reps = Number(ctx.args[0] ?? 5);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-bench-store-'));
  ctx.note(`data directory on ${root} (fsync per save); ${reps} repetitions, medians`);
  try {
    const dm = new DataManager(path.join(root, 'data'));

    // append throughput
    const single: number[] = [];
    const batched: number[] = [];
    for (let r = 0; r < reps; r++) {
      const saves = 100;
      const ms1 = await timeMs(async () => {
        for (let i = 0; i < saves; i++) await dm.save(`append1_${r}`, row(i));
      });
      single.push((saves / ms1) * 1000);
      const batches = 20;
      const ms1000 = await timeMs(async () => {
        for (let b = 0; b < batches; b++) await dm.saveBatch(`append1000_${r}`, rows(b * 1000, 1000));
      });
      batched.push(((batches * 1000) / ms1000) * 1000);
    }
    ctx.figure('store_save_batch1_rows_per_s', median(single), 'rows/s');
    ctx.figure('store_save_batch1000_rows_per_s', median(batched), 'rows/s');
    ctx.note(`batching 1000 rows per save is ${(median(batched) / median(single)).toFixed(0)}x the row rate of 1-row saves`);

    // a 100k-row table as 32 segments, and a copy compacted to one
    const loose = new DataManager(path.join(root, 'loose'), { maxSegments: 1000 });
    for (let s = 0; s < 32; s++) await loose.saveBatch('t', rows(s * 3125, 3125));
    for (let s = 0; s < 1000; s++) await loose.saveBatch('many', rows(s * 100, 100));
    await dm.saveBatch('big', rows(0, 100_000));
    await dm.compact('big');

    const readRowsOne: number[] = [];
    const readRowsMany: number[] = [];
    const readTableOne: number[] = [];
    const readTableMany: number[] = [];
    const readTableThousand: number[] = [];
    for (let r = 0; r < reps; r++) {
      readTableThousand.push(await timeMs(() => loose.readAllTable('many')));
      readRowsOne.push(await timeMs(() => dm.readAll('big')));
      readRowsMany.push(await timeMs(() => loose.readAll('t')));
      readTableOne.push(await timeMs(() => dm.readAllTable('big')));
      readTableMany.push(await timeMs(() => loose.readAllTable('t')));
    }
    ctx.figure('store_read_all_100k_rows_ms', median(readRowsOne), 'ms');
    ctx.figure('store_read_all_100k_rows_32_segments_ms', median(readRowsMany), 'ms');
    ctx.figure('store_read_all_table_100k_ms', median(readTableOne), 'ms');
    ctx.figure('store_read_all_table_100k_32_segments_ms', median(readTableMany), 'ms');
    ctx.figure('store_read_all_table_100k_1000_segments_ms', median(readTableThousand), 'ms');
    ctx.note(`1000 segments read ${(median(readTableThousand) / median(readTableOne)).toFixed(1)}x slower than one compacted segment`);
    ctx.figure('store_read_all_100k_rows_per_s', (100_000 / median(readRowsOne)) * 1000, 'rows/s');

    // readUpdate latency on the 100k-row table
    await dm.readUpdate('big', 'bench');
    const oneNew: number[] = [];
    const nothingNew: number[] = [];
    for (let r = 0; r < Math.max(reps, 20); r++) {
      await dm.save('big', row(r));
      oneNew.push(await timeMs(() => dm.readUpdate('big', 'bench')));
      nothingNew.push(await timeMs(() => dm.readUpdate('big', 'bench')));
    }
    ctx.figure('store_read_update_1_new_row_ms', median(oneNew), 'ms');
    ctx.figure('store_read_update_nothing_new_ms', median(nothingNew), 'ms');

    await loose.close();
    await dm.close();
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

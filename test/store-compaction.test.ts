import test from 'ava';
import path from 'node:path';
import { tailToMerge } from '../src/store/compaction-policy.js';
import { DataManager } from '../src/store/index.js';
import { segmentFiles, tempDir } from './helpers/store.js';

test('tailToMerge: nothing under the limit; the newest two at least; older ones while not bigger', (t) => {
  t.is(tailToMerge([5, 4, 3], 3), undefined);
  t.is(tailToMerge([1], 0), undefined);
  t.is(tailToMerge([100, 1, 1, 1], 3), 1, '1+1 >= 1 pulls the third-newest in, 100 stays');
  t.is(tailToMerge([100, 50, 8, 1], 3), 2, 'only the newest two: 8 > 1+1');
  t.is(tailToMerge([3, 3, 3, 3], 3), 0);
});

/** Simulates one-row saves under the policy: the most segments seen and rows rewritten per row. */
function simulate(appends: number, maxSegments: number): { maxCount: number; rewrittenPerRow: number } {
  let segs: number[] = [];
  let rewritten = 0;
  let maxCount = 0;
  for (let i = 0; i < appends; i++) {
    segs.push(1);
    for (let start = tailToMerge(segs, maxSegments); start !== undefined; start = tailToMerge(segs, maxSegments)) {
      const merged = segs.slice(start).reduce((a, b) => a + b, 0);
      rewritten += merged;
      segs = [...segs.slice(0, start), merged];
    }
    maxCount = Math.max(maxCount, segs.length);
  }
  return { maxCount, rewrittenPerRow: rewritten / appends };
}

test('the policy bounds the segment count with little rewriting', (t) => {
  // regression guards on the simulated write amplification (rows rewritten per row saved)
  const cases: Array<[n: number, maxSegments: number, maxRewrites: number]> = [
    [1_000, 8, 5],
    [100_000, 8, 35],
    [100_000, 32, 4],
  ];
  for (const [n, maxSegments, maxRewrites] of cases) {
    const { maxCount, rewrittenPerRow } = simulate(n, maxSegments);
    t.true(maxCount <= maxSegments, `count stays <= ${maxSegments} (${maxCount})`);
    t.true(rewrittenPerRow <= maxRewrites, `n=${n}, max ${maxSegments}: ${rewrittenPerRow.toFixed(2)} rewrites per row`);
  }
});

test('a table left with too many segments (a crash before compaction) is brought back under the limit', async (t) => {
  const dir = tempDir(t);
  const loose = new DataManager(dir, { maxSegments: 100 });
  for (let i = 0; i < 12; i++) await loose.saveBatch('t', Array.from({ length: 2 ** (12 - i) }, () => ({ i })));
  await loose.close();
  t.is(segmentFiles(path.join(dir, 't')).length, 12);
  const strict = new DataManager(dir, { maxSegments: 3 });
  t.teardown(() => strict.close());
  await strict.save('t', { i: 12 });
  t.true(segmentFiles(path.join(dir, 't')).length <= 3);
  const rows = await strict.readAll('t');
  t.is(rows.length, 2 ** 13 - 2 + 1);
  t.deepEqual(rows.map((r) => r.pilot_data_id), Array.from({ length: rows.length }, (_, i) => i + 1));
});

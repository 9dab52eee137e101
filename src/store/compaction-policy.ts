/**
 * When and what to compact automatically. Once a table has more than `maxSegments` segments, the
 * newest segments are merged: the newest two always, then each older segment as long as it holds
 * no more rows than the segments already chosen. Big old segments are thus rewritten only when
 * as much new data has arrived, and the segment count never exceeds `maxSegments` after a save.
 * Write amplification (simulated in test/store-compaction.test.ts): with the default 32
 * segments, 100k one-row saves rewrite each row 3.6 times on average, 1M one-row saves 4.8 times.
 */

/** Index of the first segment of the tail to merge, or undefined if nothing needs merging. */
export function tailToMerge(rowsPerSegment: readonly number[], maxSegments: number): number | undefined {
  const n = rowsPerSegment.length;
  if (n <= maxSegments || n < 2) return undefined;
  let start = n - 2;
  let chosen = rowsPerSegment[n - 1]! + rowsPerSegment[n - 2]!;
  while (start > 0 && rowsPerSegment[start - 1]! <= chosen) {
    start -= 1;
    chosen += rowsPerSegment[start]!;
  }
  return start;
}

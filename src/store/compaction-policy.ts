/**
 * When and what to compact automatically. Segments are merged from the newest backwards: the
 * newest two always, then each older segment as long as it holds no more rows than the segments
 * already chosen. A row is rewritten only when its segment at least doubles, so every row is
 * rewritten O(log n) times, and a table never keeps more than `maxSegments` segments.
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

/**
 * Spark prints plans as indented trees:
 *
 *   Aggregate [...], Statistics(...)
 *   +- Join Inner, (a#1 = b#2), Statistics(...)
 *      :- Project [a#1], Statistics(...)
 *      :  +- Relation spark_catalog.default.t[a#1] parquet, Statistics(...)
 *      +- ...
 *
 * Each level indents by three characters; a child line starts with ":- " (more siblings follow)
 * or "+- " (last child). This module turns such text into a tree and reads the numbers in it.
 */

export interface TextTreeNode {
  text: string;
  children: TextTreeNode[];
}

const CHILD_MARKER = /^((?:[ :]  )*)([+:]- )/;

/** Parses the tree starting at the first non-empty line; stops at the first blank line after it. */
export function parseTextTree(lines: readonly string[]): TextTreeNode | undefined {
  const start = lines.findIndex((l) => l.trim() !== '');
  if (start === -1) return undefined;
  const root: TextTreeNode = { text: lines[start]!.trim(), children: [] };
  const stack: Array<{ depth: number; node: TextTreeNode }> = [{ depth: 0, node: root }];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') break;
    const marker = CHILD_MARKER.exec(line);
    if (!marker) {
      // A continuation of the previous node's text (Spark wraps nothing, but be lenient).
      stack[stack.length - 1]!.node.text += ` ${line.trim()}`;
      continue;
    }
    const depth = marker[1]!.length / 3 + 1;
    const node: TextTreeNode = { text: line.slice(marker[0].length).trim(), children: [] };
    while (stack.length > 1 && stack[stack.length - 1]!.depth >= depth) stack.pop();
    stack[stack.length - 1]!.node.children.push(node);
    stack.push({ depth, node });
  }
  return root;
}

/** The lines of the section that follows a "== Title ==" header, up to the next header. */
export function section(text: string, title: string): string[] | undefined {
  const lines = text.replace(/\r/g, '').split('\n');
  const at = lines.findIndex((l) => l.trim() === `== ${title} ==`);
  if (at === -1) return undefined;
  const end = lines.findIndex((l, i) => i > at && /^== .* ==$/.test(l.trim()));
  return lines.slice(at + 1, end === -1 ? undefined : end);
}

export interface SparkStatistics {
  sizeInBytes: number;
  /** Present when the cost-based optimizer had row counts (CBO on, tables analyzed). */
  rowCount?: number;
}

const UNIT_BYTES: Record<string, number> = {
  B: 1,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  PiB: 2 ** 50,
  EiB: 2 ** 60,
};

/** Reads `Statistics(sizeInBytes=1.2 KiB, rowCount=7.99E+4)` (rowCount optional) out of a node's text. */
export function parseStatistics(text: string): SparkStatistics | undefined {
  const match = /Statistics\(sizeInBytes=([0-9.]+(?:E[+-]?\d+)?)\s*([KMGTPE]iB|B)(?:,\s*rowCount=([0-9.]+(?:E[+-]?\d+)?))?/.exec(text);
  if (!match) return undefined;
  const stats: SparkStatistics = { sizeInBytes: parseSize(`${match[1]} ${match[2]}`) };
  if (match[3] !== undefined) stats.rowCount = Number(match[3]);
  return stats;
}

/** "1.2 KiB" -> 1228.8, "16.0 B" -> 16; also plain byte counts. */
export function parseSize(text: string): number {
  const match = /^\s*([0-9.]+(?:E[+-]?\d+)?)\s*([KMGTPE]iB|B)?\s*$/.exec(text);
  if (!match) return Number.NaN;
  return Number(match[1]) * UNIT_BYTES[match[2] ?? 'B']!;
}

/** The table name in "spark_catalog.default.posts", "`default`.`posts`" or "posts". */
export function tableName(qualified: string): string {
  const parts = qualified.split('.');
  return parts[parts.length - 1]!.replace(/`/g, '');
}

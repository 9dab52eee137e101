// Synthetic workloads shared by the native tests and bench/native.ts.
import type { PlanNode } from '../../src/engine/types.js';
import type { MscnMetadataInput, RelSetSpec } from '../../src/native/index.js';

/** A tiny deterministic generator (mulberry32), so tests do not depend on Math.random. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TABLE_ROWS: Record<string, number> = { a: 1e3, b: 5e3, c: 2e4, d: 1e5, e: 3e5, f: 8e5, g: 2e6, h: 5e6 };
export const TABLES = Object.keys(TABLE_ROWS);

export function syntheticMscnMetadata(hidden = 64): MscnMetadataInput {
  return {
    tables: TABLES,
    columns: TABLES.flatMap((t) => [
      { name: `${t}.x`, min: 0, max: 100 },
      { name: `${t}.y`, min: 0, max: 1000 },
    ]),
    joins: TABLES.slice(0, -1).map((t, i) => `${t}.id=${TABLES[i + 1]}.${t}_id`),
    operators: ['=', '<', '>', 'IN'],
    hidden,
    seed: 3,
  };
}

/**
 * A chain of tables first..last with range filters; the true cardinality is the last table's
 * rows times the filters' selectivities (a known function).
 */
export function syntheticRelSets(count: number, seed: number, maxTables = 4): { relSets: RelSetSpec[]; cards: number[] } {
  const r = rng(seed);
  const relSets: RelSetSpec[] = [];
  const cards: number[] = [];
  for (let s = 0; s < count; s++) {
    const size = 1 + Math.floor(r() * maxTables);
    const first = Math.floor(r() * (TABLES.length - size + 1));
    const tables = TABLES.slice(first, first + size);
    let card = TABLE_ROWS[tables[tables.length - 1]!]!;
    const predicates: RelSetSpec['predicates'][number][] = [];
    for (const t of tables) {
      if (r() < 0.5) continue;
      const useX = r() < 0.5;
      const max = useX ? 100 : 1000;
      const v = r() * max;
      const less = r() < 0.5;
      predicates.push({ column: `${t}.${useX ? 'x' : 'y'}`, operator: less ? '<' : '>', values: [v] });
      card *= less ? v / max : 1 - v / max;
    }
    const joins = tables.slice(0, -1).map((t, i) => `${t}.id=${tables[i + 1]}.${t}_id`);
    relSets.push({ tables, joins, predicates });
    cards.push(Math.floor(card));
  }
  return { relSets, cards };
}

const SCANS = ['Seq Scan', 'Index Scan'];
const JOINS = ['Hash Join', 'Nested Loop'];

/** A random left-deep plan over `tables` scans and its synthetic cost (what a latency would be). */
export function syntheticPlan(tables: number, r: () => number): { plan: PlanNode; cost: number } {
  let cost = 0;
  const scan = (): PlanNode => {
    const type = SCANS[Math.floor(r() * 2)]!;
    const rows = 10 ** (1 + 4 * r());
    cost += rows * (type === 'Seq Scan' ? 1 : 3);
    return { nodeType: type, relationName: TABLES[Math.floor(r() * 4)]!, rows, width: 8 + Math.floor(r() * 64), children: [] };
  };
  const build = (k: number): PlanNode => {
    if (k === 1) return scan();
    const type = JOINS[Math.floor(r() * 2)]!;
    const left = build(k - 1);
    const right = scan();
    const rows = Math.sqrt(left.rows * right.rows);
    cost += rows * (type === 'Hash Join' ? 1 : 5);
    const inner: PlanNode = type === 'Hash Join' ? { nodeType: 'Hash', rows: right.rows, width: right.width, children: [right] } : right;
    return { nodeType: type, rows, width: 16, children: [left, inner] };
  };
  const plan = build(tables);
  return { plan, cost };
}

export function qError(estimate: number, truth: number): number {
  const e = estimate + 1;
  const t = truth + 1;
  return Math.max(e / t, t / e);
}

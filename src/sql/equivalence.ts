/**
 * Equivalence classes of columns, as PostgreSQL's planner builds them from `a.x = b.y` clauses:
 * every column of a class equals every other, so any two relations in one class are joinable,
 * and a class holding a constant (`b.y = 5`) gives every member that filter.
 */
import type { ColumnKind } from '../engine/types.js';
import type { ColumnRef, ComparePredicate, Literal, Predicate, QueryGraph, UnsupportedConstruct } from './graph.js';
import { predicateSql } from './render.js';

function refKey(r: { alias: string; column: string }): string {
  return `${r.alias}\u0000${r.column}`;
}

export interface DerivedProblem {
  construct: UnsupportedConstruct;
  reason: string;
  offset?: number;
}

function findRoot(parent: Map<string, string>, k: string): string {
  let root = k;
  while (parent.get(root) !== root) root = parent.get(root)!;
  while (k !== root) {
    const next = parent.get(k)!;
    parent.set(k, root);
    k = next;
  }
  return root;
}

function compareRefs(a: ColumnRef, b: ColumnRef): number {
  if (a.alias !== b.alias) return a.alias < b.alias ? -1 : 1;
  return a.column < b.column ? -1 : a.column > b.column ? 1 : 0;
}

/** The equivalence classes of a graph's join edges (sorted members, classes in member order). */
export function equivalenceClasses(graph: Pick<QueryGraph, 'joins'>): ColumnRef[][] {
  const parent = new Map<string, string>();
  const refs = new Map<string, ColumnRef>();
  for (const edge of graph.joins) {
    const l = refKey(edge.left);
    const r = refKey(edge.right);
    if (!parent.has(l)) {
      parent.set(l, l);
      refs.set(l, edge.left);
    }
    if (!parent.has(r)) {
      parent.set(r, r);
      refs.set(r, edge.right);
    }
    const a = findRoot(parent, l);
    const b = findRoot(parent, r);
    if (a !== b) parent.set(a, b);
  }
  const classes = new Map<string, ColumnRef[]>();
  for (const k of parent.keys()) {
    const root = findRoot(parent, k);
    let members = classes.get(root);
    if (!members) classes.set(root, (members = []));
    const ref = refs.get(k)!;
    members.push({ alias: ref.alias, column: ref.column });
  }
  const sorted = [...classes.values()];
  for (const members of sorted) members.sort(compareRefs);
  return sorted.sort((a, b) => compareRefs(a[0]!, b[0]!));
}

/**
 * Whether PostgreSQL puts `column = constant` into the column's equivalence class. It does when
 * the constant is coerced to the column's type; a constant of a wider type (5.5 against an
 * integer column, a timestamp against a date) casts the column instead and stays a plain filter.
 */
function joinsClass(lit: Literal, kinds: Array<ColumnKind | undefined>): boolean {
  switch (lit.type) {
    case 'string':
    case 'date':
      return true;
    case 'number':
      return /^-?\d+$/.test(lit.text) || kinds.every((k) => k === 'float');
    case 'timestamp':
      return kinds.every((k) => k === 'timestamp');
    default:
      // `flag = true` is simplified to `flag`, and `x = NULL` to NULL: neither is an equality.
      return false;
  }
}

/**
 * Fills `graph.equivalences` and appends the filters implied by classes with a constant
 * (marked `derived`). Columns of one relation in one class are reported: PostgreSQL filters
 * that relation with their equality, which a predicate cannot express.
 */
export function deriveFromEquivalences(graph: QueryGraph, kindOf: (ref: ColumnRef) => ColumnKind | undefined): { unsupported: DerivedProblem[] } {
  const unsupported: DerivedProblem[] = [];
  graph.equivalences = equivalenceClasses(graph);
  if (graph.equivalences.length === 0) return { unsupported };
  const classOf = new Map<string, ColumnRef[]>();
  for (const members of graph.equivalences) {
    for (let i = 1; i < members.length; i++) {
      if (members[i]!.alias === members[i - 1]!.alias) {
        const same = members.filter((m) => m.alias === members[i]!.alias).map((m) => `${m.alias}.${m.column}`);
        unsupported.push({
          construct: 'column-comparison',
          reason: `${same.join(' and ')} are equal through join conditions; PostgreSQL filters relation ${members[i]!.alias} with that equality, which a predicate cannot express`,
        });
        break;
      }
    }
    for (const m of members) classOf.set(refKey(m), members);
  }
  const derived: Predicate[] = [];
  let existing: Set<string> | undefined;
  for (const p of graph.predicates) {
    if (p.op !== '=') continue;
    const members = classOf.get(refKey(p));
    if (!members || !joinsClass(p.value, members.map(kindOf))) continue;
    existing ??= new Set(graph.predicates.map((q) => predicateSql(q, 'postgresql')));
    for (const m of members) {
      const implied: ComparePredicate = { alias: m.alias, op: '=', column: m.column, value: p.value, derived: true };
      const key = predicateSql(implied, 'postgresql');
      if (existing.has(key)) continue;
      existing.add(key);
      derived.push(implied);
    }
  }
  graph.predicates.push(...derived);
  return { unsupported };
}

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

function findRoot(parent: number[], i: number): number {
  while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
  return i;
}

function compareRefs(a: ColumnRef, b: ColumnRef): number {
  if (a.alias !== b.alias) return a.alias < b.alias ? -1 : 1;
  return a.column < b.column ? -1 : a.column > b.column ? 1 : 0;
}

/** The equivalence classes of a graph's join edges (sorted members, classes in member order). */
export function equivalenceClasses(graph: Pick<QueryGraph, 'joins'>): ColumnRef[][] {
  const ids = new Map<string, number>();
  const refs: ColumnRef[] = [];
  const parent: number[] = [];
  const idOf = (r: ColumnRef): number => {
    const key = refKey(r);
    let id = ids.get(key);
    if (id === undefined) {
      id = refs.length;
      ids.set(key, id);
      refs.push({ alias: r.alias, column: r.column });
      parent.push(id);
    }
    return id;
  };
  for (const edge of graph.joins) {
    const a = findRoot(parent, idOf(edge.left));
    const b = findRoot(parent, idOf(edge.right));
    if (a !== b) parent[a] = b;
  }
  const byRoot = new Map<number, ColumnRef[]>();
  for (let i = 0; i < refs.length; i++) {
    const root = findRoot(parent, i);
    const members = byRoot.get(root);
    if (members) members.push(refs[i]!);
    else byRoot.set(root, [refs[i]!]);
  }
  const classes = [...byRoot.values()];
  for (const members of classes) members.sort(compareRefs);
  return classes.sort((a, b) => compareRefs(a[0]!, b[0]!));
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

/**
 * From the SQL analysis to MSCN's input: a relation set becomes its tables, its joins (named by
 * table and column, so the same join in different queries is the same feature) and its filters
 * (column "table.column", an operator, the literals).
 */
import type { RelSetPredicate, RelSetSpec, SqlLiteral } from '../../native/index.js';
import { DEFAULT_MSCN_OPERATORS } from '../../native/index.js';
import type { AtomPredicate, Literal, Predicate, QueryGraph, RelationSet } from '../../sql/index.js';
import { tablesByAlias } from '../common/query-analysis.js';

/** Every operator name this featurization emits (the model's operator vocabulary). */
export const MSCN_OPERATORS: readonly string[] = [...DEFAULT_MSCN_OPERATORS, 'NOT BETWEEN', 'ILIKE', 'NOT ILIKE', 'OR', 'AND'];

/** `a.x = b.y` by table names, sides in a fixed order. */
export function joinName(leftTable: string, leftColumn: string, rightTable: string, rightColumn: string): string {
  const l = `${leftTable}.${leftColumn}`;
  const r = `${rightTable}.${rightColumn}`;
  return l <= r ? `${l}=${r}` : `${r}=${l}`;
}

export function relSetSpec(graph: QueryGraph, set: RelationSet, tables: Map<string, string> = tablesByAlias(graph)): RelSetSpec {
  const table = (alias: string): string => tables.get(alias) ?? alias;
  // Sorted, so the same relation set under other aliases gives the same spec (the model's set
  // pooling does not depend on order either).
  return {
    tables: set.relations.map((r) => r.table).sort(),
    joins: set.joins.map((e) => joinName(table(e.left.alias), e.left.column, table(e.right.alias), e.right.column)).sort(),
    predicates: set.predicates.map((p) => predicateSpec(p, table(p.alias))).sort((a, b) => (a.column < b.column ? -1 : a.column > b.column ? 1 : 0)),
  };
}

function literalValue(lit: Literal): SqlLiteral | undefined {
  switch (lit.type) {
    case 'number':
      return lit.value;
    case 'string':
      return lit.value;
    case 'date':
    case 'timestamp':
      return lit.epoch;
    case 'boolean':
      return lit.value;
    case 'null':
      return undefined;
  }
}

function values(lits: readonly Literal[]): SqlLiteral[] {
  const out: SqlLiteral[] = [];
  for (const lit of lits) {
    const v = literalValue(lit);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** The first column a (possibly grouped) predicate filters. */
function firstColumn(p: Predicate): string {
  if (p.op === 'OR' || p.op === 'AND') return firstColumn(p.args[0]!);
  return (p as AtomPredicate).column;
}

/** All literals inside a predicate (for groups: of every member). */
function literalsOf(p: Predicate): Literal[] {
  switch (p.op) {
    case 'OR':
    case 'AND':
      return p.args.flatMap(literalsOf);
    case 'BETWEEN':
    case 'NOT-BETWEEN':
      return [p.low, p.high];
    case 'IN':
    case 'NOT-IN':
      return p.values;
    case 'LIKE':
    case 'NOT-LIKE':
    case 'ILIKE':
    case 'NOT-ILIKE':
      return [{ type: 'string', value: p.pattern }];
    case 'IS-NULL':
    case 'IS-NOT-NULL':
      return [];
    default:
      return [p.value];
  }
}

export function predicateSpec(p: Predicate, table: string): RelSetPredicate {
  const column = `${table}.${firstColumn(p)}`;
  switch (p.op) {
    case 'OR':
    case 'AND':
      // A group on one relation is one element: its first column, its literals' range.
      return { column, operator: p.op, values: values(literalsOf(p)) };
    case 'IS-DISTINCT-FROM':
      return p.value.type === 'null' ? { column, operator: 'IS NOT NULL', values: [] } : { column, operator: '<>', values: values([p.value]) };
    case 'IS-NOT-DISTINCT-FROM':
      return p.value.type === 'null' ? { column, operator: 'IS NULL', values: [] } : { column, operator: '=', values: values([p.value]) };
    case 'IS-NULL':
      return { column, operator: 'IS NULL', values: [] };
    case 'IS-NOT-NULL':
      return { column, operator: 'IS NOT NULL', values: [] };
    case 'LIKE':
    case 'NOT-LIKE':
    case 'ILIKE':
    case 'NOT-ILIKE':
      return { column, operator: p.op.replace('-', ' '), values: [p.pattern] };
    case 'BETWEEN':
    case 'NOT-BETWEEN':
      return { column, operator: p.op.replace('-', ' '), values: values([p.low, p.high]) };
    case 'IN':
    case 'NOT-IN':
      return { column, operator: p.op.replace('-', ' '), values: values(p.values) };
    default:
      return { column, operator: p.op, values: values([p.value]) };
  }
}

/** Tables and filter columns a set of specs refers to. */
export function vocabularyOf(specs: Iterable<RelSetSpec>): { tables: Set<string>; columns: Set<string>; joins: Set<string> } {
  const tables = new Set<string>();
  const columns = new Set<string>();
  const joins = new Set<string>();
  for (const s of specs) {
    for (const t of s.tables) tables.add(t);
    for (const j of s.joins) joins.add(j);
    for (const p of s.predicates) columns.add(p.column);
  }
  return { tables, columns, joins };
}

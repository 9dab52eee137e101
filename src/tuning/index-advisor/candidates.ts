/**
 * Indexable columns of a workload: per query, the columns its filters and equi-joins use, by
 * table (from the query graph). Columns the schema does not know are left out; a query the
 * analysis cannot read at all keeps an empty column set and counts against every index.
 */
import type { ExistingIndex, IndexSpec, SchemaInfo } from '../../engine/types.js';
import { analyze, type Predicate, type QueryGraph } from '../../sql/index.js';

export interface QueryColumns {
  sql: string;
  /** Indexable columns per table. */
  columns: Map<string, Set<string>>;
  /** The analysis could not read the statement (every index is relevant to it). */
  unreadable?: string;
}

export interface WorkloadColumns {
  queries: QueryColumns[];
  /** Every indexable (table, column), sorted. */
  indexable: Array<{ table: string; column: string }>;
  notices: string[];
}

export function workloadColumns(queries: readonly string[], schema: SchemaInfo, dialect: 'postgresql' | 'spark'): WorkloadColumns {
  const known = new Map(schema.tables.map((t) => [t.name, new Set(t.columns.map((c) => c.name))]));
  const out: QueryColumns[] = [];
  let unreadable = 0;
  for (const sql of queries) {
    let graph: QueryGraph;
    try {
      graph = analyze(sql, { dialect, schema });
    } catch (err) {
      unreadable++;
      out.push({ sql, columns: new Map(), unreadable: (err as Error).message });
      continue;
    }
    out.push({ sql, columns: graphColumns(graph, known) });
  }
  const all = new Map<string, { table: string; column: string }>();
  for (const q of out) for (const [table, columns] of q.columns) for (const column of columns) all.set(`${table}.${column}`, { table, column });
  const indexable = [...all.values()].sort((a, b) => a.table.localeCompare(b.table) || a.column.localeCompare(b.column));
  const notices = unreadable ? [`${unreadable} quer${unreadable === 1 ? 'y' : 'ies'} could not be analysed; they are costed with every candidate index.`] : [];
  return { queries: out, indexable, notices };
}

function graphColumns(graph: QueryGraph, known: Map<string, Set<string>>): Map<string, Set<string>> {
  const tableOf = new Map(graph.relations.map((r) => [r.alias, r.table]));
  const columns = new Map<string, Set<string>>();
  const add = (alias: string, column: string): void => {
    const table = tableOf.get(alias);
    if (!table || !known.get(table)?.has(column)) return;
    if (!columns.has(table)) columns.set(table, new Set());
    columns.get(table)!.add(column);
  };
  const visit = (p: Predicate): void => {
    if ('args' in p) p.args.forEach(visit);
    else add(p.alias, p.column);
  };
  graph.predicates.forEach(visit);
  for (const join of graph.joins) {
    add(join.left.alias, join.left.column);
    add(join.right.alias, join.right.column);
  }
  return columns;
}

/** An index some existing index already serves: same table, and its columns lead that index's key. */
export function coveredByExisting(index: IndexSpec, existing: readonly ExistingIndex[]): boolean {
  return existing.some((e) => e.table === index.table && !e.expression && index.columns.length <= e.columns.length && index.columns.every((c, i) => e.columns[i] === c));
}

/** The indexes of `set` that can matter to a query: on a table it reads, with a column it uses. */
export function relevantIndexes(query: QueryColumns, set: readonly IndexSpec[]): IndexSpec[] {
  if (query.unreadable !== undefined) return [...set];
  return set.filter((index) => {
    const used = query.columns.get(index.table);
    return used !== undefined && index.columns.some((c) => used.has(c));
  });
}

export function indexKey(index: IndexSpec): string {
  return `${index.table}(${index.columns.join(',')})`;
}

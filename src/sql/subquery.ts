/**
 * Sub-query SQL: the `SELECT count(*)` text of a relation set, for people to read and for the
 * upstream-compatible `sub-query SQL -> rows` map. The key, not this text, is what engines use.
 */
import { relSetAliases } from '../engine/relset-key.js';
import type { RelSetKey } from '../engine/types.js';
import { PilotScopeError } from '../errors.js';
import { requireSupported, setIndexOf, type RelationSet } from './enumerate.js';
import type { JoinEdge, Predicate, QueryGraph, Relation } from './graph.js';
import type { Dialect } from './lexer.js';
import { edgeSql, predicateSql, relationSql } from './render.js';

/** Rendered pieces are shared by many sets: render each once per dialect. */
const rendered = { postgresql: new WeakMap<object, string>(), spark: new WeakMap<object, string>() };

function once<T extends object>(item: T, dialect: Dialect, render: (x: T, d: Dialect) => string): string {
  const cache = rendered[dialect];
  let s = cache.get(item);
  if (s === undefined) cache.set(item, (s = render(item, dialect)));
  return s;
}

export function relationSqlCached(r: Relation, dialect: Dialect): string {
  return once(r, dialect, relationSql);
}
export function edgeSqlCached(e: JoinEdge, dialect: Dialect): string {
  return once(e, dialect, edgeSql);
}
export function predicateSqlCached(p: Predicate, dialect: Dialect): string {
  return once(p, dialect, predicateSql);
}

/** The relation set of any non-empty subset of the query's aliases (given as a key or a list). */
export function relationSetOf(graph: QueryGraph, aliases: RelSetKey | readonly string[]): RelationSet {
  requireSupported(graph, 'A relation set');
  const list = typeof aliases === 'string' ? relSetAliases(aliases) : aliases;
  if (list.length === 0) throw new PilotScopeError('USAGE', 'a relation set needs at least one alias');
  return setIndexOf(graph).relationSet(setIndexOf(graph).maskOf(list));
}

function validDialect(dialect: Dialect): Dialect {
  if (dialect !== 'postgresql' && dialect !== 'spark') {
    throw new PilotScopeError('USAGE', `dialect must be 'postgresql' or 'spark', got ${JSON.stringify(dialect)}`);
  }
  return dialect;
}

/**
 * `SELECT count(*) FROM t1 AS a, t2 AS b WHERE <joins> AND <filters>` for a relation set
 * (relations in alias order, joins then filters in graph order).
 */
export function subquerySql(graph: QueryGraph, set: RelationSet | RelSetKey | readonly string[], dialect: Dialect = 'postgresql'): string {
  validDialect(dialect);
  const rs = typeof set === 'string' || Array.isArray(set) ? relationSetOf(graph, set as RelSetKey | readonly string[]) : (set as RelationSet);
  let sql = 'SELECT count(*) FROM ';
  for (let i = 0; i < rs.relations.length; i++) {
    if (i > 0) sql += ', ';
    sql += relationSqlCached(rs.relations[i]!, dialect);
  }
  let first = true;
  for (const e of rs.joins) {
    sql += first ? ' WHERE ' : ' AND ';
    first = false;
    sql += edgeSqlCached(e, dialect);
  }
  for (const p of rs.predicates) {
    sql += first ? ' WHERE ' : ' AND ';
    first = false;
    sql += predicateSqlCached(p, dialect);
  }
  return sql;
}

/**
 * The upstream-compatible map (PilotScope's `subquery_2_card`): sub-query SQL -> rows, from a
 * map keyed by relation-set key.
 */
export function subqueryCardsBySql(
  graph: QueryGraph,
  cardsByKey: Readonly<Record<RelSetKey, number>>,
  dialect: Dialect = 'postgresql',
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, rows] of Object.entries(cardsByKey)) out[subquerySql(graph, key, dialect)] = rows;
  return out;
}

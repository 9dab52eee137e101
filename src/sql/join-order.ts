/**
 * A whole inner-join query rendered with an explicit join order: `FROM a JOIN b ON ... JOIN c ON
 * ...`, every join carrying the equalities between its two sides, the right side parenthesized
 * when it is itself a join. Spark keeps this order when CBO join reordering is off; join methods
 * become Spark hints naming the relation on one side of that join.
 */
import type { JoinMethod, JoinTree } from '../engine/types.js';
import { PilotScopeError } from '../errors.js';
import { makeEdge } from './build-graph.js';
import { requireSupported, setIndexOf } from './enumerate.js';
import type { JoinEdge, QueryGraph } from './graph.js';
import type { Dialect } from './lexer.js';
import { quoteIdent } from './render.js';
import { edgeSqlCached, predicateSqlCached, relationSqlCached } from './subquery.js';

const SPARK_HINTS: Record<JoinMethod, string> = {
  broadcast: 'BROADCAST',
  hash: 'SHUFFLE_HASH',
  merge: 'MERGE',
  nestloop: 'SHUFFLE_REPLICATE_NL',
};

function leaves(tree: JoinTree, out: string[] = []): string[] {
  if (typeof tree === 'string') out.push(tree);
  else if (tree && typeof tree === 'object' && 'left' in tree && 'right' in tree) {
    leaves(tree.left, out);
    leaves(tree.right, out);
  } else {
    throw new PilotScopeError('USAGE', `a join tree node must be an alias or { left, right }, got ${JSON.stringify(tree)}`);
  }
  return out;
}

function checkTree(graph: QueryGraph, tree: JoinTree): void {
  const found = leaves(tree);
  const aliases = new Set(graph.relations.map((r) => r.alias));
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const a of found) {
    if (!aliases.has(a)) problems.push(`"${a}" is not an alias of the query`);
    else if (seen.has(a)) problems.push(`"${a}" appears twice`);
    seen.add(a);
  }
  const missing = [...aliases].filter((a) => !seen.has(a));
  if (missing.length) problems.push(`missing ${missing.join(', ')}`);
  if (problems.length) {
    throw new PilotScopeError('USAGE', `the join tree must name every alias of the query exactly once: ${problems.join('; ')}`, {
      aliases: [...aliases],
      leaves: found,
    });
  }
}

/** The equalities joining two disjoint sides: per equivalence class one edge, written ones preferred. */
function edgesBetween(graph: QueryGraph, leftMask: number, rightMask: number): JoinEdge[] {
  const index = setIndexOf(graph);
  const bit = (alias: string): number => 1 << index.aliasIndex.get(alias)!;
  const out: JoinEdge[] = [];
  for (const members of graph.equivalences) {
    const l = members.filter((m) => leftMask & bit(m.alias));
    const r = members.filter((m) => rightMask & bit(m.alias));
    if (l.length === 0 || r.length === 0) continue;
    const written = graph.joins.find((e) => {
      const a = bit(e.left.alias);
      const b = bit(e.right.alias);
      const inClass = members.some((m) => m.alias === e.left.alias && m.column === e.left.column);
      return inClass && (((leftMask & a) && (rightMask & b)) || ((leftMask & b) && (rightMask & a)));
    });
    out.push(written ?? makeEdge(l[0]!, r[0]!, true));
  }
  return out;
}

/**
 * The query as SQL with this join order. `tree` leaves are the query's aliases; inner nodes may
 * name a join method (Spark only: emitted as a hint on a leaf side of that join).
 */
export function joinOrderSql(graph: QueryGraph, tree: JoinTree, dialect: Dialect = 'postgresql'): string {
  requireSupported(graph, 'Rendering a join order');
  if (dialect !== 'postgresql' && dialect !== 'spark') {
    throw new PilotScopeError('USAGE', `dialect must be 'postgresql' or 'spark', got ${JSON.stringify(dialect)}`);
  }
  checkTree(graph, tree);
  const index = setIndexOf(graph);
  const hints: string[] = [];

  const render = (node: JoinTree): { sql: string; mask: number } => {
    if (typeof node === 'string') {
      const r = graph.relations[index.aliasIndex.get(node)!]!;
      return { sql: relationSqlCached(r, dialect), mask: 1 << index.aliasIndex.get(node)! };
    }
    const left = render(node.left);
    const right = render(node.right);
    if (node.method !== undefined) hints.push(hintFor(node.method, node.left, node.right, dialect));
    const rightSql = typeof node.right === 'string' ? right.sql : `(${right.sql})`;
    const edges = edgesBetween(graph, left.mask, right.mask);
    const sql = edges.length
      ? `${left.sql} JOIN ${rightSql} ON ${edges.map((e) => edgeSqlCached(e, dialect)).join(' AND ')}`
      : `${left.sql} CROSS JOIN ${rightSql}`;
    return { sql, mask: left.mask | right.mask };
  };

  const from = render(tree).sql;
  const written = graph.predicates.filter((p) => !p.derived);
  let sql = `SELECT ${hints.length ? `/*+ ${hints.join(', ')} */ ` : ''}${graph.output.selectText} FROM ${from}`;
  if (written.length) sql += ` WHERE ${written.map((p) => predicateSqlCached(p, dialect)).join(' AND ')}`;
  if (graph.output.tailText) sql += ` ${graph.output.tailText}`;
  return sql;
}

function hintFor(method: JoinMethod, left: JoinTree, right: JoinTree, dialect: Dialect): string {
  const name = SPARK_HINTS[method];
  if (name === undefined) {
    throw new PilotScopeError('USAGE', `unknown join method ${JSON.stringify(method)}; use one of ${Object.keys(SPARK_HINTS).join(', ')}`);
  }
  if (dialect !== 'spark') {
    throw new PilotScopeError(
      'USAGE',
      'PostgreSQL SQL carries no join-method hints: leave `method` out of the join tree and steer methods with enable_hashjoin / enable_mergejoin / enable_nestloop settings',
    );
  }
  // A Spark hint names a relation; it applies to the join where that relation is a direct side.
  const side = typeof right === 'string' ? right : typeof left === 'string' ? left : undefined;
  if (side === undefined) {
    throw new PilotScopeError(
      'USAGE',
      `a ${method} join of two joined subtrees cannot carry a Spark hint (hints name a relation); give the method to a join with a single relation on one side`,
    );
  }
  return `${name}(${quoteIdent(side, dialect)})`;
}

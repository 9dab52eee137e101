/**
 * What the Spark engine needs from the SQL analysis (src/sql): the query graph, its relation sets
 * and their count(*) sub-queries, the join graph for the join-order DP, and the query rendered in
 * a given join order.
 */
import { relSetKey } from '../../src/engine/relset-key.js';
import type { JoinTree, RelSetKey } from '../../src/engine/types.js';
import { analyze, enumerateRelationSets, joinOrderSql, requireSupported, subquerySql, type QueryGraph, type RelationSet } from '../../src/sql/index.js';
import type { JoinGraph } from './join-order.js';

export interface AnalyzedQuery {
  graph: QueryGraph;
  joinGraph: JoinGraph;
  /** The connected relation sets (base relations and joins), smallest first. */
  sets: RelationSet[];
  /** Relation-set key -> bitmask over joinGraph.aliases. */
  masks: Map<RelSetKey, number>;
}

/** Analyzes a query for cardinality work; throws SQL_UNSUPPORTED (saying why) when the graph cannot represent it. */
export function analyzeForSpark(sql: string, what: string): AnalyzedQuery {
  const graph = analyze(sql, { dialect: 'spark' });
  requireSupported(graph, what);
  const aliases = graph.relations.map((r) => r.alias);
  const index = new Map(aliases.map((a, i) => [a, i]));
  const neighbours = aliases.map(() => 0);
  for (const members of graph.equivalences) {
    let mask = 0;
    for (const m of members) mask |= 1 << index.get(m.alias)!;
    for (const m of members) neighbours[index.get(m.alias)!]! |= mask & ~(1 << index.get(m.alias)!);
  }
  // Spark considers every connected subset; PostgreSQL's collapse limits do not apply.
  const { sets } = enumerateRelationSets(graph, { joinCollapseLimit: 64, fromCollapseLimit: 64, geqoThreshold: 0 });
  const masks = new Map(sets.map((s) => [s.key, s.aliases.reduce((m, a) => m | (1 << index.get(a)!), 0)]));
  return { graph, joinGraph: { aliases, neighbours }, sets, masks };
}

export function countSql(query: AnalyzedQuery, key: RelSetKey): string {
  return subquerySql(query.graph, key, 'spark');
}

export function sqlWithJoinOrder(query: AnalyzedQuery, tree: JoinTree): string {
  return joinOrderSql(query.graph, tree, 'spark');
}

/** The key of a bitmask over the join graph's aliases. */
export function keyOfMask(query: AnalyzedQuery, mask: number): RelSetKey {
  return relSetKey(query.joinGraph.aliases.filter((_, i) => mask & (1 << i)));
}

/** Table name per alias. */
export function tableOf(query: AnalyzedQuery, alias: string): string {
  return query.graph.relations.find((r) => r.alias === alias)!.table;
}

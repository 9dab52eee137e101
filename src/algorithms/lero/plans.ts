/**
 * Plan trees for Lero: a signature that identifies a plan's shape (to deduplicate candidates and
 * to check that the executed plan is the chosen one), and the row restoration that keeps swung
 * cardinalities out of the features (upstream's PlanCardReplacer, without its crashes on
 * Gather, Append, CTE and other node types).
 */
import { relSetKey } from '../../engine/relset-key.js';
import type { PlanNode } from '../../engine/types.js';

/** Node types that join their inputs (PostgreSQL and Spark). */
const JOIN_NODES = new Set(['Nested Loop', 'Hash Join', 'Merge Join', 'BroadcastHashJoin', 'SortMergeJoin', 'ShuffledHashJoin', 'BroadcastNestedLoopJoin', 'CartesianProduct']);

/**
 * Node types whose output is their input's rows (possibly per worker): their rows follow the
 * relation set below them, so they are restored in proportion too.
 */
const ROW_PRESERVING = new Set(['Hash', 'Materialize', 'Sort', 'Incremental Sort', 'Gather', 'Gather Merge', 'Memoize', 'Result', 'Exchange', 'Project', 'Filter']);

/** `Type[relation alias](children...)`: shape, operators and relations; not rows or costs. */
export function planSignature(node: PlanNode): string {
  let head = node.nodeType;
  if (node.relationName !== undefined) head += `[${node.relationName} ${node.alias ?? ''}]`;
  return node.children.length ? `${head}(${node.children.map(planSignature).join(',')})` : head;
}

/** A plan reduced to what Lero featurizes (stored as JSON with collected data). */
export interface LeroPlan {
  nodeType: string;
  relationName?: string;
  alias?: string;
  rows: number;
  width: number;
  children: LeroPlan[];
}

/**
 * The plan with the planner's original estimates in place of pushed (swung) ones: a join or
 * row-preserving node over relation set S has its rows scaled by original[S] / pushed[S].
 * Other nodes (aggregates, limits, scans of base relations, which are never swung) keep theirs.
 */
export function restoreRows(plan: PlanNode, pushed: Readonly<Record<string, number>> | undefined, original: Readonly<Record<string, number>>): LeroPlan {
  const walk = (node: PlanNode): { out: LeroPlan; aliases: string[] } => {
    const children = node.children.map(walk);
    const aliases = children.flatMap((c) => c.aliases);
    if (node.alias !== undefined && node.relationName !== undefined) aliases.push(node.alias);
    let rows = node.rows;
    if (pushed && aliases.length > 1 && (JOIN_NODES.has(node.nodeType) || ROW_PRESERVING.has(node.nodeType))) {
      const key = relSetKey(aliases);
      const p = pushed[key];
      const o = original[key];
      if (p !== undefined && o !== undefined && p > 0 && p !== o) rows = Math.max(1, Math.round((rows * o) / p));
    }
    const out: LeroPlan = { nodeType: node.nodeType, rows, width: node.width, children: children.map((c) => c.out) };
    if (node.relationName !== undefined) out.relationName = node.relationName;
    if (node.alias !== undefined) out.alias = node.alias;
    return { out, aliases };
  };
  return walk(plan).out;
}

/** Relation names appearing in a plan. */
export function planRelations(plan: LeroPlan | PlanNode, into: Set<string> = new Set()): Set<string> {
  if (plan.relationName !== undefined) into.add(plan.relationName);
  for (const c of plan.children) planRelations(c, into);
  return into;
}

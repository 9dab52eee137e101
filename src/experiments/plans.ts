/**
 * What the runner reads from engine-neutral plan trees: a signature of the plan's shape (to tell
 * whether an algorithm changed the plan) and the actual rows of relation sets in an executed plan
 * (the true cardinalities, when the engine reports actual rows).
 */
import { relSetKey } from '../engine/relset-key.js';
import type { PlanNode, RelSetEstimate } from '../engine/types.js';
import type { CardinalityRow } from './types.js';

/** The plan's shape: node types, relations and aliases, recursively (no row counts or costs). */
export function planSignature(node: PlanNode): string {
  const head = [node.nodeType, node.relationName !== undefined ? `${node.relationName}:${node.alias ?? ''}` : undefined]
    .filter((part) => part !== undefined)
    .join(' ');
  return node.children.length ? `${head}(${node.children.map(planSignature).join(',')})` : head;
}

const TRUNCATING = /^Limit$/;
const PARAMETERIZING = /^Nested Loop$/;

/**
 * Actual rows per relation set shown in an executed plan. Only nodes whose output is a relation
 * set's full result count: scans (nodes naming an alias) and joins (children covering different
 * aliases). Skipped: the inner side of a nested loop (its scans are parameterized by the outer
 * row, so their rows are per outer row, not the relation's), anything under a Limit (stopped
 * early), and pass-through or aggregating nodes (Hash, Sort, Aggregate, Gather, ...).
 */
export function actualRowsByRelSet(root: PlanNode): Map<string, number> {
  const truth = new Map<string, number>();
  const record = (aliases: Set<string>, node: PlanNode, trusted: boolean): void => {
    if (!trusted || node.actualRows === undefined || aliases.size === 0) return;
    const key = relSetKey(aliases);
    if (!truth.has(key)) truth.set(key, node.actualRows);
  };
  const visit = (node: PlanNode, trusted: boolean): Set<string> => {
    const below = trusted && !TRUNCATING.test(node.nodeType);
    const childSets = node.children.map((child, i) => visit(child, below && !(PARAMETERIZING.test(node.nodeType) && i === 1)));
    if (node.alias !== undefined) {
      const own = new Set([node.alias]);
      record(own, node, below);
      return own;
    }
    const aliases = new Set<string>();
    for (const set of childSets) for (const a of set) aliases.add(a);
    if (childSets.filter((s) => s.size > 0).length >= 2) record(aliases, node, below);
    return aliases;
  };
  visit(root, true);
  return truth;
}

/** Relation sets of the top query level with the truth from the executed plan when it shows them. */
export function cardinalityRows(relSets: readonly RelSetEstimate[] | undefined, plan: PlanNode | undefined): CardinalityRow[] | null {
  if (!relSets) return null;
  const truth = plan ? actualRowsByRelSet(plan) : new Map<string, number>();
  return relSets
    .filter((r) => r.level === 1)
    .map((r) => ({ key: r.key, rows: r.rows, planner_rows: r.plannerRows, pushed: r.pushed, true_rows: truth.get(r.key) ?? null }));
}

/**
 * Did Spark keep a join order we asked for? Compares the join tree we chose (aliases, methods)
 * with the join tree of the physical plan Spark made for the emitted SQL (tables, methods).
 * Sides may be swapped (Spark picks the build side); grouping and methods must match.
 */
import type { JoinTree } from '../../src/engine/types.js';
import type { PlanJoinTree } from './plan-tree.js';

export function followsJoinOrder(chosen: JoinTree, plan: PlanJoinTree | undefined, tableOf: (alias: string) => string): boolean {
  if (plan === undefined) return false;
  if (typeof chosen === 'string') return 'table' in plan && plan.table === tableOf(chosen);
  if ('table' in plan) return false;
  if (chosen.method !== undefined && chosen.method !== plan.method) return false;
  return (
    (followsJoinOrder(chosen.left, plan.left, tableOf) && followsJoinOrder(chosen.right, plan.right, tableOf)) ||
    (followsJoinOrder(chosen.left, plan.right, tableOf) && followsJoinOrder(chosen.right, plan.left, tableOf))
  );
}

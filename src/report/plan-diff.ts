/**
 * Plan diffs: two plan trees side by side as nested lists, with nodes that differ (another node
 * type or relation at the same place, or a node the other plan does not have) marked.
 */
import type { PlanNode } from '../engine/types.js';
import { esc, fmt } from './svg.js';

function sameNode(a: PlanNode | undefined, b: PlanNode | undefined): boolean {
  return a !== undefined && b !== undefined && a.nodeType === b.nodeType && a.relationName === b.relationName && a.alias === b.alias;
}

/** Renders `node` as a nested list; nodes that do not match `other` at the same place get class "diff". */
export function planHtml(node: PlanNode, other: PlanNode | undefined): string {
  const differs = !sameNode(node, other);
  const relation = node.relationName ? ` on ${node.relationName}${node.alias && node.alias !== node.relationName ? ` ${node.alias}` : ''}` : '';
  const rows = node.actualRows !== undefined ? `rows ${fmt(node.rows)} est, ${fmt(node.actualRows)} actual` : `rows ${fmt(node.rows)} est`;
  const children = node.children.map((child, i) => planHtml(child, differs ? undefined : other?.children[i]));
  return (
    `<li${differs ? ' class="diff"' : ''}><span class="node">${esc(node.nodeType)}${esc(relation)}</span> <span class="rows">${esc(rows)}</span>` +
    (children.length ? `<ul>${children.join('')}</ul>` : '') +
    '</li>'
  );
}

/** Counts nodes of `node` that differ from `other` (for tests and captions). */
export function countDiffs(node: PlanNode, other: PlanNode | undefined): number {
  const differs = !sameNode(node, other);
  return (differs ? 1 : 0) + node.children.reduce((n, child, i) => n + countDiffs(child, differs ? undefined : other?.children[i]), 0);
}

/** PostgreSQL's EXPLAIN (FORMAT JSON) plan documents, and their engine-neutral form. */
import type { PlanNode } from '../../src/engine/types.js';

/** One node of EXPLAIN (FORMAT JSON): the fields we read; the rest pass through untouched. */
export interface PgPlanJson {
  'Node Type': string;
  'Relation Name'?: string;
  Alias?: string;
  'Plan Rows': number;
  'Plan Width': number;
  'Startup Cost'?: number;
  'Total Cost': number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Join Type'?: string;
  Plans?: PgPlanJson[];
  [field: string]: unknown;
}

/** The top-level object of EXPLAIN (FORMAT JSON): `[{ Plan, Planning Time?, Execution Time? }]`. */
export interface PgExplainDocument {
  Plan: PgPlanJson;
  'Planning Time'?: number;
  'Execution Time'?: number;
  [field: string]: unknown;
}

export function toPlanTree(node: PgPlanJson): PlanNode {
  const tree: PlanNode = {
    nodeType: node['Node Type'],
    rows: node['Plan Rows'],
    width: node['Plan Width'],
    totalCost: node['Total Cost'],
    children: (node.Plans ?? []).map(toPlanTree),
  };
  if (node['Relation Name'] !== undefined) tree.relationName = node['Relation Name'];
  if (node.Alias !== undefined) tree.alias = node.Alias;
  if (node['Actual Rows'] !== undefined) tree.actualRows = node['Actual Rows'] * (node['Actual Loops'] ?? 1);
  return tree;
}

/** A compact signature of a plan's shape (node types, join types, relations), for "plan changed". */
export function planSignature(node: PgPlanJson): string {
  const head = [node['Node Type'], node['Join Type'], node['Relation Name'] && `${node['Relation Name']}:${node.Alias ?? ''}`, node['Index Name']]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
  const children = (node.Plans ?? []).map(planSignature);
  return children.length ? `${head}(${children.join(',')})` : head;
}

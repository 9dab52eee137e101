/**
 * Spark's physical plan in engine-neutral terms (PlanNode) with per-node rows and widths taken
 * from the optimized logical plan of EXPLAIN COST, and the join tree of a plan (which relations
 * are joined in which order, by which method) to compare with a join order we asked for.
 *
 * Operators that only move or convert rows (ColumnarToRow, InputAdapter, Project, ...) are left
 * out; a Filter directly over a scan is folded into the scan, as PostgreSQL plans show it.
 */
import type { JoinMethod, PlanNode } from '../../src/engine/types.js';
import type { LogicalNode, SparkPhysicalNode } from './explain.js';

type Category = 'scan' | 'filter' | 'project' | 'join' | 'aggregate' | 'sort' | 'limit' | 'union' | 'window' | 'other';

const PASS_THROUGH = new Set(['ColumnarToRow', 'RowToColumnar', 'InputAdapter', 'WholeStageCodegen', 'AdaptiveSparkPlan', 'Project', 'ResultQueryStage', 'ShuffleQueryStage', 'BroadcastQueryStage', 'AQEShuffleRead']);

const NEUTRAL_TYPE: Record<string, string> = {
  Scan: 'Seq Scan',
  FileScan: 'Seq Scan',
  BatchScan: 'Seq Scan',
  HiveTableScan: 'Seq Scan',
  InMemoryTableScan: 'Seq Scan',
  LocalTableScan: 'Seq Scan',
  RowDataSourceScan: 'Seq Scan',
  Range: 'Seq Scan',
  BroadcastHashJoin: 'Hash Join',
  ShuffledHashJoin: 'Hash Join',
  SortMergeJoin: 'Merge Join',
  BroadcastNestedLoopJoin: 'Nested Loop',
  CartesianProduct: 'Nested Loop',
  HashAggregate: 'Aggregate',
  SortAggregate: 'Aggregate',
  ObjectHashAggregate: 'Aggregate',
  Sort: 'Sort',
  Exchange: 'Exchange',
  ReusedExchange: 'Exchange',
  BroadcastExchange: 'Broadcast',
  CollectLimit: 'Limit',
  GlobalLimit: 'Limit',
  LocalLimit: 'Limit',
  TakeOrderedAndProject: 'Limit',
  Union: 'Append',
  Window: 'WindowAgg',
  Filter: 'Filter',
};

const PHYSICAL_CATEGORY: Record<string, Category> = {
  'Seq Scan': 'scan',
  'Hash Join': 'join',
  'Merge Join': 'join',
  'Nested Loop': 'join',
  Aggregate: 'aggregate',
  Sort: 'sort',
  Limit: 'limit',
  Append: 'union',
  WindowAgg: 'window',
  Filter: 'filter',
};

const LOGICAL_CATEGORY: Record<string, Category> = {
  Relation: 'scan',
  HiveTableRelation: 'scan',
  LocalRelation: 'scan',
  InMemoryRelation: 'scan',
  LogicalRDD: 'scan',
  Range: 'scan',
  OneRowRelation: 'scan',
  Filter: 'filter',
  Project: 'project',
  Join: 'join',
  Aggregate: 'aggregate',
  Sort: 'sort',
  GlobalLimit: 'limit',
  LocalLimit: 'limit',
  Union: 'union',
  Window: 'window',
};

const JOIN_METHOD: Record<string, JoinMethod> = {
  BroadcastHashJoin: 'broadcast',
  ShuffledHashJoin: 'hash',
  SortMergeJoin: 'merge',
  BroadcastNestedLoopJoin: 'nestloop',
  CartesianProduct: 'nestloop',
};

/** Converts a physical plan, with rows and widths from the logical plan where they can be matched. */
export function toPlanTree(physical: SparkPhysicalNode, logical?: LogicalNode): PlanNode {
  const neutral = neutralize(physical);
  if (neutral.length !== 1) return { nodeType: 'Result', rows: 0, width: 0, children: neutral.map(stripInternal) };
  if (logical) attachEstimates(neutral[0]!, logical);
  return stripInternal(neutral[0]!);
}

interface NeutralNode extends PlanNode {
  children: NeutralNode[];
  /** Table names of the scans below, left to right (internal, removed before returning). */
  leaves: string[];
  sparkOperator: string;
}

/** Drops pass-through operators (returns their children) and folds Filter-over-scan. */
function neutralize(node: SparkPhysicalNode): NeutralNode[] {
  const children = node.children.flatMap(neutralize);
  if (PASS_THROUGH.has(node.operator)) return children;
  const nodeType = NEUTRAL_TYPE[node.operator] ?? node.operator;
  if (nodeType === 'Filter' && children.length === 1 && children[0]!.nodeType === 'Seq Scan') {
    const scan = children[0]!;
    return [{ ...scan, sparkOperator: `Filter+${scan.sparkOperator}` }];
  }
  const out: NeutralNode = {
    nodeType,
    rows: 0,
    width: 0,
    children,
    leaves: nodeType === 'Seq Scan' ? [node.table ?? node.operator] : children.flatMap((c) => c.leaves),
    sparkOperator: node.operator,
  };
  if (node.table !== undefined) out.relationName = node.table;
  return [out];
}

function stripInternal(node: NeutralNode): PlanNode {
  const out: PlanNode = { nodeType: node.nodeType, rows: node.rows, width: node.width, children: node.children.map(stripInternal) };
  if (node.relationName !== undefined) out.relationName = node.relationName;
  if (node.alias !== undefined) out.alias = node.alias;
  return out;
}

interface LogicalEntry {
  node: LogicalNode;
  parent?: LogicalNode;
}

/**
 * Matches physical operators to logical ones by the relations below them and the kind of
 * operator. Leaves are identified by position (left to right) when both plans list the same
 * tables in the same order, else by table name.
 */
function attachEstimates(root: NeutralNode, logical: LogicalNode): void {
  const logicalLeaves: string[] = [];
  const collectLeaves = (node: LogicalNode): string[] => {
    if (node.children.length === 0) {
      logicalLeaves.push(node.table ?? node.operator);
      return [node.table ?? node.operator];
    }
    return node.children.flatMap(collectLeaves);
  };
  collectLeaves(logical);
  const byPosition = sameSequence(logicalLeaves, root.leaves);

  const index = new Map<string, LogicalEntry[]>();
  let position = 0;
  const visitLogical = (node: LogicalNode, parent?: LogicalNode): string[] => {
    const labels = node.children.length === 0 ? [leafLabel(node.table ?? node.operator, position++, byPosition)] : node.children.flatMap((c) => visitLogical(c, node));
    const key = `${LOGICAL_CATEGORY[node.operator] ?? 'other'}|${[...labels].sort().join(',')}`;
    index.set(key, [...(index.get(key) ?? []), { node, ...(parent ? { parent } : {}) }]);
    return labels;
  };
  visitLogical(logical);

  position = 0;
  const visitPhysical = (node: NeutralNode): string[] => {
    const labels = node.children.length === 0 && node.nodeType === 'Seq Scan' ? [leafLabel(node.leaves[0]!, position++, byPosition)] : node.children.flatMap(visitPhysical);
    const key = [...labels].sort().join(',');
    const category = PHYSICAL_CATEGORY[node.nodeType] ?? 'other';
    // Candidates are listed bottom-up; the topmost one (e.g. GlobalLimit over LocalLimit) wins.
    const candidates = category === 'scan' ? (index.get(`filter|${key}`) ?? index.get(`scan|${key}`)) : category === 'other' ? undefined : index.get(`${category}|${key}`);
    const entry = candidates?.[candidates.length - 1];
    if (entry?.node.stats?.rowCount !== undefined) {
      node.rows = entry.node.stats.rowCount;
      node.width = widthOf(entry);
    } else if (node.children.length === 1) {
      node.rows = node.children[0]!.rows;
      node.width = node.children[0]!.width;
    }
    return labels;
  };
  visitPhysical(root);
}

function leafLabel(table: string, position: number, byPosition: boolean): string {
  return byPosition ? `#${position}` : table;
}

/** Bytes per row; the projection right above a node shows the columns that actually flow on. */
function widthOf(entry: LogicalEntry): number {
  const source = entry.parent?.operator === 'Project' && entry.parent.stats?.rowCount === entry.node.stats?.rowCount ? entry.parent : entry.node;
  const rows = source.stats?.rowCount ?? 0;
  return rows > 0 ? Math.round(source.stats!.sizeInBytes / rows) : 0;
}

function sameSequence(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// ---- join trees ---------------------------------------------------------------------------------

/** The join structure of a plan: which tables are joined in which order, by which method. */
export type PlanJoinTree = { table: string } | { method: JoinMethod; left: PlanJoinTree; right: PlanJoinTree };

/**
 * The join tree of a physical plan, or undefined when the plan is not a tree of joins over scans
 * (a union, a subquery, several joins side by side).
 */
export function joinTreeOf(node: SparkPhysicalNode): PlanJoinTree | undefined {
  const method = JOIN_METHOD[node.operator];
  if (method !== undefined) {
    if (node.children.length !== 2) return undefined;
    const left = joinTreeOf(node.children[0]!);
    const right = joinTreeOf(node.children[1]!);
    return left && right ? { method, left, right } : undefined;
  }
  if (node.children.length === 0) return node.table !== undefined ? { table: node.table } : undefined;
  if (node.children.length === 1) return joinTreeOf(node.children[0]!);
  return undefined;
}

/** The tables of a join tree, left to right. */
export function joinTreeTables(tree: PlanJoinTree): string[] {
  return 'table' in tree ? [tree.table] : [...joinTreeTables(tree.left), ...joinTreeTables(tree.right)];
}

/** Text form for messages and logs, e.g. "((users ⋈broadcast badges) ⋈merge posts)". */
export function formatJoinTree(tree: PlanJoinTree): string {
  return 'table' in tree ? tree.table : `(${formatJoinTree(tree.left)} ⋈${tree.method} ${formatJoinTree(tree.right)})`;
}

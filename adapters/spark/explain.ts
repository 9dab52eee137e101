/**
 * Spark's plans through SQL: `EXPLAIN COST` (the optimized logical plan with a Statistics line
 * per node) and `EXPLAIN FORMATTED` (the physical plan as a numbered tree plus a detail block per
 * operator). There is no JSON plan through SQL, so both are parsed from text.
 */
import { PilotScopeError } from '../../src/errors.js';
import { parseStatistics, parseTextTree, section, tableName, type SparkStatistics, type TextTreeNode } from './plan-text.js';

// ---- EXPLAIN COST: the optimized logical plan ----------------------------------------------------

export interface LogicalNode {
  /** First word of the node: Aggregate, Project, Join, Filter, Relation, Union, ... */
  operator: string;
  /** The node's line without the statistics. */
  text: string;
  stats?: SparkStatistics;
  /** For relations: the table name. */
  table?: string;
  children: LogicalNode[];
}

export function parseExplainCost(text: string): LogicalNode {
  const lines = section(text, 'Optimized Logical Plan');
  const tree = lines && parseTextTree(lines);
  if (!tree) throw planParseError('EXPLAIN COST', text);
  return toLogicalNode(tree);
}

function toLogicalNode(node: TextTreeNode): LogicalNode {
  const statsAt = node.text.lastIndexOf(', Statistics(');
  const body = statsAt === -1 ? node.text : node.text.slice(0, statsAt);
  const operator = /^[A-Za-z]+/.exec(body)?.[0] ?? body;
  const logical: LogicalNode = { operator, text: body, children: node.children.map(toLogicalNode) };
  const stats = parseStatistics(node.text);
  if (stats) logical.stats = stats;
  const table = relationTable(operator, body);
  if (table !== undefined) logical.table = table;
  return logical;
}

function relationTable(operator: string, body: string): string | undefined {
  if (operator === 'Relation') {
    const match = /^Relation\s+([^\s[]+)\[/.exec(body);
    return match ? tableName(match[1]!) : undefined;
  }
  if (operator === 'HiveTableRelation') {
    const match = /^HiveTableRelation\s+\[([^,\]]+)/.exec(body);
    return match ? tableName(match[1]!) : undefined;
  }
  return undefined;
}

const LOGICAL_LEAVES = new Set(['Relation', 'HiveTableRelation', 'LocalRelation', 'InMemoryRelation', 'Range', 'OneRowRelation', 'LogicalRDD']);

/** Rows of each branch of a `count(*)` batch: the rows flowing into each branch's aggregate. */
export function countBatchRows(plan: LogicalNode): number[] {
  const branches = plan.operator === 'Union' ? plan.children : [plan];
  return branches.map((branch, i) => {
    const input = branch.operator === 'Aggregate' ? branch.children[0] : undefined;
    const rows = input?.stats?.rowCount;
    if (rows === undefined) {
      throw new PilotScopeError(
        'QUERY_ERROR',
        `Spark printed no row estimate for sub-query ${i + 1} of a batch. Row estimates need the cost-based optimizer (spark.sql.cbo.enabled=true) and table statistics (ANALYZE TABLE ... COMPUTE STATISTICS FOR ALL COLUMNS).`,
      );
    }
    return rows;
  });
}

/**
 * The estimated cost of a plan as Spark's cost-based optimizer sees it: the sum of the estimated
 * output rows of every join and of every base relation after its filters (the C_out measure;
 * Spark's join reorder weighs the same cardinalities). 0 when no node has a row count.
 */
export function estimatedCost(plan: LogicalNode): number {
  let cost = 0;
  const visit = (node: LogicalNode, parent?: LogicalNode) => {
    const rows = node.stats?.rowCount ?? 0;
    if (node.operator === 'Join') cost += rows;
    // A base relation's output: the topmost Filter over it, or the relation itself.
    if (LOGICAL_LEAVES.has(node.operator) && parent?.operator !== 'Filter') cost += rows;
    if (node.operator === 'Filter' && node.children.length === 1 && LOGICAL_LEAVES.has(node.children[0]!.operator)) cost += rows;
    node.children.forEach((child) => visit(child, node));
  };
  visit(plan);
  return cost;
}

// ---- EXPLAIN FORMATTED: the physical plan --------------------------------------------------------

/** One operator of the physical plan (the document returned as `physicalPlan`). */
export interface SparkPhysicalNode {
  /** Operator id in EXPLAIN FORMATTED. */
  id: number;
  /** As printed: "BroadcastHashJoin Inner BuildLeft", "Scan parquet spark_catalog.default.posts". */
  name: string;
  /** First word: BroadcastHashJoin, Scan, HashAggregate, ... */
  operator: string;
  /** Runs inside whole-stage code generation. */
  codegen: boolean;
  /** For scans: the table name. */
  table?: string;
  /** The detail block: "Output", "Condition", "Left keys", "Join type", ... */
  details: Record<string, string>;
  children: SparkPhysicalNode[];
}

export function parseExplainFormatted(text: string): SparkPhysicalNode {
  const lines = section(text, 'Physical Plan');
  const tree = lines && parseTextTree(lines);
  if (!lines || !tree) throw planParseError('EXPLAIN FORMATTED', text);
  const details = parseDetailBlocks(lines);
  return toPhysicalNode(tree, details);
}

function toPhysicalNode(node: TextTreeNode, details: Map<number, Record<string, string>>): SparkPhysicalNode {
  const match = /^(\*\s+)?(.*?)\s*\((\d+)\)$/.exec(node.text);
  const name = match ? match[2]! : node.text;
  const id = match ? Number(match[3]) : -1;
  const operator = /^[A-Za-z]+/.exec(name)?.[0] ?? name;
  const physical: SparkPhysicalNode = {
    id,
    name,
    operator,
    codegen: Boolean(match?.[1]),
    details: details.get(id) ?? {},
    children: node.children.map((child) => toPhysicalNode(child, details)),
  };
  if (operator === 'Scan' || operator === 'FileScan' || operator === 'HiveTableScan' || operator === 'BatchScan') {
    const words = name.split(/\s+/);
    const qualified = words[words.length - 1]!;
    if (qualified.includes('.') || words.length > 2) physical.table = tableName(qualified);
  }
  return physical;
}

/** "(9) BroadcastHashJoin [codegen id : 2]\nLeft keys [1]: [a#1]\n..." blocks, by operator id. */
function parseDetailBlocks(lines: readonly string[]): Map<number, Record<string, string>> {
  const blocks = new Map<number, Record<string, string>>();
  let current: Record<string, string> | undefined;
  let lastKey: string | undefined;
  for (const line of lines) {
    if (/^===== .* =====$/.test(line.trim())) break; // the subqueries section
    const header = /^\((\d+)\) /.exec(line);
    if (header) {
      current = {};
      lastKey = undefined;
      blocks.set(Number(header[1]), current);
      continue;
    }
    if (!current) continue;
    if (line.trim() === '') {
      current = undefined;
      continue;
    }
    const field = /^([A-Za-z][A-Za-z ]*?)\s*(?:\[\d+\])?\s*:\s?(.*)$/.exec(line);
    if (field) {
      lastKey = field[1]!.trim();
      current[lastKey] = field[2]!.trim();
    } else if (lastKey !== undefined) {
      current[lastKey] += `\n${line}`;
    }
  }
  return blocks;
}

function planParseError(what: string, text: string): PilotScopeError {
  return new PilotScopeError('INTERNAL', `Could not read the plan Spark printed for ${what} (first line: ${JSON.stringify(text.split('\n')[0] ?? '')}).`, { text });
}

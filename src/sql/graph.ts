/**
 * The query graph: what the analysis knows about one SELECT statement, in the terms the
 * algorithms and engines use (relations by alias, equi-joins, single-relation filters).
 */
import type { SourcePosition } from './position.js';

/** A table in FROM. `alias` is the name the engine sees: the alias, or the table name without one. */
export interface Relation {
  alias: string;
  table: string;
  schema?: string;
  catalog?: string;
}

export interface ColumnRef {
  alias: string;
  column: string;
}

/**
 * An equality between columns of two relations. `left` sorts before `right` (by alias, then
 * column). `derived` marks an equality implied by equivalence classes rather than written.
 */
export interface JoinEdge {
  left: ColumnRef;
  right: ColumnRef;
  derived?: true;
}

/** Typed constants. Dates and timestamps keep the text as written and epoch seconds (UTC). */
export type Literal =
  | { type: 'number'; value: number; text: string }
  | { type: 'string'; value: string }
  | { type: 'date'; text: string; epoch: number }
  | { type: 'timestamp'; text: string; epoch: number; withTimeZone?: true }
  | { type: 'boolean'; value: boolean }
  | { type: 'null' };

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=' | 'IS-DISTINCT-FROM' | 'IS-NOT-DISTINCT-FROM';
export type RangeOp = 'BETWEEN' | 'NOT-BETWEEN';
export type ListOp = 'IN' | 'NOT-IN';
export type LikeOp = 'LIKE' | 'NOT-LIKE' | 'ILIKE' | 'NOT-ILIKE';
export type NullOp = 'IS-NULL' | 'IS-NOT-NULL';
export type PredicateOp = CompareOp | RangeOp | ListOp | LikeOp | NullOp;

interface PredicateBase {
  /** The relation the filter applies to. */
  alias: string;
  /** An equality implied by an equivalence class with a constant (PostgreSQL derives it too). */
  derived?: true;
}

/** `column op value`. `x IS TRUE` is IS-NOT-DISTINCT-FROM true; a bare boolean column is `= true`. */
export interface ComparePredicate extends PredicateBase {
  op: CompareOp;
  column: string;
  value: Literal;
}

/** `column [NOT] BETWEEN low AND high`; `symmetric` only when the bounds could not be ordered. */
export interface RangePredicate extends PredicateBase {
  op: RangeOp;
  column: string;
  low: Literal;
  high: Literal;
  symmetric?: true;
}

/** `column [NOT] IN (values)`, also from `= ANY (ARRAY[...])` / `<> ALL (ARRAY[...])`. */
export interface ListPredicate extends PredicateBase {
  op: ListOp;
  column: string;
  values: Literal[];
}

/** `column [NOT] [I]LIKE 'pattern' [ESCAPE 'c']`. */
export interface LikePredicate extends PredicateBase {
  op: LikeOp;
  column: string;
  pattern: string;
  escape?: string;
}

export interface NullPredicate extends PredicateBase {
  op: NullOp;
  column: string;
}

/**
 * A boolean combination of filters on the same relation: `(a.x = 1 OR a.y LIKE 'b%')`.
 * AND groups only occur inside an OR.
 */
export interface GroupPredicate extends PredicateBase {
  op: 'OR' | 'AND';
  args: Predicate[];
}

export type AtomPredicate = ComparePredicate | RangePredicate | ListPredicate | LikePredicate | NullPredicate;
export type Predicate = AtomPredicate | GroupPredicate;

export type UnsupportedConstruct =
  | 'statement'
  | 'too-deep'
  | 'no-relations'
  | 'set-operation'
  | 'values'
  | 'cte'
  | 'subquery'
  | 'subquery-in-from'
  | 'exists'
  | 'in-subquery'
  | 'function-in-from'
  | 'outer-join'
  | 'semi-join'
  | 'natural-join'
  | 'join-using'
  | 'column-aliases'
  | 'tablesample'
  | 'duplicate-alias'
  | 'self-join-without-alias'
  | 'unknown-relation'
  | 'unqualified-column'
  | 'unknown-column'
  | 'or-across-relations'
  | 'non-equi-join'
  | 'join-expression'
  | 'column-comparison'
  | 'expression-on-column'
  | 'cast-on-column'
  | 'non-constant-value'
  | 'parameter'
  | 'constant-condition'
  | 'aggregate-in-filter'
  | 'window-in-filter'
  | 'having'
  | 'grouping-sets'
  | 'row-locking'
  | 'unsupported-predicate';

/** Something the graph cannot represent, with where it is in the SQL text. */
export interface Unsupported {
  construct: UnsupportedConstruct;
  reason: string;
  position?: SourcePosition;
}

/** One item of the top-level SELECT list. */
export interface OutputItem {
  /** The expression as written. */
  text: string;
  /** The AS label, if any. */
  name?: string;
  /** Lower-case aggregate function name when the item is an aggregate call (count, min, ...). */
  aggregate?: string;
  /** `count(*)` exactly. */
  countStar?: true;
}

/**
 * What the top-level query returns. None of this changes the cardinality of any relation set;
 * LIMIT/OFFSET and ORDER BY are kept here as output details.
 */
export interface QueryOutput {
  items: OutputItem[];
  distinct: boolean;
  groupBy: boolean;
  having: boolean;
  orderBy: boolean;
  limit?: number;
  offset?: number;
  /** What follows SELECT as written: [DISTINCT [ON (...)]] and the select list (reused when the query is re-rendered). */
  selectText: string;
  /** GROUP BY ... to the end of the statement as written (ORDER BY, LIMIT ... included), or ''. */
  tailText: string;
}

/**
 * The FROM clause's shape: its comma-separated items, each an alias or an explicit inner join of
 * two items. PostgreSQL plans explicit joins beyond join_collapse_limit as separate subproblems,
 * so the relation sets it builds depend on this shape.
 */
export type FromNode = string | { join: [FromNode, FromNode] };

export interface QueryGraph {
  /** The SQL text as given. */
  sql: string;
  dialect: 'postgresql' | 'spark';
  /** In FROM order. */
  relations: Relation[];
  from: FromNode[];
  /** Written column equalities between different relations, in text order. */
  joins: JoinEdge[];
  /**
   * Column equivalence classes from the equalities (each sorted, at least two members): the
   * PostgreSQL planner connects any two relations in one class.
   */
  equivalences: ColumnRef[][];
  /** Single-relation filters, written ones first (text order), then derived ones. */
  predicates: Predicate[];
  supported: boolean;
  unsupported: Unsupported[];
  output: QueryOutput;
}

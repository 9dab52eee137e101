/**
 * SQL analysis: parse each query once into a query graph, enumerate the relation sets the
 * planner builds, and render sub-query SQL and join orders per dialect.
 */
export { analyze, analyzeUncached, clearAnalysisCache, type AnalyzeOptions } from './analyze.js';
export type {
  AtomPredicate,
  ColumnRef,
  CompareOp,
  ComparePredicate,
  FromNode,
  GroupPredicate,
  JoinEdge,
  LikeOp,
  LikePredicate,
  ListOp,
  ListPredicate,
  Literal,
  NullOp,
  NullPredicate,
  OutputItem,
  Predicate,
  PredicateOp,
  QueryGraph,
  QueryOutput,
  RangeOp,
  RangePredicate,
  Relation,
  Unsupported,
  UnsupportedConstruct,
} from './graph.js';
export { enumerateRelationSets, requireSupported, type Enumeration, type EnumerateOptions, type RelationSet } from './enumerate.js';
export { relationSetOf, subqueryCardsBySql, subquerySql } from './subquery.js';
export { joinOrderSql } from './join-order.js';
export { literalSql, predicateSql, quoteIdent, quoteString } from './render.js';
export { parseSelect } from './parser.js';
export { tokenize, type Dialect, type Token } from './lexer.js';
export { singleStatement, splitStatements } from './statements.js';
export type { SourcePosition } from './position.js';
export type { AnalysisSchema, SchemaColumns } from './schema.js';
export type * as Ast from './ast.js';

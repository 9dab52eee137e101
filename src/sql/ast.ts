/**
 * The syntax tree of one SELECT statement. Every node carries `start`/`end`: offsets into the SQL
 * text, so analysis can point at what it cannot represent and reuse source text verbatim.
 */

export interface Span {
  start: number;
  end: number;
}

export interface TypeName extends Span {
  /** Lower-case name, multi-word types spelled out: 'timestamp with time zone', 'double precision'. */
  name: string;
  /** Qualified names ('pg_catalog.int4'): the parts; a plain name has one part. */
  parts: string[];
  modifiers: Expr[];
  arrayDims: number;
}

export type Expr =
  | ColumnExpr
  | StarExpr
  | LiteralExpr
  | TypedLiteralExpr
  | ParamExpr
  | UnaryExpr
  | BinaryExpr
  | BetweenExpr
  | InListExpr
  | InSubqueryExpr
  | LikeExpr
  | IsExpr
  | FunctionExpr
  | CaseExpr
  | CastExpr
  | SubqueryExpr
  | ExistsExpr
  | QuantifiedExpr
  | ArrayExpr
  | RowExpr
  | SubscriptExpr
  | FieldExpr;

/** A column reference, possibly qualified: ['p','id'], ['public','posts','id'], ['id']. */
export interface ColumnExpr extends Span {
  kind: 'column';
  parts: string[];
}

/** `*` or `t.*`. */
export interface StarExpr extends Span {
  kind: 'star';
  qualifier: string[];
}

export interface LiteralExpr extends Span {
  kind: 'literal';
  type: 'number' | 'string' | 'boolean' | 'null' | 'bits';
  /** Number text as written, string content, 'true'/'false', 'null', or bit-string digits. */
  value: string;
  /** For bit strings, 'B' or 'X'. */
  bitsKind?: string;
}

/** `DATE '2020-01-01'`, `TIMESTAMP WITH TIME ZONE '...'`, `INTERVAL '1' DAY`, `int4 '5'`. */
export interface TypedLiteralExpr extends Span {
  kind: 'typed-literal';
  type: TypeName;
  value: string;
  /** INTERVAL field qualifier as written ('day', 'hour to minute'), if any. */
  qualifier?: string;
}

export interface ParamExpr extends Span {
  kind: 'param';
  index: number;
}

export interface UnaryExpr extends Span {
  kind: 'unary';
  /** '-', '+', 'not', or another prefix operator. */
  op: string;
  arg: Expr;
}

export interface BinaryExpr extends Span {
  kind: 'binary';
  /** 'and', 'or', comparison ('=', '<>', '<', ...), arithmetic, '||', 'at time zone', 'collate', or any operator. */
  op: string;
  left: Expr;
  right: Expr;
}

export interface BetweenExpr extends Span {
  kind: 'between';
  arg: Expr;
  low: Expr;
  high: Expr;
  not: boolean;
  symmetric: boolean;
}

export interface InListExpr extends Span {
  kind: 'in-list';
  arg: Expr;
  list: Expr[];
  not: boolean;
}

export interface InSubqueryExpr extends Span {
  kind: 'in-subquery';
  arg: Expr;
  query: SelectStatement;
  not: boolean;
}

export interface LikeExpr extends Span {
  kind: 'like';
  op: 'like' | 'ilike' | 'similar to' | 'rlike';
  arg: Expr;
  pattern: Expr;
  escape?: Expr;
  not: boolean;
}

export interface IsExpr extends Span {
  kind: 'is';
  arg: Expr;
  test: 'null' | 'true' | 'false' | 'unknown' | 'distinct from';
  /** The right side of IS DISTINCT FROM. */
  other?: Expr;
  not: boolean;
}

export interface OrderItem extends Span {
  expr: Expr;
  direction?: 'asc' | 'desc';
  nulls?: 'first' | 'last';
}

export interface WindowSpec extends Span {
  /** A named window (`OVER w`) or the base name inside the parentheses. */
  name?: string;
  partitionBy: Expr[];
  orderBy: OrderItem[];
  /** Frame clause text as written (ROWS BETWEEN ...), if any. */
  frame?: string;
}

export interface FunctionExpr extends Span {
  kind: 'function';
  /** Lower-case (unless quoted) name parts: ['count'], ['pg_catalog','lower']. */
  name: string[];
  args: Expr[];
  /** count(*) */
  star: boolean;
  distinct: boolean;
  /** ORDER BY inside the argument list (string_agg(x, ',' ORDER BY y)). */
  orderBy: OrderItem[];
  /** WITHIN GROUP (ORDER BY ...) */
  withinGroup: OrderItem[];
  filter?: Expr;
  over?: WindowSpec;
  /** SQL-standard special syntax the call was written in, e.g. 'extract', 'substring', 'trim'. */
  syntax?: string;
}

export interface CaseExpr extends Span {
  kind: 'case';
  operand?: Expr;
  whens: Array<{ when: Expr; then: Expr }>;
  else?: Expr;
}

export interface CastExpr extends Span {
  kind: 'cast';
  arg: Expr;
  type: TypeName;
  syntax: '::' | 'cast' | 'try_cast';
}

export interface SubqueryExpr extends Span {
  kind: 'subquery';
  query: SelectStatement;
}

export interface ExistsExpr extends Span {
  kind: 'exists';
  query: SelectStatement;
}

/** `x op ANY (...)`, `x op SOME (...)`, `x op ALL (...)`. */
export interface QuantifiedExpr extends Span {
  kind: 'quantified';
  op: string;
  quantifier: 'any' | 'all';
  arg: Expr;
  /** An array expression or a subquery. */
  right: Expr;
}

export interface ArrayExpr extends Span {
  kind: 'array';
  elements: Expr[];
  /** ARRAY(SELECT ...) */
  query?: SelectStatement;
}

/** `(a, b)` or `ROW(a, b)`. */
export interface RowExpr extends Span {
  kind: 'row';
  elements: Expr[];
}

export interface SubscriptExpr extends Span {
  kind: 'subscript';
  arg: Expr;
  index: Expr | null;
  upper?: Expr | null;
  slice: boolean;
}

/** `(expr).field` */
export interface FieldExpr extends Span {
  kind: 'field';
  arg: Expr;
  field: string;
}

export interface SelectItem extends Span {
  expr: Expr;
  alias?: string;
}

export type FromItem = TableRef | SubqueryRef | FunctionRef | ValuesRef | JoinExpr;

export interface AliasClause extends Span {
  name: string;
  columns?: string[];
}

export interface TableRef extends Span {
  kind: 'table';
  /** Name parts as written (folded unless quoted): ['posts'], ['public','posts']. */
  parts: string[];
  alias?: AliasClause;
  /** FROM ONLY t (no inheritance children). */
  only: boolean;
  tablesample?: Span;
}

export interface SubqueryRef extends Span {
  kind: 'subquery';
  query: SelectStatement;
  alias?: AliasClause;
  lateral: boolean;
}

export interface FunctionRef extends Span {
  kind: 'function';
  call: FunctionExpr;
  alias?: AliasClause;
  lateral: boolean;
  withOrdinality: boolean;
}

export interface ValuesRef extends Span {
  kind: 'values';
  rows: Expr[][];
  alias?: AliasClause;
}

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'cross' | 'semi' | 'anti';

export interface JoinExpr extends Span {
  kind: 'join';
  type: JoinType;
  natural: boolean;
  left: FromItem;
  right: FromItem;
  on?: Expr;
  using?: { columns: string[]; alias?: string } & Span;
  alias?: AliasClause;
}

export interface CommonTableExpr extends Span {
  name: string;
  columns?: string[];
  materialized?: boolean;
  query: SelectStatement;
}

/** One SELECT ... block (no set operation). */
export interface SelectCore extends Span {
  kind: 'select';
  distinct: boolean;
  distinctOn?: Expr[];
  items: SelectItem[];
  /** What follows SELECT up to FROM: DISTINCT [ON (...)] and the select list (for reuse of its text). */
  itemsSpan: Span;
  from: FromItem[];
  where?: Expr;
  groupBy: Expr[];
  /** GROUP BY uses ROLLUP, CUBE or GROUPING SETS. */
  groupingSets: boolean;
  having?: Expr;
  /** WINDOW w AS (...) definitions, by name. */
  windows: Array<{ name: string; spec: WindowSpec }>;
}

export interface ValuesCore extends Span {
  kind: 'values';
  rows: Expr[][];
}

export interface SetOperation extends Span {
  kind: 'set-operation';
  op: 'union' | 'intersect' | 'except';
  all: boolean;
  left: QueryBody;
  right: QueryBody;
}

/** A parenthesized full statement used as a set-operation operand. */
export interface NestedQuery extends Span {
  kind: 'nested';
  query: SelectStatement;
}

export type QueryBody = SelectCore | ValuesCore | SetOperation | NestedQuery;

export interface SelectStatement extends Span {
  with?: { recursive: boolean; ctes: CommonTableExpr[] } & Span;
  body: QueryBody;
  orderBy: OrderItem[];
  limit?: Expr | 'all';
  offset?: Expr;
  /** FETCH FIRST n ROWS WITH TIES */
  withTies: boolean;
  /** FOR UPDATE / FOR SHARE ... */
  locking?: Span;
  /** Where the trailing clauses (ORDER BY, LIMIT, OFFSET, FETCH, FOR ...) start, if any. */
  tailStart?: number;
}

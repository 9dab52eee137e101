/**
 * From the syntax tree of one SELECT statement to its query graph: relations, equi-joins,
 * equivalence classes, single-relation filters, and a precise list of what it cannot represent.
 */
import type { ColumnKind } from '../engine/types.js';
import type { ColumnExpr, Expr, FromItem, JoinExpr, SelectCore, SelectStatement } from './ast.js';
import { deriveFromEquivalences } from './equivalence.js';
import type { ColumnRef, FromNode, JoinEdge, OutputItem, QueryGraph, QueryOutput, Relation, UnsupportedConstruct } from './graph.js';
import { AGGREGATES } from './keywords.js';
import type { Dialect } from './lexer.js';
import { evaluateConstant } from './literals.js';
import { positionAt } from './position.js';
import { buildPredicates, type PredicateContext } from './predicates.js';
import type { ResolvedSchema } from './schema.js';
import { chainOperands, childExprs, findExpr, isSubqueryNode, walkExpr } from './walk.js';

/** A column name resolved, or why it could not be. */
type Resolution = { ok: true; ref: ColumnRef } | { ok: false; construct: UnsupportedConstruct; reason: string };

export function buildGraph(sql: string, stmt: SelectStatement, dialect: Dialect, schema: ResolvedSchema | undefined): QueryGraph {
  return new GraphBuilder(sql, dialect, schema).build(stmt);
}

/** A graph for a statement that is not a SELECT (it is not parsed). */
export function statementGraph(sql: string, dialect: Dialect, keyword: string, offset: number): QueryGraph {
  const graph = emptyGraph(sql, dialect);
  graph.supported = false;
  graph.unsupported.push({
    construct: 'statement',
    reason: `${keyword.toUpperCase()} statements are not analyzed; only SELECT queries are`,
    position: positionAt(sql, offset),
  });
  return graph;
}

/** A graph for a statement whose syntax tree is too deep to analyze. */
export function tooDeepGraph(sql: string, dialect: Dialect): QueryGraph {
  const graph = emptyGraph(sql, dialect);
  graph.supported = false;
  graph.unsupported.push({ construct: 'too-deep', reason: 'the statement nests too deeply (joins, casts or operators) to analyze' });
  return graph;
}

function emptyGraph(sql: string, dialect: Dialect): QueryGraph {
  return {
    sql,
    dialect,
    relations: [],
    from: [],
    joins: [],
    equivalences: [],
    predicates: [],
    supported: true,
    unsupported: [],
    output: { items: [], distinct: false, groupBy: false, having: false, orderBy: false, selectText: '', tailText: '' },
  };
}

function sortRefs(a: ColumnRef, b: ColumnRef): number {
  if (a.alias !== b.alias) return a.alias < b.alias ? -1 : 1;
  return a.column < b.column ? -1 : a.column > b.column ? 1 : 0;
}

/** An edge with its ends in sorted order. */
export function makeEdge(a: ColumnRef, b: ColumnRef, derived = false): JoinEdge {
  const [left, right] = sortRefs(a, b) <= 0 ? [a, b] : [b, a];
  const edge: JoinEdge = { left: { alias: left.alias, column: left.column }, right: { alias: right.alias, column: right.column } };
  if (derived) edge.derived = true;
  return edge;
}

class GraphBuilder implements PredicateContext {
  /** The resolved columns of the condition being classified. */
  refs: ReadonlyMap<ColumnExpr, ColumnRef> = new Map();
  private readonly graph: QueryGraph;
  private readonly byAlias = new Map<string, Relation>();
  /** CTE names in scope: FROM references to them are not tables. */
  private readonly cteNames = new Set<string>();
  /** Columns merged by JOIN ... USING at the top level: name -> the column it stands for. */
  private readonly merged = new Map<string, ColumnRef | 'ambiguous'>();
  /** The conditions of WHERE and of inner joins' ON clauses, split at AND. */
  private readonly conjuncts: Expr[] = [];

  constructor(
    readonly sql: string,
    dialect: Dialect,
    private readonly schema: ResolvedSchema | undefined,
  ) {
    this.graph = emptyGraph(sql, dialect);
  }

  private report(construct: UnsupportedConstruct, reason: string, offset: number): void {
    this.graph.unsupported.push({ construct, reason, position: positionAt(this.sql, offset) });
  }

  private text(start: number, end: number): string {
    const t = this.sql.slice(start, end).replace(/\s+/g, ' ').trim();
    return t.length > 80 ? `${t.slice(0, 77)}...` : t;
  }

  build(stmt: SelectStatement): QueryGraph {
    let statement = stmt;
    while (statement.body.kind === 'nested' && !statement.with && statement.tailStart === undefined) statement = statement.body.query;
    if (statement.with) {
      for (const cte of statement.with.ctes) this.cteNames.add(cte.name);
      this.report('cte', 'WITH queries are not represented (PostgreSQL may inline them into the join)', statement.with.start);
    }
    const body = statement.body;
    if (body.kind === 'set-operation') {
      this.report('set-operation', `${body.op.toUpperCase()} combines several queries; only a single SELECT is represented`, body.start);
    } else if (body.kind === 'values') {
      this.report('values', 'a VALUES list reads no table', body.start);
    } else if (body.kind === 'nested') {
      this.report('subquery', 'a parenthesized query with its own WITH, ORDER BY or LIMIT is not represented', body.start);
    } else {
      this.core(body, statement);
    }
    if (statement.locking) this.report('row-locking', 'FOR UPDATE/SHARE locks rows; only read-only queries are represented', statement.locking.start);
    this.graph.supported = this.graph.unsupported.length === 0;
    return this.graph;
  }

  private core(core: SelectCore, stmt: SelectStatement): void {
    for (const item of core.from) {
      const node = this.fromItem(item);
      if (node !== undefined) this.graph.from.push(node);
    }
    if (this.graph.relations.length === 0 && core.from.length === 0) {
      this.report('no-relations', 'the query reads no table', core.start);
    }
    if (core.where) this.collectConjuncts(core.where);
    for (const c of this.conjuncts) this.conjunct(c);
    const derived = deriveFromEquivalences(this.graph, (ref) => this.kindOf(ref));
    for (const u of derived.unsupported) this.report(u.construct, u.reason, u.offset ?? core.start);
    this.graph.output = this.output(core, stmt);
  }

  // ---------------------------------------------------------------- FROM

  /** Registers the relations of a FROM item; returns its shape when it is representable. */
  private fromItem(item: FromItem): FromNode | undefined {
    switch (item.kind) {
      case 'table':
        return this.table(item);
      case 'subquery':
        this.report('subquery-in-from', 'a subquery in FROM is not represented (PostgreSQL may pull it up into the join)', item.start);
        return undefined;
      case 'function':
        this.report('function-in-from', `function ${item.call.name.join('.')}() in FROM is not a table`, item.start);
        return undefined;
      case 'values':
        this.report('values', 'a VALUES list in FROM is not a table', item.start);
        return undefined;
      case 'join':
        return this.join(item);
    }
  }

  private table(item: Extract<FromItem, { kind: 'table' }>): FromNode | undefined {
    const parts = item.parts;
    const table = parts[parts.length - 1]!;
    if (parts.length === 1 && this.cteNames.has(table)) {
      this.report('cte', `"${table}" refers to a WITH query, not a table`, item.start);
      return undefined;
    }
    if (item.alias?.columns) this.report('column-aliases', `alias ${item.alias.name}(...) renames the columns of ${table}`, item.alias.start);
    if (item.tablesample) this.report('tablesample', 'TABLESAMPLE reads a sample, not the table', item.tablesample.start);
    const relation: Relation = { alias: item.alias?.name ?? table, table };
    if (parts.length >= 2) relation.schema = parts[parts.length - 2]!;
    if (parts.length >= 3) relation.catalog = parts.slice(0, parts.length - 2).join('.');
    const existing = this.byAlias.get(relation.alias);
    if (existing) {
      if (!item.alias && existing.alias === existing.table) {
        this.report('self-join-without-alias', `table ${table} appears twice without aliases; give each occurrence its own alias`, item.start);
      } else {
        this.report('duplicate-alias', `alias "${relation.alias}" is used for two relations; each needs its own alias`, item.start);
      }
      return undefined;
    }
    this.byAlias.set(relation.alias, relation);
    this.graph.relations.push(relation);
    return relation.alias;
  }

  private join(item: JoinExpr): FromNode | undefined {
    if (item.alias) this.report('column-aliases', `a join with an alias (${item.alias.name}) hides its relations' names`, item.alias.start);
    if (item.type === 'left' || item.type === 'right' || item.type === 'full') {
      this.report('outer-join', `${item.type.toUpperCase()} JOIN keeps unmatched rows; only inner joins are represented`, item.start);
    } else if (item.type === 'semi' || item.type === 'anti') {
      this.report('semi-join', `${item.type.toUpperCase()} JOIN is not an inner join`, item.start);
    }
    const left = this.fromItem(item.left);
    const right = this.fromItem(item.right);
    const inner = item.type === 'inner' || item.type === 'cross';
    if (item.on && inner) this.collectConjuncts(item.on);
    if (item.using && inner) {
      for (const column of item.using.columns) this.usingColumn(item, column, item.using.start);
    }
    if (item.natural && inner) this.naturalJoin(item);
    return inner && left !== undefined && right !== undefined ? { join: [left, right] } : undefined;
  }

  private usingColumn(join: JoinExpr, column: string, offset: number): void {
    const left = this.sourceOf(join.left, column);
    const right = this.sourceOf(join.right, column);
    if (!left || !right) {
      const side = !left ? 'left' : 'right';
      this.report('join-using', `cannot tell which relation on the ${side} of USING (${column}) has column ${column}; pass the schema option or qualify the join with ON`, offset);
      return;
    }
    this.graph.joins.push(makeEdge(left, right));
    this.addMerged(column, left);
  }

  /** An unqualified USING column name stands for its left source; two different sources make it ambiguous. */
  private addMerged(column: string, ref: ColumnRef): void {
    const prior = this.merged.get(column);
    if (prior === undefined) this.merged.set(column, ref);
    else if (prior !== 'ambiguous' && (prior.alias !== ref.alias || prior.column !== ref.column)) this.merged.set(column, 'ambiguous');
  }

  private naturalJoin(join: JoinExpr): void {
    const leftCols = this.columnsOf(join.left);
    const rightCols = this.columnsOf(join.right);
    if (!leftCols || !rightCols) {
      this.report('natural-join', 'NATURAL JOIN needs the tables\' columns: pass the schema option', join.start);
      return;
    }
    for (const column of leftCols) if (rightCols.has(column)) this.usingColumn(join, column, join.start);
  }

  /** The relation column a USING column name stands for on one side of a join. */
  private sourceOf(item: FromItem, column: string): ColumnRef | undefined {
    if (item.kind === 'table') {
      const alias = item.alias?.name ?? item.parts[item.parts.length - 1]!;
      return this.byAlias.has(alias) ? { alias, column } : undefined;
    }
    if (item.kind !== 'join') return undefined;
    if (item.using?.columns.includes(column) || (item.natural && this.columnsOf(item.left)?.has(column) && this.columnsOf(item.right)?.has(column))) {
      return this.sourceOf(item.left, column);
    }
    const owners = this.relationsIn(item).filter((r) => this.schema?.get(r.table)?.has(column));
    return owners.length === 1 ? { alias: owners[0]!.alias, column } : undefined;
  }

  private relationsIn(item: FromItem): Relation[] {
    if (item.kind === 'table') {
      const r = this.byAlias.get(item.alias?.name ?? item.parts[item.parts.length - 1]!);
      return r ? [r] : [];
    }
    if (item.kind === 'join') return [...this.relationsIn(item.left), ...this.relationsIn(item.right)];
    return [];
  }

  private columnsOf(item: FromItem): Set<string> | undefined {
    if (!this.schema) return undefined;
    const out = new Set<string>();
    for (const r of this.relationsIn(item)) {
      const cols = this.schema.get(r.table);
      if (!cols) return undefined;
      for (const c of cols.keys()) out.add(c);
    }
    return out;
  }

  // ---------------------------------------------------------------- conditions

  private collectConjuncts(e: Expr): void {
    for (const expr of chainOperands(e, 'and')) this.conjuncts.push(expr);
  }

  kindOf(ref: ColumnRef): ColumnKind | undefined {
    const relation = this.byAlias.get(ref.alias);
    if (!relation || !this.schema) return undefined;
    return this.schema.get(relation.table)?.get(ref.column);
  }

  /** Reports a subquery, aggregate or window function found in a condition. */
  private reportNested(nested: Expr): void {
    if (nested.kind === 'exists') this.report('exists', 'EXISTS (SELECT ...) runs a subquery per row; it is not a join of this query', nested.start);
    else if (nested.kind === 'in-subquery') this.report('in-subquery', 'IN (SELECT ...) is a semi-join with a subquery; it is not represented', nested.start);
    else if (nested.kind === 'function') {
      if (nested.over) this.report('window-in-filter', `window function ${nested.name.join('.')}() in a condition`, nested.start);
      else this.report('aggregate-in-filter', `aggregate ${nested.name.join('.')}() in a condition (use HAVING)`, nested.start);
    } else this.report('subquery', 'a subquery inside a condition is not represented', nested.start);
  }

  private isAggregateOrWindow(n: Expr): boolean {
    return n.kind === 'function' && (n.over !== undefined || (n.name.length === 1 && AGGREGATES.has(n.name[0]!) && n.syntax === undefined));
  }

  /**
   * One walk over a condition: collects its column nodes, or stops at the first node that runs a
   * query of its own (subquery, EXISTS, IN (SELECT)) or aggregates.
   */
  private scan(root: Expr, columns: ColumnExpr[]): Expr | undefined {
    const stack: Expr[] = [root];
    while (stack.length > 0) {
      const e = stack.pop()!;
      switch (e.kind) {
        case 'column':
          columns.push(e);
          break;
        case 'literal':
        case 'typed-literal':
        case 'param':
        case 'star':
          break;
        case 'binary':
          stack.push(e.right, e.left);
          break;
        case 'unary':
        case 'cast':
          stack.push(e.arg);
          break;
        default: {
          if (isSubqueryNode(e) || (e.kind === 'quantified' && e.right.kind === 'subquery') || this.isAggregateOrWindow(e)) return e;
          const children = childExprs(e);
          for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
        }
      }
    }
    return undefined;
  }

  private conjunct(e: Expr): void {
    const columns: ColumnExpr[] = [];
    const nested = this.scan(e, columns);
    if (nested) return this.reportNested(nested);
    const refs = new Map<ColumnExpr, ColumnRef>();
    let alias: string | undefined;
    let several = false;
    for (const node of columns) {
      const r = this.resolve(node);
      if (!r.ok) return this.report(r.construct, r.reason, node.start);
      refs.set(node, r.ref);
      if (alias === undefined) alias = r.ref.alias;
      else if (alias !== r.ref.alias) several = true;
    }
    if (alias === undefined) {
      this.report('constant-condition', `condition "${this.text(e.start, e.end)}" reads no column`, e.start);
      return;
    }
    if (!several) {
      this.refs = refs;
      const result = buildPredicates(e, alias, this);
      if (result.ok) for (const p of result.predicates) this.graph.predicates.push(p);
      else this.report(result.construct, result.reason, result.at);
      return;
    }
    if (e.kind === 'binary' && e.op === '=' && e.left.kind === 'column' && e.right.kind === 'column') {
      this.graph.joins.push(makeEdge(refs.get(e.left)!, refs.get(e.right)!));
      return;
    }
    const names = [...new Set([...refs.values()].map((r) => r.alias))].sort().join(', ');
    const text = this.text(e.start, e.end);
    if (e.kind === 'binary' && e.op === 'or') {
      this.report('or-across-relations', `OR across relations ${names} in "${text}"`, e.start);
    } else if (e.kind === 'binary' && ['<', '>', '<=', '>=', '<>'].includes(e.op) && e.left.kind === 'column' && e.right.kind === 'column') {
      this.report('non-equi-join', `join condition "${text}" between ${names} is not an equality`, e.start);
    } else {
      this.report('join-expression', `condition "${text}" over ${names} is not an equality of two columns`, e.start);
    }
  }

  private resolve(node: ColumnExpr): Resolution {
    const parts = node.parts;
    const column = parts[parts.length - 1]!;
    if (parts.length === 1) return this.resolveUnqualified(column);
    const qualifier = parts[parts.length - 2]!;
    if (parts.length === 2) {
      if (this.byAlias.has(qualifier)) return { ok: true, ref: { alias: qualifier, column } };
      const aliased = this.graph.relations.find((r) => r.table === qualifier);
      if (aliased) {
        return { ok: false, construct: 'unknown-relation', reason: `${qualifier}.${column}: table ${qualifier} is aliased as ${aliased.alias}; refer to it by the alias` };
      }
      return { ok: false, construct: 'unknown-relation', reason: `${qualifier}.${column}: ${qualifier} is not a relation in FROM` };
    }
    const schema = parts[parts.length - 3]!;
    const match = this.graph.relations.find((r) => r.alias === r.table && r.table === qualifier && r.schema === schema);
    if (match) return { ok: true, ref: { alias: match.alias, column } };
    return { ok: false, construct: 'unknown-relation', reason: `${parts.join('.')}: no unaliased relation ${schema}.${qualifier} in FROM` };
  }

  private resolveUnqualified(column: string): Resolution {
    const merged = this.merged.get(column);
    if (merged === 'ambiguous') return { ok: false, construct: 'unqualified-column', reason: `column ${column} is merged by more than one USING join` };
    if (merged) return { ok: true, ref: merged };
    const relations = this.graph.relations;
    if (relations.length === 1) return { ok: true, ref: { alias: relations[0]!.alias, column } };
    if (!this.schema) {
      return { ok: false, construct: 'unqualified-column', reason: `unqualified column ${column} in a multi-table query (qualify it or pass the schema option)` };
    }
    const owners = relations.filter((r) => this.schema!.get(r.table)?.has(column));
    if (owners.length === 1) return { ok: true, ref: { alias: owners[0]!.alias, column } };
    if (owners.length === 0) {
      const unknown = relations.filter((r) => !this.schema!.has(r.table)).map((r) => r.table);
      const why = unknown.length ? `; the schema does not list ${unknown.join(', ')}` : '';
      return { ok: false, construct: 'unknown-column', reason: `column ${column} is in none of the tables ${relations.map((r) => r.table).join(', ')}${why}` };
    }
    return { ok: false, construct: 'unqualified-column', reason: `column ${column} is ambiguous: it is in ${owners.map((r) => r.alias).join(', ')}` };
  }

  // ---------------------------------------------------------------- output

  private output(core: SelectCore, stmt: SelectStatement): QueryOutput {
    const items: OutputItem[] = core.items.map((item) => {
      const out: OutputItem = { text: this.sql.slice(item.expr.start, item.expr.end) };
      if (item.alias !== undefined) out.name = item.alias;
      const e = item.expr;
      if (e.kind === 'function' && !e.over && e.name.length === 1 && AGGREGATES.has(e.name[0]!) && e.syntax === undefined) {
        out.aggregate = e.name[0]!;
        if (e.name[0] === 'count' && e.star && !e.filter) out.countStar = true;
      }
      return out;
    });
    const outputExprs: Expr[] = [...core.items.map((i) => i.expr), ...core.groupBy, ...stmt.orderBy.map((o) => o.expr), ...(core.distinctOn ?? [])];
    if (core.having) outputExprs.push(core.having);
    for (const e of outputExprs) {
      const nested = this.findSubquery(e);
      if (nested) this.report('subquery', 'a subquery in the select list, GROUP BY, HAVING or ORDER BY is planned as a query of its own', nested.start);
    }
    if (core.having) this.checkHaving(core.having);
    const output: QueryOutput = {
      items,
      distinct: core.distinct,
      groupBy: core.groupBy.length > 0 || core.groupingSets,
      having: core.having !== undefined,
      orderBy: stmt.orderBy.length > 0,
      selectText: this.sql.slice(core.itemsSpan.start, core.itemsSpan.end),
      tailText: '',
    };
    const limit = stmt.limit && stmt.limit !== 'all' ? evaluateConstant(stmt.limit) : undefined;
    if (limit?.ok && limit.literal.type === 'number') output.limit = limit.literal.value;
    const offset = stmt.offset ? evaluateConstant(stmt.offset) : undefined;
    if (offset?.ok && offset.literal.type === 'number') output.offset = offset.literal.value;
    const lastFrom = core.from[core.from.length - 1];
    const afterWhere = Math.max(core.itemsSpan.end, lastFrom?.end ?? 0, core.where?.end ?? 0);
    output.tailText = this.sql.slice(afterWhere, stmt.end).trim();
    return output;
  }

  private findSubquery(e: Expr): Expr | undefined {
    return findExpr(e, (n) => isSubqueryNode(n) || (n.kind === 'quantified' && n.right.kind === 'subquery'));
  }

  /** A HAVING condition on plain columns may be moved into WHERE by the planner: not represented. */
  private checkHaving(having: Expr): void {
    let bare: Expr | undefined;
    walkExpr(having, (n) => {
      if (bare) return false;
      if (this.isAggregateOrWindow(n)) return false;
      if (n.kind === 'column') {
        bare = n;
        return false;
      }
      return true;
    });
    if (bare) {
      this.report('having', `HAVING reads column "${this.text(bare.start, bare.end)}" outside an aggregate; PostgreSQL may apply it as a filter`, bare.start);
    }
  }
}

/**
 * A recursive-descent parser for one SELECT statement (PostgreSQL grammar, with the Spark SQL
 * spellings that benchmark workloads use). It builds the whole tree, including constructs the
 * query graph cannot represent, so that analysis can say precisely what it found. Expressions
 * are in parse-expressions.ts, the token cursor in token-cursor.ts.
 */
import type { AliasClause, CommonTableExpr, Expr, FromItem, JoinExpr, JoinType, QueryBody, SelectCore, SelectItem, SelectStatement } from './ast.js';
import { NOT_A_BARE_ALIAS } from './keywords.js';
import { tokenize, type Dialect, type Token } from './lexer.js';
import { ExpressionParser } from './parse-expressions.js';
import { syntaxError } from './position.js';

/** Parses one SELECT statement; malformed SQL throws SQL_PARSE_ERROR with line and column. */
export function parseSelect(sql: string, dialect: Dialect = 'postgresql'): SelectStatement {
  return parseTokens(sql, tokenize(sql, dialect), dialect);
}

export function parseTokens(sql: string, tokens: Token[], dialect: Dialect): SelectStatement {
  return new StatementParser(sql, tokens, dialect).statement();
}



const SELECT_LIST_END = new Set(['from', 'where', 'group', 'having', 'window', 'union', 'intersect', 'except', 'order', 'limit', 'offset', 'fetch', 'for', 'into']);
const JOIN_START = new Set(['join', 'inner', 'left', 'right', 'full', 'cross', 'natural']);

class StatementParser extends ExpressionParser {
  // ---------------------------------------------------------------- statements

  statement(): SelectStatement {
    const t = this.tok;
    if (!(this.isWord('select') || this.isWord('with') || this.isWord('values') || this.isPunct('('))) {
      throw this.fail('SELECT, WITH, VALUES or "("');
    }
    const stmt = this.selectStatement();
    while (this.acceptPunct(';'));
    if (this.tok.kind !== 'eof') {
      throw this.fail(t === this.tok ? 'a SELECT statement' : 'the end of the statement (one statement only)');
    }
    return stmt;
  }

  protected selectStatement(): SelectStatement {
    this.enter();
    const stmt = this.selectStatementBody();
    this.depth--;
    return stmt;
  }

  private selectStatementBody(): SelectStatement {
    const start = this.tok.start;
    let withClause: SelectStatement['with'];
    if (this.isWord('with')) withClause = this.withClause();
    const body = this.queryBody();
    const stmt: SelectStatement = { start, end: 0, body, orderBy: [], withTies: false };
    if (withClause) stmt.with = withClause;
    const tailStart = this.tok.start;
    let hasTail = false;
    for (;;) {
      if (this.isWord('order') && this.isWord('by', this.peek())) {
        this.i += 2;
        stmt.orderBy = this.orderList();
      } else if (this.acceptWord('limit')) {
        if (this.acceptWord('all')) stmt.limit = 'all';
        else stmt.limit = this.expr();
        if (this.dialect === 'postgresql' && this.isPunct(',')) {
          throw syntaxError(this.sql, this.tok.start, 'LIMIT count OFFSET start (LIMIT #,# is not supported)');
        }
      } else if (this.acceptWord('offset')) {
        stmt.offset = this.expr();
        if (!this.acceptWord('rows')) this.acceptWord('row');
      } else if (this.acceptWord('fetch')) {
        if (!this.acceptWord('first')) this.expectWord('next');
        if (!(this.isWord('row') || this.isWord('rows'))) stmt.limit = this.unary();
        else stmt.limit = { kind: 'literal', type: 'number', value: '1', start: this.tok.start, end: this.tok.start };
        if (!this.acceptWord('rows')) this.expectWord('row');
        if (this.acceptWord('with')) {
          this.expectWord('ties');
          stmt.withTies = true;
        } else this.expectWord('only');
      } else if (this.isWord('for') && !this.isPunct('(', this.peek())) {
        const lockStart = this.tok.start;
        this.lockingClause();
        stmt.locking = { start: lockStart, end: this.lastEnd };
      } else break;
      hasTail = true;
    }
    if (hasTail) stmt.tailStart = tailStart;
    stmt.end = this.lastEnd;
    return stmt;
  }

  private lockingClause(): void {
    while (this.acceptWord('for')) {
      if (this.acceptWord('no')) {
        this.expectWord('key');
        this.expectWord('update');
      } else if (this.acceptWord('key')) this.expectWord('share');
      else if (!this.acceptWord('update')) this.expectWord('share');
      if (this.acceptWord('of')) {
        do this.qualifiedName('a table name');
        while (this.acceptPunct(','));
      }
      if (this.acceptWord('skip')) this.expectWord('locked');
      else this.acceptWord('nowait');
    }
  }

  private withClause(): NonNullable<SelectStatement['with']> {
    const start = this.expectWord('with').start;
    const recursive = this.acceptWord('recursive');
    const ctes: CommonTableExpr[] = [];
    do {
      const cteStart = this.tok.start;
      const name = this.name('a name for the WITH query');
      let columns: string[] | undefined;
      if (this.isPunct('(')) columns = this.nameList();
      this.expectWord('as');
      let materialized: boolean | undefined;
      if (this.acceptWord('materialized')) materialized = true;
      else if (this.isWord('not') && this.isWord('materialized', this.peek())) {
        this.i += 2;
        materialized = false;
      }
      this.expectPunct('(');
      const query = this.selectStatement();
      this.expectPunct(')');
      const cte: CommonTableExpr = { start: cteStart, end: this.lastEnd, name, query };
      if (columns) cte.columns = columns;
      if (materialized !== undefined) cte.materialized = materialized;
      ctes.push(cte);
    } while (this.acceptPunct(','));
    return { start, end: this.lastEnd, recursive, ctes };
  }

  /** UNION and EXCEPT (and Spark's MINUS) bind less tightly than INTERSECT. */
  private queryBody(): QueryBody {
    let left = this.intersectTerm();
    for (;;) {
      let op: 'union' | 'except';
      if (this.isWord('union')) op = 'union';
      else if (this.isWord('except') || (this.dialect === 'spark' && this.isWord('minus'))) op = 'except';
      else return left;
      this.advance();
      const all = this.acceptWord('all');
      if (!all) this.acceptWord('distinct');
      const right = this.intersectTerm();
      left = { kind: 'set-operation', op, all, left, right, start: left.start, end: right.end };
    }
  }

  private intersectTerm(): QueryBody {
    let left = this.queryPrimary();
    while (this.acceptWord('intersect')) {
      const all = this.acceptWord('all');
      if (!all) this.acceptWord('distinct');
      const right = this.queryPrimary();
      left = { kind: 'set-operation', op: 'intersect', all, left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private queryPrimary(): QueryBody {
    if (this.isWord('select')) return this.selectCore();
    if (this.isWord('values')) {
      const start = this.advance().start;
      return { kind: 'values', rows: this.valuesRows(), start, end: this.lastEnd };
    }
    if (this.isPunct('(')) {
      const start = this.advance().start;
      const query = this.selectStatement();
      this.expectPunct(')');
      return { kind: 'nested', query, start, end: this.lastEnd };
    }
    throw this.fail('SELECT, VALUES or "("');
  }

  private valuesRows(): Expr[][] {
    const rows: Expr[][] = [];
    do {
      this.expectPunct('(');
      rows.push(this.exprList());
      this.expectPunct(')');
    } while (this.acceptPunct(','));
    return rows;
  }

  private selectCore(): SelectCore {
    const start = this.expectWord('select').start;
    const core: SelectCore = {
      kind: 'select',
      start,
      end: 0,
      distinct: false,
      items: [],
      itemsSpan: { start: this.tok.start, end: this.tok.start },
      from: [],
      groupBy: [],
      groupingSets: false,
      windows: [],
    };
    const afterSelect = this.tok.start;
    if (this.acceptWord('distinct')) {
      core.distinct = true;
      if (this.acceptWord('on')) {
        this.expectPunct('(');
        core.distinctOn = this.exprList();
        this.expectPunct(')');
      }
    } else this.acceptWord('all');
    if (!this.endsSelectList()) {
      do core.items.push(this.selectItem());
      while (this.acceptPunct(','));
    }
    core.itemsSpan = { start: afterSelect, end: this.lastEnd > afterSelect ? this.lastEnd : afterSelect };
    if (this.acceptWord('from')) {
      do core.from.push(this.fromItem());
      while (this.acceptPunct(','));
    }
    if (this.acceptWord('where')) core.where = this.expr();
    if (this.isWord('group') && this.isWord('by', this.peek())) {
      this.i += 2;
      if (!this.acceptWord('all')) this.acceptWord('distinct');
      do this.groupingElement(core);
      while (this.acceptPunct(','));
    }
    if (this.acceptWord('having')) core.having = this.expr();
    if (this.acceptWord('window')) {
      do {
        const name = this.name('a window name');
        this.expectWord('as');
        core.windows.push({ name, spec: this.windowSpec() });
      } while (this.acceptPunct(','));
    }
    core.end = this.lastEnd;
    return core;
  }

  private endsSelectList(): boolean {
    const t = this.tok;
    if (t.kind === 'eof' || this.isPunct(')') || this.isPunct(';')) return true;
    return t.kind === 'word' && SELECT_LIST_END.has(t.value);
  }

  private groupingElement(core: SelectCore): void {
    if (this.isPunct('(') && this.isPunct(')', this.peek())) {
      this.i += 2;
      core.groupingSets = true;
      return;
    }
    if ((this.isWord('rollup') || this.isWord('cube')) && this.isPunct('(', this.peek())) {
      this.i += 2;
      core.groupingSets = true;
      core.groupBy.push(...this.exprList());
      this.expectPunct(')');
      return;
    }
    if (this.isWord('grouping') && this.isWord('sets', this.peek())) {
      this.i += 2;
      core.groupingSets = true;
      this.expectPunct('(');
      do this.groupingElement(core);
      while (this.acceptPunct(','));
      this.expectPunct(')');
      return;
    }
    core.groupBy.push(this.expr());
  }

  private selectItem(): SelectItem {
    const start = this.tok.start;
    const expr = this.expr();
    const item: SelectItem = { start, end: this.lastEnd, expr };
    if (this.acceptWord('as')) item.alias = this.name('a column label after AS', true);
    else if (this.tok.kind === 'ident' || (this.tok.kind === 'word' && !NOT_A_BARE_ALIAS.has(this.tok.value))) {
      item.alias = this.advance().value;
    }
    item.end = this.lastEnd;
    return item;
  }

  // ---------------------------------------------------------------- FROM

  private fromItem(): FromItem {
    this.enter();
    const item = this.joins(this.fromPrimary());
    this.depth--;
    return item;
  }

  private joins(left: FromItem): FromItem {
    for (;;) {
      const start = left.start;
      if (this.isWord('cross') && this.isWord('join', this.peek())) {
        this.i += 2;
        const right = this.fromPrimary();
        left = { kind: 'join', type: 'cross', natural: false, left, right, start, end: this.lastEnd };
        continue;
      }
      const natural = this.acceptWord('natural');
      const type = this.joinType();
      if (type === undefined) {
        if (natural) throw this.fail('JOIN after NATURAL');
        return left;
      }
      let right = this.fromPrimary();
      const join: JoinExpr = { kind: 'join', type, natural, left, right, start, end: 0 };
      if (!natural) {
        // "a JOIN b JOIN c ON x ON y" nests to the right, as in PostgreSQL's grammar.
        if (!this.isWord('on') && !this.isWord('using') && this.startsJoin()) right = join.right = this.joins(right);
        if (this.acceptWord('on')) join.on = this.expr();
        else if (this.isWord('using')) {
          const usingStart = this.advance().start;
          const columns = this.nameList();
          join.using = { columns, start: usingStart, end: this.lastEnd };
          if (this.acceptWord('as')) join.using.alias = this.name('an alias for the USING join');
        } else if (!(this.dialect === 'spark' && (type === 'inner' || type === 'cross'))) {
          throw this.fail('ON or USING after the joined table');
        }
      }
      join.end = this.lastEnd;
      left = join;
    }
  }

  private startsJoin(): boolean {
    const t = this.tok;
    return t.kind === 'word' && JOIN_START.has(t.value);
  }

  /** Consumes a join type and JOIN; undefined (consuming nothing) when no join follows. */
  private joinType(): JoinType | undefined {
    const save = this.i;
    let type: JoinType | undefined;
    if (this.acceptWord('join')) return 'inner';
    if (this.acceptWord('inner')) type = 'inner';
    else if (this.acceptWord('left')) {
      type = 'left';
      if (this.dialect === 'spark' && this.acceptWord('semi')) type = 'semi';
      else if (this.dialect === 'spark' && this.acceptWord('anti')) type = 'anti';
      else this.acceptWord('outer');
    } else if (this.acceptWord('right')) {
      type = 'right';
      this.acceptWord('outer');
    } else if (this.acceptWord('full')) {
      type = 'full';
      this.acceptWord('outer');
    } else if (this.dialect === 'spark' && (this.isWord('semi') || this.isWord('anti')) && this.isWord('join', this.peek())) {
      type = this.advance().value as JoinType;
    } else {
      this.i = save;
      return undefined;
    }
    this.expectWord('join');
    return type;
  }

  private fromPrimary(): FromItem {
    const start = this.tok.start;
    const lateral = this.acceptWord('lateral');
    if (this.isPunct('(')) {
      const next = this.peek();
      if (this.isWord('select', next) || this.isWord('with', next) || this.isWord('values', next) || this.isPunct('(', next)) {
        const save = this.i;
        const depth = this.depth;
        try {
          this.advance();
          const query = this.selectStatement();
          this.expectPunct(')');
          const ref: FromItem = { kind: 'subquery', query, lateral, start, end: this.lastEnd };
          const alias = this.aliasClause();
          if (alias) ref.alias = alias;
          ref.end = this.lastEnd;
          return ref;
        } catch (err) {
          // "((a JOIN b) JOIN c)" also starts with "((": retry as a parenthesized join.
          if (!this.isPunct('(', next)) throw err;
          this.i = save;
          this.depth = depth;
        }
      }
      this.advance();
      const inner = this.fromItem();
      this.expectPunct(')');
      if (inner.kind === 'join') {
        const alias = this.aliasClause();
        if (alias) inner.alias = alias;
      }
      return inner;
    }
    if (this.isWord('values')) {
      this.advance();
      const rows = this.valuesRows();
      const ref: FromItem = { kind: 'values', rows, start, end: this.lastEnd };
      const alias = this.aliasClause();
      if (alias) ref.alias = alias;
      return ref;
    }
    const only = this.acceptWord('only');
    const parts = this.qualifiedName('a table name');
    if (this.isPunct('(') && !only) {
      const call = this.functionCall(parts, start);
      const withOrdinality = this.isWord('with') && this.isWord('ordinality', this.peek());
      if (withOrdinality) this.i += 2;
      const ref: FromItem = { kind: 'function', call, lateral, withOrdinality, start, end: this.lastEnd };
      const alias = this.aliasClause();
      if (alias) ref.alias = alias;
      ref.end = this.lastEnd;
      return ref;
    }
    if (only) this.acceptOp('*');
    else if (this.isOp('*')) this.advance(); // "t *" means t with inheritance children, as plain "t"
    if (lateral) throw syntaxError(this.sql, start, 'a subquery or function call after LATERAL');
    const ref: FromItem = { kind: 'table', parts, only, start, end: this.lastEnd };
    const alias = this.aliasClause();
    if (alias) ref.alias = alias;
    if (this.isWord('tablesample')) {
      const sampleStart = this.advance().start;
      this.qualifiedName('a sampling method');
      this.expectPunct('(');
      this.exprList();
      this.expectPunct(')');
      if (this.acceptWord('repeatable')) {
        this.expectPunct('(');
        this.expr();
        this.expectPunct(')');
      }
      ref.tablesample = { start: sampleStart, end: this.lastEnd };
    }
    ref.end = this.lastEnd;
    return ref;
  }

  private aliasClause(): AliasClause | undefined {
    const start = this.tok.start;
    let name: string;
    if (this.acceptWord('as')) name = this.name('an alias after AS');
    else if (this.tok.kind === 'ident' || (this.tok.kind === 'word' && !NOT_A_BARE_ALIAS.has(this.tok.value))) {
      name = this.advance().value;
    } else return undefined;
    const alias: AliasClause = { name, start, end: this.lastEnd };
    if (this.isPunct('(')) {
      alias.columns = this.nameList();
      alias.end = this.lastEnd;
    }
    return alias;
  }
}

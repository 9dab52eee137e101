/**
 * A recursive-descent parser for one SELECT statement (PostgreSQL grammar, with the Spark SQL
 * spellings that benchmark workloads use). It builds the whole tree, including constructs the
 * query graph cannot represent, so that analysis can say precisely what it found.
 */
import type {
  AliasClause,
  CommonTableExpr,
  Expr,
  FromItem,
  FunctionExpr,
  JoinExpr,
  JoinType,
  OrderItem,
  QueryBody,
  SelectCore,
  SelectItem,
  SelectStatement,
  Span,
  TypeName,
  WindowSpec,
} from './ast.js';
import { NOT_A_BARE_ALIAS, PG_RESERVED } from './keywords.js';
import { tokenize, type Dialect, type Token } from './lexer.js';
import { syntaxError } from './position.js';

/** Parses one SELECT statement; malformed SQL throws SQL_PARSE_ERROR with line and column. */
export function parseSelect(sql: string, dialect: Dialect = 'postgresql'): SelectStatement {
  return parseTokens(sql, tokenize(sql, dialect), dialect);
}

export function parseTokens(sql: string, tokens: Token[], dialect: Dialect): SelectStatement {
  return new Parser(sql, tokens, dialect).statement();
}

const COMPARISON = new Set(['=', '<>', '<', '>', '<=', '>=']);
/** Operators with their own precedence level; every other operator shares the "other" level. */
const NOT_OTHER = new Set(['=', '<>', '<', '>', '<=', '>=', '<=>', '==', '+', '-', '*', '/', '%', '^']);
/** Words that can start a type name in a typed literal or a cast. */
const MULTIWORD_TYPE_START = new Set(['double', 'character', 'char', 'national', 'nchar', 'bit', 'timestamp', 'time', 'varchar']);
/** SQL value functions written without parentheses. */
const SQL_VALUE_FUNCTIONS = new Set([
  'current_date',
  'current_time',
  'current_timestamp',
  'localtime',
  'localtimestamp',
  'current_user',
  'current_role',
  'session_user',
  'user',
  'current_catalog',
  'current_schema',
]);
const SELECT_LIST_END = new Set(['from', 'where', 'group', 'having', 'window', 'union', 'intersect', 'except', 'order', 'limit', 'offset', 'fetch', 'for', 'into']);
const JOIN_START = new Set(['join', 'inner', 'left', 'right', 'full', 'cross', 'natural']);
/** Words that NOT may precede in `x NOT BETWEEN / IN / LIKE ...`. */
const NEGATABLE = new Set(['between', 'in', 'like', 'ilike', 'similar', 'rlike', 'regexp']);
const INTERVAL_FIELDS = new Set(['year', 'month', 'day', 'hour', 'minute', 'second', 'years', 'months', 'days', 'hours', 'minutes', 'seconds', 'week', 'weeks', 'millisecond', 'milliseconds', 'microsecond', 'microseconds']);

/**
 * How deeply expressions, parentheses, subqueries and prefix operators may nest. Deeper input is
 * a syntax error, not a stack overflow (PostgreSQL rejects such statements too).
 */
export const MAX_NESTING = 200;

class Parser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly sql: string,
    private readonly tokens: Token[],
    private readonly dialect: Dialect,
  ) {}

  // ---------------------------------------------------------------- token helpers

  private get tok(): Token {
    return this.tokens[this.i]!;
  }
  private peek(k = 1): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }
  private advance(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  /** End offset of the last consumed token. */
  private get lastEnd(): number {
    return this.i > 0 ? this.tokens[this.i - 1]!.end : 0;
  }
  private isWord(w: string, t: Token = this.tok): boolean {
    return t.kind === 'word' && t.value === w;
  }
  private acceptWord(w: string): boolean {
    if (this.isWord(w)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectWord(w: string): Token {
    if (!this.isWord(w)) throw this.fail(w.toUpperCase());
    return this.advance();
  }
  private isPunct(p: string, t: Token = this.tok): boolean {
    return t.kind === 'punct' && t.value === p;
  }
  private acceptPunct(p: string): boolean {
    if (this.isPunct(p)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectPunct(p: string, what = `"${p}"`): Token {
    if (!this.isPunct(p)) throw this.fail(what);
    return this.advance();
  }
  private isOp(o: string, t: Token = this.tok): boolean {
    return t.kind === 'op' && t.value === o;
  }

  private describe(t: Token): string {
    switch (t.kind) {
      case 'eof':
        return 'end of input';
      case 'word':
        return PG_RESERVED.has(t.value) ? `the keyword ${t.value.toUpperCase()}` : `"${this.sql.slice(t.start, t.end)}"`;
      case 'string':
        return 'a string constant';
      default:
        return `"${this.sql.slice(t.start, t.end)}"`;
    }
  }

  private fail(expected: string, t: Token = this.tok): Error {
    return syntaxError(this.sql, t.start, expected, this.describe(t));
  }

  /** A name: an unquoted word that is not reserved, or a quoted identifier. */
  private isName(t: Token = this.tok, allowReserved = false): boolean {
    return t.kind === 'ident' || (t.kind === 'word' && (allowReserved || !PG_RESERVED.has(t.value)));
  }
  private name(what: string, allowReserved = false): string {
    if (!this.isName(this.tok, allowReserved)) throw this.fail(what);
    return this.advance().value;
  }

  private enter(): void {
    if (++this.depth > MAX_NESTING) {
      throw syntaxError(this.sql, this.tok.start, `at most ${MAX_NESTING} nested levels of parentheses, subqueries and operators`, this.describe(this.tok));
    }
  }

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

  private selectStatement(): SelectStatement {
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

  private acceptOp(o: string): boolean {
    if (this.isOp(o)) {
      this.i++;
      return true;
    }
    return false;
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

  private nameList(): string[] {
    this.expectPunct('(');
    const names: string[] = [];
    do names.push(this.name('a column name'));
    while (this.acceptPunct(','));
    this.expectPunct(')');
    return names;
  }

  private qualifiedName(what: string): string[] {
    const parts = [this.name(what)];
    while (this.isPunct('.') && this.isName(this.peek(), true)) {
      this.advance();
      parts.push(this.advance().value);
    }
    return parts;
  }

  // ---------------------------------------------------------------- expressions

  expr(): Expr {
    this.enter();
    const e = this.or();
    this.depth--;
    return e;
  }

  private exprList(): Expr[] {
    const list = [this.expr()];
    while (this.acceptPunct(',')) list.push(this.expr());
    return list;
  }

  private or(): Expr {
    let left = this.and();
    while (this.acceptWord('or')) {
      const right = this.and();
      left = { kind: 'binary', op: 'or', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.acceptWord('and')) {
      const right = this.not();
      left = { kind: 'binary', op: 'and', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private not(): Expr {
    if (this.isWord('not')) {
      const start = this.advance().start;
      this.enter();
      const arg = this.not();
      this.depth--;
      return { kind: 'unary', op: 'not', arg, start, end: arg.end };
    }
    return this.is();
  }

  private is(): Expr {
    let left = this.comparison();
    for (;;) {
      const start = left.start;
      if (this.acceptWord('isnull')) {
        left = { kind: 'is', arg: left, test: 'null', not: false, start, end: this.lastEnd };
      } else if (this.acceptWord('notnull')) {
        left = { kind: 'is', arg: left, test: 'null', not: true, start, end: this.lastEnd };
      } else if (this.acceptWord('is')) {
        const not = this.acceptWord('not');
        if (this.acceptWord('null')) left = { kind: 'is', arg: left, test: 'null', not, start, end: this.lastEnd };
        else if (this.acceptWord('true')) left = { kind: 'is', arg: left, test: 'true', not, start, end: this.lastEnd };
        else if (this.acceptWord('false')) left = { kind: 'is', arg: left, test: 'false', not, start, end: this.lastEnd };
        else if (this.acceptWord('unknown')) left = { kind: 'is', arg: left, test: 'unknown', not, start, end: this.lastEnd };
        else if (this.acceptWord('distinct')) {
          this.expectWord('from');
          const other = this.comparison();
          left = { kind: 'is', arg: left, test: 'distinct from', other, not, start, end: other.end };
        } else throw this.fail('NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM after IS');
      } else return left;
    }
  }

  private comparisonOp(): string | undefined {
    const t = this.tok;
    if (t.kind !== 'op') return undefined;
    if (COMPARISON.has(t.value)) return t.value;
    if (this.dialect === 'spark' && (t.value === '==' || t.value === '<=>')) return t.value === '==' ? '=' : '<=>';
    return undefined;
  }

  private comparison(): Expr {
    const left = this.pattern();
    const op = this.comparisonOp();
    if (op === undefined) return left;
    this.advance();
    if ((this.isWord('any') || this.isWord('some') || this.isWord('all')) && this.isPunct('(', this.peek())) {
      const quantifier = this.advance().value === 'all' ? 'all' : 'any';
      const right = this.parenthesizedExprOrQuery();
      return { kind: 'quantified', op, quantifier, arg: left, right, start: left.start, end: this.lastEnd };
    }
    const right = this.pattern();
    return { kind: 'binary', op, left, right, start: left.start, end: right.end };
  }

  /** `( expr )` or `( SELECT ... )` as one expression. */
  private parenthesizedExprOrQuery(): Expr {
    const start = this.expectPunct('(').start;
    if (this.startsQuery()) {
      const query = this.selectStatement();
      this.expectPunct(')');
      return { kind: 'subquery', query, start, end: this.lastEnd };
    }
    const e = this.expr();
    this.expectPunct(')');
    return e;
  }

  private startsQuery(): boolean {
    return this.isWord('select') || this.isWord('with') || this.isWord('values');
  }

  /** BETWEEN, IN, LIKE, ILIKE, SIMILAR TO (and Spark's RLIKE), each optionally negated. */
  private pattern(): Expr {
    const left = this.other();
    const start = left.start;
    let not = false;
    const next = this.peek();
    if (this.isWord('not') && next.kind === 'word' && NEGATABLE.has(next.value)) {
      this.advance();
      not = true;
    }
    if (this.acceptWord('between')) {
      let symmetric = false;
      if (this.acceptWord('symmetric')) symmetric = true;
      else this.acceptWord('asymmetric');
      const low = this.other();
      this.expectWord('and');
      const high = this.other();
      return { kind: 'between', arg: left, low, high, not, symmetric, start, end: high.end };
    }
    if (this.acceptWord('in')) {
      const open = this.expectPunct('(', '"(" after IN');
      if (this.startsQuery()) {
        const query = this.selectStatement();
        this.expectPunct(')');
        return { kind: 'in-subquery', arg: left, query, not, start, end: this.lastEnd };
      }
      if (this.isPunct(')')) throw syntaxError(this.sql, open.end, 'at least one value in the IN list', '")"');
      const list = this.exprList();
      this.expectPunct(')');
      return { kind: 'in-list', arg: left, list, not, start, end: this.lastEnd };
    }
    let op: 'like' | 'ilike' | 'similar to' | 'rlike' | undefined;
    if (this.acceptWord('like')) op = 'like';
    else if (this.acceptWord('ilike')) op = 'ilike';
    else if (this.acceptWord('similar')) {
      this.expectWord('to');
      op = 'similar to';
    } else if (this.dialect === 'spark' && (this.acceptWord('rlike') || this.acceptWord('regexp'))) op = 'rlike';
    if (op !== undefined) {
      const pattern = this.other();
      const like: Expr = { kind: 'like', op, arg: left, pattern, not, start, end: pattern.end };
      if (this.acceptWord('escape')) {
        like.escape = this.other();
        like.end = like.escape.end;
      }
      return like;
    }
    if (not) throw this.fail('BETWEEN, IN, LIKE, ILIKE or SIMILAR TO after NOT');
    return left;
  }

  /** Any operator without its own precedence level (||, ~, @>, ...). */
  private other(): Expr {
    let left = this.additive();
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'op' || NOT_OTHER.has(t.value)) return left;
      this.advance();
      const right = this.additive();
      left = { kind: 'binary', op: t.value, left, right, start: left.start, end: right.end };
    }
  }

  private additive(): Expr {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.advance().value;
      const right = this.multiplicative();
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.exponent();
    for (;;) {
      let op: string;
      if (this.isOp('*') || this.isOp('/') || this.isOp('%')) op = this.advance().value;
      else if (this.dialect === 'spark' && this.isWord('div')) op = this.advance().value;
      else return left;
      const right = this.exponent();
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end };
    }
  }

  private exponent(): Expr {
    let left = this.atTimeZone();
    while (this.isOp('^')) {
      this.advance();
      const right = this.atTimeZone();
      left = { kind: 'binary', op: '^', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private atTimeZone(): Expr {
    let left = this.collate();
    while (this.isWord('at') && this.isWord('time', this.peek()) && this.isWord('zone', this.peek(2))) {
      this.i += 3;
      const right = this.collate();
      left = { kind: 'binary', op: 'at time zone', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private collate(): Expr {
    let left = this.unary();
    while (this.isWord('collate')) {
      this.advance();
      const nameStart = this.tok.start;
      const parts = this.qualifiedName('a collation name');
      const right: Expr = { kind: 'literal', type: 'string', value: parts.join('.'), start: nameStart, end: this.lastEnd };
      left = { kind: 'binary', op: 'collate', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  private unary(): Expr {
    const t = this.tok;
    if (t.kind === 'op' && !COMPARISON.has(t.value) && t.value !== '*' && t.value !== '/' && t.value !== '%' && t.value !== '^') {
      this.advance();
      this.enter();
      const arg = this.unary();
      this.depth--;
      return { kind: 'unary', op: t.value, arg, start: t.start, end: arg.end };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.acceptPunct('::')) {
        const type = this.typeName();
        e = { kind: 'cast', arg: e, type, syntax: '::', start: e.start, end: type.end };
      } else if (this.isPunct('[')) {
        this.advance();
        let index: Expr | null = null;
        let upper: Expr | null | undefined;
        let slice = false;
        if (!this.isPunct(':')) index = this.expr();
        if (this.acceptPunct(':')) {
          slice = true;
          upper = this.isPunct(']') ? null : this.expr();
        }
        this.expectPunct(']');
        e = { kind: 'subscript', arg: e, index, slice, start: e.start, end: this.lastEnd };
        if (upper !== undefined) e.upper = upper;
      } else if (this.isPunct('.') && (e.kind !== 'column' || this.sql.charCodeAt(e.start) === 40 /* ( */)) {
        this.advance();
        if (this.acceptOp('*')) e = { kind: 'field', arg: e, field: '*', start: e.start, end: this.lastEnd };
        else e = { kind: 'field', arg: e, field: this.name('a field name', true), start: e.start, end: this.lastEnd };
      } else return e;
    }
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.kind) {
      case 'number':
        this.advance();
        return { kind: 'literal', type: 'number', value: t.value, start: t.start, end: t.end };
      case 'string':
        this.advance();
        return { kind: 'literal', type: 'string', value: t.value, start: t.start, end: t.end };
      case 'bits':
        this.advance();
        return { kind: 'literal', type: 'bits', value: t.value, bitsKind: t.prefix!, start: t.start, end: t.end };
      case 'param':
        this.advance();
        return { kind: 'param', index: Number(t.value), start: t.start, end: t.end };
      case 'punct':
        if (t.value === '(') return this.parenthesized();
        throw this.fail('an expression');
      case 'op':
        if (t.value === '*') {
          this.advance();
          return { kind: 'star', qualifier: [], start: t.start, end: t.end };
        }
        throw this.fail('an expression');
      case 'ident':
        return this.nameExpr();
      case 'word':
        return this.wordExpr(t);
      default:
        throw this.fail('an expression');
    }
  }

  private parenthesized(): Expr {
    const start = this.advance().start;
    if (this.startsQuery()) {
      const query = this.selectStatement();
      this.expectPunct(')');
      return { kind: 'subquery', query, start, end: this.lastEnd };
    }
    const list = this.exprList();
    this.expectPunct(')', '")" or ","');
    if (list.length > 1) return { kind: 'row', elements: list, start, end: this.lastEnd };
    const inner = list[0]!;
    // Keep the parentheses in the span so source text slices stay balanced.
    return { ...inner, start, end: this.lastEnd } as Expr;
  }

  private wordExpr(t: Token): Expr {
    const w = t.value;
    const next = this.peek();
    switch (w) {
      case 'true':
      case 'false':
        this.advance();
        return { kind: 'literal', type: 'boolean', value: w, start: t.start, end: t.end };
      case 'null':
        this.advance();
        return { kind: 'literal', type: 'null', value: 'null', start: t.start, end: t.end };
      case 'case':
        return this.caseExpr();
      case 'cast':
        return this.castExpr('cast');
      case 'exists': {
        this.advance();
        this.expectPunct('(', '"(" after EXISTS');
        const query = this.selectStatement();
        this.expectPunct(')');
        return { kind: 'exists', query, start: t.start, end: this.lastEnd };
      }
      case 'not': {
        this.advance();
        this.enter();
        const arg = this.not();
        this.depth--;
        return { kind: 'unary', op: 'not', arg, start: t.start, end: arg.end };
      }
      case 'array':
        return this.arrayExpr();
      case 'row':
        if (this.isPunct('(', next)) {
          this.advance();
          this.advance();
          const elements = this.isPunct(')') ? [] : this.exprList();
          this.expectPunct(')');
          return { kind: 'row', elements, start: t.start, end: this.lastEnd };
        }
        break;
      case 'interval':
        return this.intervalLiteral();
      case 'extract':
      case 'position':
      case 'substring':
      case 'trim':
      case 'overlay':
        if (this.isPunct('(', next)) return this.specialFunction(w);
        break;
      case 'try_cast':
        if (this.dialect === 'spark' && this.isPunct('(', next)) return this.castExpr('try_cast');
        break;
      default:
        break;
    }
    if (SQL_VALUE_FUNCTIONS.has(w) && !this.isPunct('.', next)) {
      this.advance();
      const fn: FunctionExpr = this.emptyCall([w], t.start);
      fn.syntax = 'sql-value';
      if (this.isPunct('(') && (w === 'current_time' || w === 'current_timestamp' || w === 'localtime' || w === 'localtimestamp')) {
        this.advance();
        fn.args.push(this.expr());
        this.expectPunct(')');
      }
      fn.end = this.lastEnd;
      return fn;
    }
    const typed = this.tryTypedLiteral();
    if (typed) return typed;
    if (PG_RESERVED.has(w)) throw this.fail('an expression');
    return this.nameExpr();
  }

  /** A column reference, `t.*`, or a function call. */
  private nameExpr(): Expr {
    const start = this.tok.start;
    const parts = [this.advance().value];
    while (this.isPunct('.')) {
      const next = this.peek();
      if (this.isOp('*', next)) {
        this.i += 2;
        return { kind: 'star', qualifier: parts, start, end: this.lastEnd };
      }
      if (!this.isName(next, true)) break;
      this.advance();
      parts.push(this.advance().value);
    }
    if (this.isPunct('(')) return this.functionCall(parts, start);
    return { kind: 'column', parts, start, end: this.lastEnd };
  }

  private emptyCall(name: string[], start: number): FunctionExpr {
    return { kind: 'function', name, args: [], star: false, distinct: false, orderBy: [], withinGroup: [], start, end: start };
  }

  private functionCall(name: string[], start: number): FunctionExpr {
    const fn = this.emptyCall(name, start);
    this.expectPunct('(');
    if (this.isOp('*')) {
      this.advance();
      fn.star = true;
    } else if (!this.isPunct(')')) {
      if (this.acceptWord('distinct')) fn.distinct = true;
      else this.acceptWord('all');
      do fn.args.push(this.functionArg());
      while (this.acceptPunct(','));
      if (this.isWord('order') && this.isWord('by', this.peek())) {
        this.i += 2;
        fn.orderBy = this.orderList();
      }
    }
    this.expectPunct(')', '")" to close the argument list');
    if (this.isWord('within') && this.isWord('group', this.peek())) {
      this.i += 2;
      this.expectPunct('(');
      this.expectWord('order');
      this.expectWord('by');
      fn.withinGroup = this.orderList();
      this.expectPunct(')');
    }
    if (this.isWord('filter') && this.isPunct('(', this.peek())) {
      this.i += 2;
      this.expectWord('where');
      fn.filter = this.expr();
      this.expectPunct(')');
    }
    if (this.acceptWord('over')) {
      if (this.isPunct('(')) fn.over = this.windowSpec();
      else {
        const nameStart = this.tok.start;
        fn.over = { name: this.name('a window name or "("'), partitionBy: [], orderBy: [], start: nameStart, end: this.lastEnd };
      }
    }
    fn.end = this.lastEnd;
    return fn;
  }

  private functionArg(): Expr {
    this.acceptWord('variadic');
    // Named argument: name => value, or name := value.
    if (this.isName(this.tok, true) && (this.isPunct('=>', this.peek()) || this.isPunct(':=', this.peek()))) this.i += 2;
    return this.expr();
  }

  private windowSpec(): WindowSpec {
    const start = this.expectPunct('(').start;
    const spec: WindowSpec = { partitionBy: [], orderBy: [], start, end: 0 };
    if (this.isName() && !this.isWord('partition') && !this.isWord('order') && !this.isWord('rows') && !this.isWord('range') && !this.isWord('groups')) {
      spec.name = this.advance().value;
    }
    if (this.isWord('partition') && this.isWord('by', this.peek())) {
      this.i += 2;
      spec.partitionBy = this.exprList();
    }
    if (this.isWord('order') && this.isWord('by', this.peek())) {
      this.i += 2;
      spec.orderBy = this.orderList();
    }
    if (this.isWord('rows') || this.isWord('range') || this.isWord('groups')) {
      const frameStart = this.tok.start;
      let depth = 0;
      while (this.tok.kind !== 'eof' && !(depth === 0 && this.isPunct(')'))) {
        if (this.isPunct('(')) depth++;
        if (this.isPunct(')')) depth--;
        this.advance();
      }
      spec.frame = this.sql.slice(frameStart, this.lastEnd);
    }
    this.expectPunct(')', '")" to close the window definition');
    spec.end = this.lastEnd;
    return spec;
  }

  private orderList(): OrderItem[] {
    const items: OrderItem[] = [];
    do {
      const expr = this.expr();
      const item: OrderItem = { expr, start: expr.start, end: 0 };
      if (this.acceptWord('asc')) item.direction = 'asc';
      else if (this.acceptWord('desc')) item.direction = 'desc';
      else if (this.acceptWord('using')) {
        if (this.tok.kind !== 'op') throw this.fail('an operator after USING');
        item.direction = this.advance().value === '>' ? 'desc' : 'asc';
      }
      if (this.acceptWord('nulls')) {
        if (this.acceptWord('first')) item.nulls = 'first';
        else {
          this.expectWord('last');
          item.nulls = 'last';
        }
      }
      item.end = this.lastEnd;
      items.push(item);
    } while (this.acceptPunct(','));
    return items;
  }

  private caseExpr(): Expr {
    const start = this.expectWord('case').start;
    const node: Expr = { kind: 'case', whens: [], start, end: 0 };
    if (!this.isWord('when')) node.operand = this.expr();
    while (this.acceptWord('when')) {
      const when = this.expr();
      this.expectWord('then');
      node.whens.push({ when, then: this.expr() });
    }
    if (node.whens.length === 0) throw this.fail('WHEN');
    if (this.acceptWord('else')) node.else = this.expr();
    this.expectWord('end');
    node.end = this.lastEnd;
    return node;
  }

  private castExpr(syntax: 'cast' | 'try_cast'): Expr {
    const start = this.advance().start;
    this.expectPunct('(');
    const arg = this.expr();
    this.expectWord('as');
    const type = this.typeName();
    this.expectPunct(')');
    return { kind: 'cast', arg, type, syntax, start, end: this.lastEnd };
  }

  private arrayExpr(): Expr {
    const start = this.expectWord('array').start;
    if (this.isPunct('(')) {
      this.advance();
      const query = this.selectStatement();
      this.expectPunct(')');
      return { kind: 'array', elements: [], query, start, end: this.lastEnd };
    }
    return this.arrayBrackets(start);
  }

  private arrayBrackets(start: number): Expr {
    this.enter();
    this.expectPunct('[', '"[" after ARRAY');
    const elements: Expr[] = [];
    if (!this.isPunct(']')) {
      do elements.push(this.isPunct('[') ? this.arrayBrackets(this.tok.start) : this.expr());
      while (this.acceptPunct(','));
    }
    this.expectPunct(']');
    this.depth--;
    return { kind: 'array', elements, start, end: this.lastEnd };
  }

  /** INTERVAL '1 day', INTERVAL '1' DAY, INTERVAL '1:30' HOUR TO MINUTE, Spark's INTERVAL 1 DAY. */
  private intervalLiteral(): Expr {
    const start = this.expectWord('interval').start;
    const typeEnd = this.lastEnd;
    let precision: Expr | undefined;
    if (this.isPunct('(')) {
      this.advance();
      precision = this.expr();
      this.expectPunct(')');
    }
    let value: string;
    if (this.tok.kind === 'string') value = this.advance().value;
    else if (this.dialect === 'spark' && (this.tok.kind === 'number' || this.isOp('-'))) {
      const neg = this.acceptOp('-');
      if (this.tok.kind !== 'number') throw this.fail('a number after INTERVAL');
      value = (neg ? '-' : '') + this.advance().value;
    } else throw this.fail(this.dialect === 'spark' ? 'a string or number after INTERVAL' : 'a string constant after INTERVAL');
    const type: TypeName = { name: 'interval', parts: ['interval'], modifiers: precision ? [precision] : [], arrayDims: 0, start, end: typeEnd };
    const node: Expr = { kind: 'typed-literal', type, value, start, end: this.lastEnd };
    const qualifier = this.intervalQualifier();
    if (qualifier) node.qualifier = qualifier;
    node.end = this.lastEnd;
    return node;
  }

  private intervalQualifier(): string | undefined {
    if (!(this.tok.kind === 'word' && INTERVAL_FIELDS.has(this.tok.value))) return undefined;
    let q = this.advance().value;
    if (this.isPunct('(')) {
      this.advance();
      q += `(${this.advance().value})`;
      this.expectPunct(')');
    }
    if (this.acceptWord('to')) {
      if (!(this.tok.kind === 'word' && INTERVAL_FIELDS.has(this.tok.value))) throw this.fail('an interval field after TO');
      q += ` to ${this.advance().value}`;
      if (this.isPunct('(')) {
        this.advance();
        q += `(${this.advance().value})`;
        this.expectPunct(')');
      }
    }
    return q;
  }

  /** `type 'string'`: DATE '...', TIMESTAMP WITH TIME ZONE '...', int4 '5', pg_catalog.date '...'. */
  private tryTypedLiteral(): Expr | undefined {
    const t = this.tok;
    const next = this.peek();
    const simple = next.kind === 'string';
    const qualified = this.isPunct('.', next) && this.peek(3).kind === 'string';
    if (!simple && !qualified && !MULTIWORD_TYPE_START.has(t.value)) return undefined;
    const save = this.i;
    const depth = this.depth;
    try {
      const type = this.typeName();
      if (this.tok.kind === 'string' && type.arrayDims === 0) {
        const value = this.advance().value;
        return { kind: 'typed-literal', type, value, start: t.start, end: this.lastEnd };
      }
    } catch {
      // not a type name after all
    }
    this.i = save;
    this.depth = depth;
    return undefined;
  }

  typeName(): TypeName {
    const start = this.tok.start;
    const t = this.tok;
    let name: string;
    let parts: string[];
    const modifiers: Expr[] = [];
    const word = t.kind === 'word' ? t.value : '';
    if (word === 'double' && this.isWord('precision', this.peek())) {
      this.i += 2;
      name = 'double precision';
    } else if (word === 'character' || word === 'char' || word === 'nchar' || word === 'national') {
      this.advance();
      if (word === 'national') {
        if (!this.acceptWord('character')) this.expectWord('char');
      }
      name = this.acceptWord('varying') ? 'character varying' : 'character';
    } else if (word === 'bit') {
      this.advance();
      name = this.acceptWord('varying') ? 'bit varying' : 'bit';
    } else if (word === 'timestamp' || word === 'time') {
      this.advance();
      if (this.isPunct('(')) {
        this.advance();
        modifiers.push(this.expr());
        this.expectPunct(')');
      }
      name = word;
      if ((this.isWord('with') || this.isWord('without')) && this.isWord('time', this.peek()) && this.isWord('zone', this.peek(2))) {
        name = `${word} ${this.advance().value} time zone`;
        this.i += 2;
      }
    } else if (word === 'interval') {
      this.advance();
      name = 'interval';
      const q = this.intervalQualifier();
      if (q) name += ` ${q}`;
    } else {
      parts = this.qualifiedName('a type name');
      name = parts.join('.');
      return this.typeTail({ name, parts, modifiers, arrayDims: 0, start, end: this.lastEnd });
    }
    return this.typeTail({ name, parts: [name], modifiers, arrayDims: 0, start, end: this.lastEnd });
  }

  private typeTail(type: TypeName): TypeName {
    if (this.isPunct('(') && type.modifiers.length === 0) {
      this.advance();
      type.modifiers = this.exprList();
      this.expectPunct(')');
    }
    for (;;) {
      if (this.isPunct('[')) {
        this.advance();
        if (this.tok.kind === 'number') this.advance();
        this.expectPunct(']');
        type.arrayDims++;
      } else if (this.isWord('array')) {
        this.advance();
        if (this.acceptPunct('[')) {
          if (this.tok.kind === 'number') this.advance();
          this.expectPunct(']');
        }
        type.arrayDims++;
      } else break;
    }
    type.end = this.lastEnd;
    return type;
  }

  /** EXTRACT(f FROM x), POSITION(a IN b), SUBSTRING(x FROM a FOR b), TRIM(...), OVERLAY(...). */
  private specialFunction(name: string): Expr {
    const start = this.tok.start;
    const save = this.i;
    this.i += 2;
    const fn = this.emptyCall([name], start);
    fn.syntax = name;
    const str = (value: string, s: Span): Expr => ({ kind: 'literal', type: 'string', value, start: s.start, end: s.end });
    switch (name) {
      case 'extract': {
        const ft = this.tok;
        if (ft.kind !== 'word' && ft.kind !== 'ident' && ft.kind !== 'string') throw this.fail('a field name in EXTRACT');
        this.advance();
        this.expectWord('from');
        fn.args = [str(ft.value, ft), this.expr()];
        break;
      }
      case 'position': {
        const needle = this.other();
        this.expectWord('in');
        fn.args = [needle, this.other()];
        break;
      }
      case 'substring':
      case 'overlay': {
        const first = this.expr();
        fn.args = [first];
        if (name === 'overlay') {
          this.expectWord('placing');
          fn.args.push(this.expr());
        }
        if (this.isPunct(',')) {
          // the ordinary call syntax substring(x, a, b)
          this.i = save + 1;
          return this.functionCall([name], start);
        }
        if (this.acceptWord('from')) fn.args.push(this.expr());
        if (this.acceptWord('for')) fn.args.push(this.expr());
        if (this.acceptWord('similar')) fn.args.push(this.expr());
        break;
      }
      case 'trim': {
        let where = 'both';
        if (this.isWord('both') || this.isWord('leading') || this.isWord('trailing')) where = this.advance().value;
        fn.args.push(str(where, this.tokens[this.i - 1]!));
        if (this.acceptWord('from')) fn.args.push(...this.exprList());
        else {
          const first = this.exprList();
          if (this.acceptWord('from')) fn.args.push(...this.exprList(), ...first);
          else fn.args.push(...first);
        }
        break;
      }
      default:
        break;
    }
    this.expectPunct(')', `")" to close ${name.toUpperCase()}(...)`);
    fn.end = this.lastEnd;
    return fn;
  }
}

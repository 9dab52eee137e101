/**
 * The expression grammar (PostgreSQL precedence: OR < AND < NOT < IS < comparison < BETWEEN / IN /
 * LIKE < other operators < + - < * / % < ^ < AT TIME ZONE < COLLATE < unary < :: and subscripts),
 * with type names, typed literals and the SQL-standard special function syntax.
 */
import type { Expr, FunctionExpr, OrderItem, SelectStatement, Span, TypeName, WindowSpec } from './ast.js';
import { PG_RESERVED } from './keywords.js';
import type { Token } from './lexer.js';
import { syntaxError } from './position.js';
import { TokenCursor } from './token-cursor.js';

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
/** Words that NOT may precede in `x NOT BETWEEN / IN / LIKE ...`. */
const NEGATABLE = new Set(['between', 'in', 'like', 'ilike', 'similar', 'rlike', 'regexp']);
const INTERVAL_FIELDS = new Set(['year', 'month', 'day', 'hour', 'minute', 'second', 'years', 'months', 'days', 'hours', 'minutes', 'seconds', 'week', 'weeks', 'millisecond', 'milliseconds', 'microsecond', 'microseconds']);

export abstract class ExpressionParser extends TokenCursor {
  /** A whole (sub)query: provided by the statement parser. */
  protected abstract selectStatement(): SelectStatement;

  // ---------------------------------------------------------------- expressions

  expr(): Expr {
    this.enter();
    const e = this.or();
    this.depth--;
    return e;
  }

  protected exprList(): Expr[] {
    const list = [this.expr()];
    while (this.acceptPunct(',')) list.push(this.expr());
    return list;
  }

  protected or(): Expr {
    let left = this.and();
    while (this.acceptWord('or')) {
      const right = this.and();
      left = { kind: 'binary', op: 'or', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  protected and(): Expr {
    let left = this.not();
    while (this.acceptWord('and')) {
      const right = this.not();
      left = { kind: 'binary', op: 'and', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  protected not(): Expr {
    if (this.isWord('not')) {
      const start = this.advance().start;
      this.enter();
      const arg = this.not();
      this.depth--;
      return { kind: 'unary', op: 'not', arg, start, end: arg.end };
    }
    return this.is();
  }

  protected is(): Expr {
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

  protected comparisonOp(): string | undefined {
    const t = this.tok;
    if (t.kind !== 'op') return undefined;
    if (COMPARISON.has(t.value)) return t.value;
    if (this.dialect === 'spark' && (t.value === '==' || t.value === '<=>')) return t.value === '==' ? '=' : '<=>';
    return undefined;
  }

  protected comparison(): Expr {
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
  protected parenthesizedExprOrQuery(): Expr {
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

  protected startsQuery(): boolean {
    return this.isWord('select') || this.isWord('with') || this.isWord('values');
  }

  /** BETWEEN, IN, LIKE, ILIKE, SIMILAR TO (and Spark's RLIKE), each optionally negated. */
  protected pattern(): Expr {
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
  protected other(): Expr {
    let left = this.additive();
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'op' || NOT_OTHER.has(t.value)) return left;
      this.advance();
      const right = this.additive();
      left = { kind: 'binary', op: t.value, left, right, start: left.start, end: right.end };
    }
  }

  protected additive(): Expr {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.advance().value;
      const right = this.multiplicative();
      left = { kind: 'binary', op, left, right, start: left.start, end: right.end };
    }
    return left;
  }

  protected multiplicative(): Expr {
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

  protected exponent(): Expr {
    let left = this.atTimeZone();
    while (this.isOp('^')) {
      this.advance();
      const right = this.atTimeZone();
      left = { kind: 'binary', op: '^', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  protected atTimeZone(): Expr {
    let left = this.collate();
    while (this.isWord('at') && this.isWord('time', this.peek()) && this.isWord('zone', this.peek(2))) {
      this.i += 3;
      const right = this.collate();
      left = { kind: 'binary', op: 'at time zone', left, right, start: left.start, end: right.end };
    }
    return left;
  }

  protected collate(): Expr {
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

  protected unary(): Expr {
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

  protected postfix(): Expr {
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

  protected primary(): Expr {
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

  protected parenthesized(): Expr {
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

  protected wordExpr(t: Token): Expr {
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
  protected nameExpr(): Expr {
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

  protected emptyCall(name: string[], start: number): FunctionExpr {
    return { kind: 'function', name, args: [], star: false, distinct: false, orderBy: [], withinGroup: [], start, end: start };
  }

  protected functionCall(name: string[], start: number): FunctionExpr {
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

  protected functionArg(): Expr {
    this.acceptWord('variadic');
    // Named argument: name => value, or name := value.
    if (this.isName(this.tok, true) && (this.isPunct('=>', this.peek()) || this.isPunct(':=', this.peek()))) this.i += 2;
    return this.expr();
  }

  protected windowSpec(): WindowSpec {
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

  protected orderList(): OrderItem[] {
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

  protected caseExpr(): Expr {
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

  protected castExpr(syntax: 'cast' | 'try_cast'): Expr {
    const start = this.advance().start;
    this.expectPunct('(');
    const arg = this.expr();
    this.expectWord('as');
    const type = this.typeName();
    this.expectPunct(')');
    return { kind: 'cast', arg, type, syntax, start, end: this.lastEnd };
  }

  protected arrayExpr(): Expr {
    const start = this.expectWord('array').start;
    if (this.isPunct('(')) {
      this.advance();
      const query = this.selectStatement();
      this.expectPunct(')');
      return { kind: 'array', elements: [], query, start, end: this.lastEnd };
    }
    return this.arrayBrackets(start);
  }

  protected arrayBrackets(start: number): Expr {
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
  protected intervalLiteral(): Expr {
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

  protected intervalQualifier(): string | undefined {
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
  protected tryTypedLiteral(): Expr | undefined {
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

  protected typeTail(type: TypeName): TypeName {
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
  protected specialFunction(name: string): Expr {
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

/**
 * Single-relation filters: from an expression over one relation's columns to Predicates, with NOT
 * pushed down (De Morgan; exact under SQL's three-valued logic in a WHERE clause) and
 * `constant op column` flipped.
 */
import type { ColumnKind } from '../engine/types.js';
import type { ColumnExpr, Expr } from './ast.js';
import type { ColumnRef, CompareOp, Literal, Predicate, UnsupportedConstruct } from './graph.js';
import { evaluateConstant, typeClass, type TypeClass } from './literals.js';
import { chainOperands, findExpr } from './walk.js';

export type PredicateResult =
  | { ok: true; predicates: Predicate[] }
  | { ok: false; construct: UnsupportedConstruct; reason: string; at: number };

export interface PredicateContext {
  /** The resolved column of every column node in the expression. */
  readonly refs: ReadonlyMap<ColumnExpr, ColumnRef>;
  /** The column's kind when a typed schema is known. */
  kindOf(ref: ColumnRef): ColumnKind | undefined;
  /** SQL text, for messages. */
  readonly sql: string;
}

type Failure = Extract<PredicateResult, { ok: false }>;

class Unrepresentable extends Error {
  constructor(readonly failure: Failure) {
    super(failure.reason);
  }
}

function fail(construct: UnsupportedConstruct, reason: string, node: Expr): never {
  throw new Unrepresentable({ ok: false, construct, reason, at: node.start });
}

const FLIP: Record<string, CompareOp> = { '=': '=', '<>': '<>', '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
const NEGATE: Record<string, string> = {
  '=': '<>',
  '<>': '=',
  '<': '>=',
  '>=': '<',
  '>': '<=',
  '<=': '>',
  'IS-DISTINCT-FROM': 'IS-NOT-DISTINCT-FROM',
  'IS-NOT-DISTINCT-FROM': 'IS-DISTINCT-FROM',
  BETWEEN: 'NOT-BETWEEN',
  'NOT-BETWEEN': 'BETWEEN',
  IN: 'NOT-IN',
  'NOT-IN': 'IN',
  LIKE: 'NOT-LIKE',
  'NOT-LIKE': 'LIKE',
  ILIKE: 'NOT-ILIKE',
  'NOT-ILIKE': 'ILIKE',
  'IS-NULL': 'IS-NOT-NULL',
  'IS-NOT-NULL': 'IS-NULL',
};
/** PostgreSQL's operator names for LIKE and ILIKE. */
const LIKE_OPERATORS: Record<string, 'LIKE' | 'NOT-LIKE' | 'ILIKE' | 'NOT-ILIKE'> = {
  '~~': 'LIKE',
  '!~~': 'NOT-LIKE',
  '~~*': 'ILIKE',
  '!~~*': 'NOT-ILIKE',
};

/** NOT of a predicate (pushed to the atoms). */
export function negatePredicate(p: Predicate): Predicate {
  if (p.op === 'OR' || p.op === 'AND') {
    return { alias: p.alias, op: p.op === 'OR' ? 'AND' : 'OR', args: p.args.map(negatePredicate) };
  }
  return { ...p, op: NEGATE[p.op] } as Predicate;
}

/** Builds the predicates of a condition over exactly one relation (`alias`). */
export function buildPredicates(expr: Expr, alias: string, ctx: PredicateContext): PredicateResult {
  try {
    const p = new Builder(alias, ctx).build(expr, false);
    return { ok: true, predicates: p.op === 'AND' ? p.args : [p] };
  } catch (err) {
    if (err instanceof Unrepresentable) return err.failure;
    throw err;
  }
}

class Builder {
  constructor(
    private readonly alias: string,
    private readonly ctx: PredicateContext,
  ) {}

  build(e: Expr, negated: boolean): Predicate {
    switch (e.kind) {
      case 'binary':
        if (e.op === 'and' || e.op === 'or') {
          const isOr = (e.op === 'or') !== negated;
          return this.group(isOr ? 'OR' : 'AND', chainOperands(e, e.op).map((x) => this.build(x, negated)));
        }
        if (LIKE_OPERATORS[e.op]) return this.maybeNegate(this.likeOperator(e.op, e.left, e.right, e), negated);
        return this.maybeNegate(this.comparison(e.op, e.left, e.right, e), negated);
      case 'unary':
        if (e.op === 'not') return this.build(e.arg, !negated);
        break;
      case 'between':
        return this.maybeNegate(this.between(e), negated !== e.not);
      case 'in-list':
        return this.maybeNegate(this.inList(e.arg, e.list, e), negated !== e.not);
      case 'like':
        return this.maybeNegate(this.like(e), negated);
      case 'is':
        return this.maybeNegate(this.is(e), negated);
      case 'quantified':
        return this.maybeNegate(this.quantified(e), negated);
      case 'column': {
        // A bare boolean column: "a.flag" is "a.flag = true", "NOT a.flag" is "a.flag = false".
        const ref = this.ctx.refs.get(e)!;
        return { alias: this.alias, op: '=', column: ref.column, value: { type: 'boolean', value: !negated } };
      }
      default:
        break;
    }
    return fail('unsupported-predicate', `condition "${this.text(e)}" is not a comparison of a column with a constant`, e);
  }

  private maybeNegate(p: Predicate, negated: boolean): Predicate {
    return negated ? negatePredicate(p) : p;
  }

  /** Flattens nested groups of the same kind. */
  private group(op: 'OR' | 'AND', parts: Predicate[]): Predicate {
    const args: Predicate[] = [];
    for (const p of parts) {
      if (p.op === op) args.push(...p.args);
      else args.push(p);
    }
    return { alias: this.alias, op, args };
  }

  private text(e: Expr): string {
    const t = this.ctx.sql.slice(e.start, e.end).replace(/\s+/g, ' ');
    return t.length > 80 ? `${t.slice(0, 77)}...` : t;
  }

  /** The column an operand reads directly (through a harmless cast), or undefined for a non-column. */
  private column(e: Expr): ColumnRef | undefined {
    if (e.kind === 'column') return this.ctx.refs.get(e)!;
    if (e.kind === 'cast' && e.arg.kind === 'column') {
      const ref = this.ctx.refs.get(e.arg)!;
      const kind = this.ctx.kindOf(ref);
      if (kind !== undefined && castIsHarmless(kind, typeClass(e.type))) return ref;
      const why = kind === undefined ? 'its type is unknown (pass a schema with column kinds)' : `it converts ${kind} values`;
      return fail('cast-on-column', `cast of column ${ref.alias}.${ref.column} to ${e.type.name} may change the compared values: ${why}`, e);
    }
    return undefined;
  }

  private hasColumn(e: Expr): boolean {
    return findExpr(e, (n) => n.kind === 'column') !== undefined;
  }

  /** The column side of a condition; anything else that reads a column is an expression on it. */
  private requireColumn(e: Expr, whole: Expr): ColumnRef {
    const ref = this.column(e);
    if (ref) return ref;
    if (this.hasColumn(e)) {
      return fail('expression-on-column', `"${this.text(e)}" computes a value from a column; only plain columns are compared`, e);
    }
    return fail('unsupported-predicate', `condition "${this.text(whole)}" does not compare a column`, whole);
  }

  private constant(e: Expr): Literal {
    if (this.hasColumn(e)) {
      return fail('column-comparison', `"${this.text(e)}" reads a column where a constant is expected (a comparison inside relation ${this.alias})`, e);
    }
    const v = evaluateConstant(e);
    if (v.ok) return v.literal;
    return fail(e.kind === 'param' ? 'parameter' : 'non-constant-value', `"${this.text(e)}": ${v.reason}`, e);
  }

  private comparison(op: string, left: Expr, right: Expr, whole: Expr): Predicate {
    let cmp: CompareOp;
    if (op === '<=>') cmp = 'IS-NOT-DISTINCT-FROM';
    else if (FLIP[op] !== undefined) cmp = op as CompareOp;
    else return fail('unsupported-predicate', `operator ${op} in "${this.text(whole)}" is not a comparison`, whole);
    const leftRef = this.column(left);
    const rightRef = leftRef ? undefined : this.column(right);
    if (leftRef) {
      if (this.column(right)) return this.columnComparison(whole);
      return { alias: this.alias, op: cmp, column: leftRef.column, value: this.constant(right) };
    }
    if (rightRef) {
      return { alias: this.alias, op: cmp === 'IS-NOT-DISTINCT-FROM' ? cmp : FLIP[cmp]!, column: rightRef.column, value: this.constant(left) };
    }
    const withColumn = this.hasColumn(left) ? left : right;
    return fail('expression-on-column', `"${this.text(withColumn)}" computes a value from a column; only plain columns are compared`, withColumn);
  }

  private columnComparison(whole: Expr): never {
    return fail(
      'column-comparison',
      `"${this.text(whole)}" compares two columns of relation ${this.alias}; a filter compares a column with a constant`,
      whole,
    );
  }

  private between(e: Extract<Expr, { kind: 'between' }>): Predicate {
    const ref = this.requireColumn(e.arg, e);
    let low = this.constant(e.low);
    let high = this.constant(e.high);
    let symmetric = false;
    if (e.symmetric) {
      const order = compareLiterals(low, high);
      if (order === undefined) symmetric = true;
      else if (order > 0) [low, high] = [high, low];
    }
    const p: Predicate = { alias: this.alias, op: 'BETWEEN', column: ref.column, low, high };
    if (symmetric) p.symmetric = true;
    return p;
  }

  private inList(arg: Expr, list: Expr[], whole: Expr): Predicate {
    const ref = this.requireColumn(arg, whole);
    const values = list.map((v) => this.constant(v));
    // PostgreSQL turns a one-element IN list into an equality.
    if (values.length === 1) return { alias: this.alias, op: '=', column: ref.column, value: values[0]! };
    return { alias: this.alias, op: 'IN', column: ref.column, values };
  }

  private likePattern(e: Expr): string {
    const lit = this.constant(e);
    if (lit.type !== 'string') return fail('unsupported-predicate', `LIKE pattern "${this.text(e)}" is not a string constant`, e);
    return lit.value;
  }

  private like(e: Extract<Expr, { kind: 'like' }>): Predicate {
    if (e.op === 'similar to' || e.op === 'rlike') {
      return fail('unsupported-predicate', `${e.op.toUpperCase()} patterns are not represented`, e);
    }
    const ref = this.requireColumn(e.arg, e);
    const pattern = this.likePattern(e.pattern);
    const op = e.op === 'like' ? (e.not ? 'NOT-LIKE' : 'LIKE') : e.not ? 'NOT-ILIKE' : 'ILIKE';
    const p: Predicate = { alias: this.alias, op, column: ref.column, pattern };
    if (e.escape) {
      const escape = this.likePattern(e.escape);
      if (escape.length > 1) return fail('unsupported-predicate', `ESCAPE must be one character, found '${escape}'`, e.escape);
      p.escape = escape;
    }
    return p;
  }

  private likeOperator(op: string, left: Expr, right: Expr, whole: Expr): Predicate {
    const ref = this.requireColumn(left, whole);
    return { alias: this.alias, op: LIKE_OPERATORS[op]!, column: ref.column, pattern: this.likePattern(right) };
  }

  private is(e: Extract<Expr, { kind: 'is' }>): Predicate {
    const ref = this.requireColumn(e.arg, e);
    const column = ref.column;
    switch (e.test) {
      case 'null':
      case 'unknown':
        return { alias: this.alias, op: e.not ? 'IS-NOT-NULL' : 'IS-NULL', column };
      case 'true':
      case 'false':
        return { alias: this.alias, op: e.not ? 'IS-DISTINCT-FROM' : 'IS-NOT-DISTINCT-FROM', column, value: { type: 'boolean', value: e.test === 'true' } };
      case 'distinct from':
        return { alias: this.alias, op: e.not ? 'IS-NOT-DISTINCT-FROM' : 'IS-DISTINCT-FROM', column, value: this.constant(e.other!) };
    }
  }

  /** `col = ANY (ARRAY[...])` is IN, `col <> ALL (ARRAY[...])` is NOT IN. */
  private quantified(e: Extract<Expr, { kind: 'quantified' }>): Predicate {
    const inList = e.op === '=' && e.quantifier === 'any';
    const notIn = e.op === '<>' && e.quantifier === 'all';
    if ((inList || notIn) && e.right.kind === 'array' && !e.right.query && e.right.elements.length > 0) {
      const p = this.inList(e.arg, e.right.elements, e);
      return notIn ? negatePredicate(p) : p;
    }
    return fail('unsupported-predicate', `"${this.text(e)}": only = ANY (ARRAY[...]) and <> ALL (ARRAY[...]) are represented`, e);
  }
}

/** Widening or identity casts of a column keep every comparison's result. */
function castIsHarmless(kind: ColumnKind, target: TypeClass): boolean {
  switch (kind) {
    case 'integer':
      return target === 'integer' || target === 'float';
    case 'float':
      return target === 'float';
    case 'text':
      return target === 'string';
    case 'date':
      return target === 'date' || target === 'timestamp';
    case 'timestamp':
      return target === 'timestamp';
    case 'boolean':
      return target === 'boolean';
    default:
      return false;
  }
}

/** Order of two constants of the same ordered kind (numbers, dates, timestamps); undefined otherwise. */
export function compareLiterals(a: Literal, b: Literal): number | undefined {
  if (a.type === 'number' && b.type === 'number') return a.value - b.value;
  const ta = a.type === 'date' || a.type === 'timestamp' ? a.epoch : undefined;
  const tb = b.type === 'date' || b.type === 'timestamp' ? b.epoch : undefined;
  if (ta !== undefined && tb !== undefined && a.type === b.type) return ta - tb;
  return undefined;
}

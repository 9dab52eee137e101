import type { Expr, OrderItem, WindowSpec } from './ast.js';

function orderExprs(items: OrderItem[]): Expr[] {
  return items.map((o) => o.expr);
}

function windowExprs(w: WindowSpec | undefined): Expr[] {
  return w ? [...w.partitionBy, ...orderExprs(w.orderBy)] : [];
}

/** The direct sub-expressions of an expression (subqueries are not entered). */
export function childExprs(e: Expr): Expr[] {
  switch (e.kind) {
    case 'column':
    case 'star':
    case 'literal':
    case 'typed-literal':
    case 'param':
    case 'subquery':
    case 'exists':
      return [];
    case 'unary':
      return [e.arg];
    case 'binary':
      return [e.left, e.right];
    case 'between':
      return [e.arg, e.low, e.high];
    case 'in-list':
      return [e.arg, ...e.list];
    case 'in-subquery':
      return [e.arg];
    case 'like':
      return e.escape ? [e.arg, e.pattern, e.escape] : [e.arg, e.pattern];
    case 'is':
      return e.other ? [e.arg, e.other] : [e.arg];
    case 'function':
      return [...e.args, ...orderExprs(e.orderBy), ...orderExprs(e.withinGroup), ...(e.filter ? [e.filter] : []), ...windowExprs(e.over)];
    case 'case':
      return [...(e.operand ? [e.operand] : []), ...e.whens.flatMap((w) => [w.when, w.then]), ...(e.else ? [e.else] : [])];
    case 'cast':
      return [e.arg];
    case 'quantified':
      return [e.arg, e.right];
    case 'array':
    case 'row':
      return e.elements;
    case 'subscript':
      return [e.arg, ...(e.index ? [e.index] : []), ...(e.upper ? [e.upper] : [])];
    case 'field':
      return [e.arg];
  }
}

/**
 * Depth-first pre-order walk; `visit` returning false skips that node's children. Iterative, so
 * long operator chains (a + b + ... or 10,000 ANDs) cannot exhaust the call stack.
 */
export function walkExpr(root: Expr, visit: (node: Expr) => boolean | void): void {
  const stack: Expr[] = [root];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (visit(e) === false) continue;
    switch (e.kind) {
      case 'column':
      case 'star':
      case 'literal':
      case 'typed-literal':
      case 'param':
      case 'subquery':
      case 'exists':
        break;
      case 'binary':
        stack.push(e.right, e.left);
        break;
      default: {
        const children = childExprs(e);
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
      }
    }
  }
}

/** The operands of a chain of one operator (`a AND b AND c`, parenthesized parts included), in order. */
export function chainOperands(root: Expr, op: string): Expr[] {
  const out: Expr[] = [];
  const stack: Expr[] = [root];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (e.kind === 'binary' && e.op === op) stack.push(e.right, e.left);
    else out.push(e);
  }
  return out;
}

/** The first node (pre-order) that satisfies the test. */
export function findExpr(e: Expr, test: (node: Expr) => boolean): Expr | undefined {
  let found: Expr | undefined;
  walkExpr(e, (node) => {
    if (found) return false;
    if (test(node)) {
      found = node;
      return false;
    }
    return true;
  });
  return found;
}

/** A node that runs a query of its own: a scalar subquery, EXISTS, IN (SELECT), ARRAY(SELECT). */
export function isSubqueryNode(e: Expr): boolean {
  return e.kind === 'subquery' || e.kind === 'exists' || e.kind === 'in-subquery' || (e.kind === 'array' && e.query !== undefined);
}

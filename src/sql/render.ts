/**
 * SQL text from graph parts, per dialect: identifiers quoted only when needed, string constants
 * escaped the way each dialect reads them, dates and timestamps as typed literals.
 */
import type { AtomPredicate, ColumnRef, JoinEdge, Literal, Predicate, Relation } from './graph.js';
import { PG_QUOTE_KEYWORDS, SPARK_QUOTE_KEYWORDS } from './keywords.js';
import type { Dialect } from './lexer.js';

const PG_PLAIN = /^[a-z_][a-z0-9_$]*$/;
/** Spark resolves names case-insensitively; quoting names with capitals keeps them exact for us. */
const SPARK_PLAIN = /^[a-z_][a-z0-9_]*$/;

export function quoteIdent(name: string, dialect: Dialect): string {
  if (dialect === 'spark') {
    if (SPARK_PLAIN.test(name) && !SPARK_QUOTE_KEYWORDS.has(name)) return name;
    return '`' + name.replace(/`/g, '``') + '`';
  }
  if (PG_PLAIN.test(name) && !PG_QUOTE_KEYWORDS.has(name)) return name;
  return '"' + name.replace(/"/g, '""') + '"';
}

export function quoteString(value: string, dialect: Dialect): string {
  if (dialect === 'spark') return "'" + value.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
  return "'" + value.replace(/'/g, "''") + "'";
}

export function literalSql(lit: Literal, dialect: Dialect): string {
  switch (lit.type) {
    case 'number':
      return lit.text;
    case 'string':
      return quoteString(lit.value, dialect);
    case 'date':
      return `DATE ${quoteString(lit.text, dialect)}`;
    case 'timestamp':
      // Spark reads TIMESTAMP '...' in the session time zone, the same way it loaded the data.
      if (lit.withTimeZone && dialect === 'postgresql') return `TIMESTAMP WITH TIME ZONE ${quoteString(lit.text, dialect)}`;
      return `TIMESTAMP ${quoteString(lit.text, dialect)}`;
    case 'boolean':
      return lit.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
  }
}

export function columnSql(ref: ColumnRef, dialect: Dialect): string {
  return `${quoteIdent(ref.alias, dialect)}.${quoteIdent(ref.column, dialect)}`;
}

/** `schema.table AS alias`, or just `schema.table` when the alias is the table's name. */
export function relationSql(r: Relation, dialect: Dialect): string {
  let name = quoteIdent(r.table, dialect);
  if (r.schema !== undefined) name = `${quoteIdent(r.schema, dialect)}.${name}`;
  if (r.catalog !== undefined) name = `${r.catalog.split('.').map((p) => quoteIdent(p, dialect)).join('.')}.${name}`;
  return r.alias === r.table ? name : `${name} AS ${quoteIdent(r.alias, dialect)}`;
}

export function edgeSql(e: JoinEdge, dialect: Dialect): string {
  return `${columnSql(e.left, dialect)} = ${columnSql(e.right, dialect)}`;
}

/** One predicate as a condition; groups are parenthesized. */
export function predicateSql(pred: Predicate, dialect: Dialect): string {
  if (pred.op === 'OR' || pred.op === 'AND') {
    const joiner = pred.op === 'OR' ? ' OR ' : ' AND ';
    return `(${pred.args.map((a) => predicateSql(a, dialect)).join(joiner)})`;
  }
  const p = pred as AtomPredicate;
  const col = columnSql({ alias: p.alias, column: p.column }, dialect);
  switch (p.op) {
    case '=':
    case '<>':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return `${col} ${p.op} ${literalSql(p.value, dialect)}`;
    case 'IS-DISTINCT-FROM':
      return `${col} IS DISTINCT FROM ${literalSql(p.value, dialect)}`;
    case 'IS-NOT-DISTINCT-FROM':
      return `${col} IS NOT DISTINCT FROM ${literalSql(p.value, dialect)}`;
    case 'BETWEEN':
    case 'NOT-BETWEEN': {
      const not = p.op === 'NOT-BETWEEN' ? 'NOT ' : '';
      const low = literalSql(p.low, dialect);
      const high = literalSql(p.high, dialect);
      if (!p.symmetric) return `${col} ${not}BETWEEN ${low} AND ${high}`;
      if (dialect === 'postgresql') return `${col} ${not}BETWEEN SYMMETRIC ${low} AND ${high}`;
      // Spark has no SYMMETRIC: either order of the bounds.
      const either = `(${col} BETWEEN ${low} AND ${high} OR ${col} BETWEEN ${high} AND ${low})`;
      return not ? `NOT ${either}` : either;
    }
    case 'IN':
    case 'NOT-IN':
      return `${col} ${p.op === 'NOT-IN' ? 'NOT IN' : 'IN'} (${p.values.map((v) => literalSql(v, dialect)).join(', ')})`;
    case 'LIKE':
    case 'NOT-LIKE':
    case 'ILIKE':
    case 'NOT-ILIKE': {
      const op = p.op.replace('-', ' ');
      const escape = p.escape !== undefined ? ` ESCAPE ${quoteString(p.escape, dialect)}` : '';
      return `${col} ${op} ${quoteString(p.pattern, dialect)}${escape}`;
    }
    case 'IS-NULL':
      return `${col} IS NULL`;
    case 'IS-NOT-NULL':
      return `${col} IS NOT NULL`;
  }
}

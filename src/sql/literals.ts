/**
 * Constant evaluation: turns a constant expression of the syntax tree (a literal, a negated
 * number, a typed literal, a cast of a constant) into a typed Literal, or says why it cannot.
 */
import type { Expr, TypeName } from './ast.js';
import type { Literal } from './graph.js';

export type Evaluated = { ok: true; literal: Literal } | { ok: false; reason: string };

const INTEGER_TYPES = new Set(['int', 'integer', 'int2', 'int4', 'int8', 'smallint', 'bigint', 'tinyint', 'byte', 'short', 'long']);
const FLOAT_TYPES = new Set(['numeric', 'decimal', 'dec', 'real', 'float', 'float4', 'float8', 'double precision', 'double']);
const STRING_TYPES = new Set(['text', 'varchar', 'character varying', 'character', 'char', 'bpchar', 'name', 'string', 'citext']);
const BOOLEAN_TYPES = new Set(['bool', 'boolean']);
const DATE_TYPES = new Set(['date']);
const TIMESTAMP_TYPES = new Set(['timestamp', 'timestamp without time zone', 'timestamp_ntz']);
const TIMESTAMPTZ_TYPES = new Set(['timestamptz', 'timestamp with time zone', 'timestamp_ltz']);

/** The type's base name without a pg_catalog qualifier, lower case. */
export function baseTypeName(type: TypeName): string {
  const parts = type.parts;
  if (parts.length === 2 && parts[0] === 'pg_catalog') return parts[1]!;
  return type.name;
}

export type TypeClass = 'integer' | 'float' | 'string' | 'boolean' | 'date' | 'timestamp' | 'timestamptz' | 'other';

export function typeClass(type: TypeName): TypeClass {
  if (type.arrayDims > 0) return 'other';
  const name = baseTypeName(type);
  if (INTEGER_TYPES.has(name)) return 'integer';
  if (FLOAT_TYPES.has(name)) return 'float';
  if (STRING_TYPES.has(name)) return 'string';
  if (BOOLEAN_TYPES.has(name)) return 'boolean';
  if (DATE_TYPES.has(name)) return 'date';
  if (TIMESTAMP_TYPES.has(name)) return 'timestamp';
  if (TIMESTAMPTZ_TYPES.has(name)) return 'timestamptz';
  return 'other';
}

export function numberLiteral(text: string): Literal {
  return { type: 'number', value: Number(text), text };
}

function negate(lit: Literal): Evaluated {
  if (lit.type !== 'number') return { ok: false, reason: `unary minus on a ${lit.type} constant` };
  const text = lit.text.startsWith('-') ? lit.text.slice(1) : `-${lit.text}`;
  return { ok: true, literal: { type: 'number', value: -lit.value, text } };
}

/** Evaluates a constant expression; anything that reads a column or calls a function is not constant. */
export function evaluateConstant(expr: Expr): Evaluated {
  switch (expr.kind) {
    case 'literal':
      switch (expr.type) {
        case 'number':
          return { ok: true, literal: numberLiteral(expr.value) };
        case 'string':
          return { ok: true, literal: { type: 'string', value: expr.value } };
        case 'boolean':
          return { ok: true, literal: { type: 'boolean', value: expr.value === 'true' } };
        case 'null':
          return { ok: true, literal: { type: 'null' } };
        default:
          return { ok: false, reason: 'bit-string constants are not represented' };
      }
    case 'typed-literal':
      return convertString(expr.value, expr.type);
    case 'unary': {
      if (expr.op !== '-' && expr.op !== '+') return { ok: false, reason: `operator ${expr.op} applied to a constant` };
      const inner = evaluateConstant(expr.arg);
      if (!inner.ok) return inner;
      if (expr.op === '+') {
        return inner.literal.type === 'number' ? inner : { ok: false, reason: `unary plus on a ${inner.literal.type} constant` };
      }
      return negate(inner.literal);
    }
    case 'cast': {
      const inner = evaluateConstant(expr.arg);
      if (!inner.ok) return inner;
      return castLiteral(inner.literal, expr.type);
    }
    case 'param':
      return { ok: false, reason: `bind parameter $${expr.index} has no value at analysis time` };
    default:
      return { ok: false, reason: 'the value is an expression, not a constant' };
  }
}

/** A cast of a constant, where the result is exactly known. */
export function castLiteral(lit: Literal, type: TypeName): Evaluated {
  const cls = typeClass(type);
  const typeText = type.name;
  if (lit.type === 'null') return { ok: true, literal: lit };
  if (lit.type === 'string') return convertString(lit.value, type);
  switch (cls) {
    case 'integer':
      if (lit.type === 'number' && Number.isInteger(lit.value) && /^-?\d+$/.test(lit.text)) return { ok: true, literal: lit };
      if (lit.type === 'boolean' && baseTypeName(type).startsWith('int')) {
        return { ok: true, literal: numberLiteral(lit.value ? '1' : '0') };
      }
      break;
    case 'float':
      if (lit.type === 'number') return { ok: true, literal: lit };
      break;
    case 'string':
      if (lit.type === 'number' && baseTypeName(type) === 'text') return { ok: true, literal: { type: 'string', value: lit.text } };
      break;
    case 'boolean':
      if (lit.type === 'boolean') return { ok: true, literal: lit };
      break;
    case 'date':
      if (lit.type === 'date') return { ok: true, literal: lit };
      if (lit.type === 'timestamp' && !lit.withTimeZone) {
        const day = Math.floor(lit.epoch / 86400) * 86400;
        return { ok: true, literal: { type: 'date', text: new Date(day * 1000).toISOString().slice(0, 10), epoch: day } };
      }
      break;
    case 'timestamp':
      if (lit.type === 'timestamp' && !lit.withTimeZone) return { ok: true, literal: lit };
      if (lit.type === 'date') return { ok: true, literal: { type: 'timestamp', text: lit.text, epoch: lit.epoch } };
      break;
    case 'timestamptz':
      if (lit.type === 'timestamp' && lit.withTimeZone) return { ok: true, literal: lit };
      break;
    default:
      break;
  }
  return { ok: false, reason: `cast of a ${lit.type} constant to ${typeText} is not evaluated` };
}

/** The value of `type 'text'` (also a string constant cast to the type). */
function convertString(text: string, type: TypeName): Evaluated {
  const cls = typeClass(type);
  switch (cls) {
    case 'string':
      return { ok: true, literal: { type: 'string', value: text } };
    case 'integer':
    case 'float': {
      const trimmed = text.trim();
      const valid = cls === 'integer' ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
      if (!valid.test(trimmed)) return { ok: false, reason: `'${text}' is not a valid ${type.name}` };
      const norm = trimmed.startsWith('+') ? trimmed.slice(1) : trimmed;
      return { ok: true, literal: numberLiteral(norm) };
    }
    case 'boolean': {
      const v = text.trim().toLowerCase();
      if (['t', 'true', 'y', 'yes', 'on', '1'].includes(v)) return { ok: true, literal: { type: 'boolean', value: true } };
      if (['f', 'false', 'n', 'no', 'off', '0'].includes(v)) return { ok: true, literal: { type: 'boolean', value: false } };
      return { ok: false, reason: `'${text}' is not a valid boolean` };
    }
    case 'date': {
      const parsed = parseDateTime(text);
      if (!parsed) return { ok: false, reason: `date '${text}' is not in ISO form (YYYY-MM-DD)` };
      return { ok: true, literal: { type: 'date', text, epoch: Math.floor(parsed.local / 86400) * 86400 } };
    }
    case 'timestamp': {
      const parsed = parseDateTime(text);
      if (!parsed) return { ok: false, reason: `timestamp '${text}' is not in ISO form (YYYY-MM-DD HH:MM:SS)` };
      return { ok: true, literal: { type: 'timestamp', text, epoch: parsed.local } };
    }
    case 'timestamptz': {
      const parsed = parseDateTime(text);
      if (!parsed) return { ok: false, reason: `timestamp '${text}' is not in ISO form (YYYY-MM-DD HH:MM:SS+ZZ)` };
      return { ok: true, literal: { type: 'timestamp', text, epoch: parsed.utc, withTimeZone: true } };
    }
    default:
      return { ok: false, reason: `constants of type ${type.name} are not represented` };
  }
}

const DATE_TIME =
  /^\s*(\d{4,6})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(?:([zZ]|UTC|utc|GMT|gmt)|([+-])(\d{1,2})(?::?(\d{2}))?)?\s*$/;

/**
 * Parses an ISO date or date-time. `local` reads the wall-clock time as UTC (timestamp without
 * time zone); `utc` applies a written offset (timestamp with time zone; no offset means UTC).
 */
export function parseDateTime(text: string): { local: number; utc: number } | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] ? Number(m[4]) : 0;
  const minute = m[5] ? Number(m[5]) : 0;
  const second = m[6] ? Number(m[6]) : 0;
  if (month < 1 || month > 12 || day < 1 || hour > 24 || minute > 59 || second > 60) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  const fraction = m[7] ? Number(`0.${m[7]}`) : 0;
  const dayStart = Date.UTC(year, month - 1, day) / 1000;
  const local = dayStart + hour * 3600 + minute * 60 + second + fraction;
  let offset = 0;
  if (m[9]) offset = (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 3600 + (m[11] ? Number(m[11]) * 60 : 0));
  return { local, utc: local - offset };
}

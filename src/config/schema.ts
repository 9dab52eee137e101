/**
 * A small JSON Schema (draft 2020-12 subset) validator: enough for the config file and experiment
 * files, with errors that name the field and say what was expected. The schemas are plain JSON so
 * they can be published for editors and other tools.
 */
import { PilotScopeError, type ErrorCode } from '../errors.js';

export interface JsonSchema {
  $schema?: string;
  $id?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  title?: string;
  description?: string;
  type?: JsonType | JsonType[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  enum?: readonly unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
  minLength?: number;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  default?: unknown;
  examples?: unknown[];
}

type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

export interface SchemaViolation {
  /** Dotted path of the field, e.g. "experiments[2].params.num_epoch" ("" for the document). */
  path: string;
  message: string;
}

/** Returns every violation (empty when the value conforms). */
export function validate(value: unknown, schema: JsonSchema, root: JsonSchema = schema, path = ''): SchemaViolation[] {
  if (schema.$ref) return validate(value, resolveRef(schema.$ref, root), root, path);
  const out: SchemaViolation[] = [];
  if (schema.type !== undefined && !matchesType(value, schema.type)) {
    out.push({ path, message: `expected ${describeType(schema.type)}, got ${describeValue(value)}` });
    return out;
  }
  if (schema.const !== undefined && value !== schema.const) {
    out.push({ path, message: `must be ${JSON.stringify(schema.const)}, got ${describeValue(value)}` });
  }
  if (schema.enum && !schema.enum.includes(value)) {
    out.push({ path, message: `must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}; got ${describeValue(value)}` });
  }
  if (typeof value === 'number') checkNumber(value, schema, path, out);
  if (typeof value === 'string') checkString(value, schema, path, out);
  if (Array.isArray(value)) checkArray(value, schema, root, path, out);
  else if (isObject(value)) checkObject(value, schema, root, path, out);
  if (schema.oneOf || schema.anyOf) checkAlternatives(value, schema, root, path, out);
  return out;
}

/** Validates and throws one PilotScopeError listing every violation. */
export function assertValid(value: unknown, schema: JsonSchema, what: string, code: ErrorCode = 'CONFIG_INVALID'): void {
  const violations = validate(value, schema);
  if (violations.length === 0) return;
  const lines = violations.map((v) => `  - ${v.path === '' ? '(document)' : `"${v.path}"`}: ${v.message}`);
  throw new PilotScopeError(code, `${what} is invalid:\n${lines.join('\n')}`, { violations });
}

function resolveRef(ref: string, root: JsonSchema): JsonSchema {
  const prefix = '#/$defs/';
  const target = ref.startsWith(prefix) ? root.$defs?.[ref.slice(prefix.length)] : undefined;
  if (!target) throw new PilotScopeError('INTERNAL', `schema reference ${ref} cannot be resolved`);
  return target;
}

function checkNumber(value: number, schema: JsonSchema, path: string, out: SchemaViolation[]): void {
  if (schema.minimum !== undefined && value < schema.minimum) out.push({ path, message: `must be >= ${schema.minimum}, got ${value}` });
  if (schema.maximum !== undefined && value > schema.maximum) out.push({ path, message: `must be <= ${schema.maximum}, got ${value}` });
  if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
    out.push({ path, message: `must be > ${schema.exclusiveMinimum}, got ${value}` });
  }
}

function checkString(value: string, schema: JsonSchema, path: string, out: SchemaViolation[]): void {
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    out.push({ path, message: schema.minLength === 1 ? 'must not be empty' : `must have at least ${schema.minLength} characters` });
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) {
    out.push({ path, message: `${JSON.stringify(value)} does not match the pattern ${schema.pattern}` });
  }
}

function checkArray(value: unknown[], schema: JsonSchema, root: JsonSchema, path: string, out: SchemaViolation[]): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    out.push({ path, message: `needs at least ${schema.minItems} item(s), got ${value.length}` });
  }
  if (schema.items) value.forEach((item, i) => out.push(...validate(item, schema.items!, root, `${path}[${i}]`)));
}

function checkObject(value: Record<string, unknown>, schema: JsonSchema, root: JsonSchema, path: string, out: SchemaViolation[]): void {
  const join = (key: string) => (path === '' ? key : `${path}.${key}`);
  for (const key of schema.required ?? []) {
    if (!(key in value)) out.push({ path: join(key), message: 'is required' });
  }
  const known = schema.properties ?? {};
  for (const [key, child] of Object.entries(value)) {
    if (key in known) out.push(...validate(child, known[key]!, root, join(key)));
    else if (schema.additionalProperties === false) {
      const names = Object.keys(known);
      const hint = closest(key, names);
      out.push({
        path: join(key),
        message: `is not a known field${hint ? ` (did you mean "${hint}"?)` : ''}; known fields: ${names.join(', ')}`,
      });
    } else if (typeof schema.additionalProperties === 'object') {
      out.push(...validate(child, schema.additionalProperties, root, join(key)));
    }
  }
}

function checkAlternatives(value: unknown, schema: JsonSchema, root: JsonSchema, path: string, out: SchemaViolation[]): void {
  const alternatives = schema.oneOf ?? schema.anyOf ?? [];
  const results = alternatives.map((alt) => validate(value, alt, root, path));
  const passing = results.filter((r) => r.length === 0).length;
  if (schema.oneOf ? passing === 1 : passing >= 1) return;
  if (passing > 1) {
    out.push({ path, message: 'matches more than one of the allowed forms' });
    return;
  }
  // Report the alternative that came closest: one whose type matched, with the fewest violations.
  const score = (violations: SchemaViolation[]) =>
    violations.length + (violations.some((v) => v.path === path && v.message.startsWith('expected ')) ? 1000 : 0);
  const best = results.reduce((a, b) => (score(b) < score(a) ? b : a));
  out.push(...best);
}

function matchesType(value: unknown, type: JsonType | JsonType[]): boolean {
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) => {
    switch (t) {
      case 'object': return isObject(value);
      case 'array': return Array.isArray(value);
      case 'string': return typeof value === 'string';
      case 'number': return typeof value === 'number' && Number.isFinite(value);
      case 'integer': return typeof value === 'number' && Number.isInteger(value);
      case 'boolean': return typeof value === 'boolean';
      case 'null': return value === null;
    }
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(type: JsonType | JsonType[]): string {
  const types = Array.isArray(type) ? type : [type];
  const words = types.map((t) => (t === 'integer' ? 'an integer' : t === 'object' ? 'an object' : t === 'array' ? 'an array' : `a ${t}`));
  return words.join(' or ');
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}

/** The candidate closest to `word` by edit distance, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

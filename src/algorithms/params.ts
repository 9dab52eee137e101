/** Checking and typing algorithm parameters given in files (typed) or on the command line (strings). */
import { closest } from '../config/schema.js';
import { PilotScopeError } from '../errors.js';
import type { ParamSpec, ParamValue } from './types.js';

/** camelCase names (the TypeScript API) are accepted as aliases of the snake_case names. */
export function canonicalParamName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Returns the full parameter set: given values checked and converted, defaults for the rest.
 * `source` names where the values came from, for error messages.
 */
export function resolveParams(
  algorithm: string,
  specs: readonly ParamSpec[],
  given: Readonly<Record<string, unknown>>,
  source = 'parameters',
): Record<string, ParamValue> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const resolved: Record<string, ParamValue> = {};
  for (const spec of specs) if (spec.default !== null) resolved[spec.name] = spec.default;
  for (const [rawName, raw] of Object.entries(given)) {
    const name = canonicalParamName(rawName);
    const spec = byName.get(name);
    if (!spec) {
      const hint = closest(name, [...byName.keys()]);
      const known = specs.map((s) => s.name).join(', ') || '(none)';
      throw new PilotScopeError('EXPERIMENT_INVALID', `${source}: "${rawName}" is not a parameter of ${algorithm}${hint ? ` (did you mean "${hint}"?)` : ''}. Its parameters: ${known}.`);
    }
    resolved[name] = convert(spec, raw, algorithm, source);
  }
  return resolved;
}

function convert(spec: ParamSpec, raw: unknown, algorithm: string, source: string): ParamValue {
  const fail = (expected: string): never => {
    throw new PilotScopeError('EXPERIMENT_INVALID', `${source}: ${algorithm} parameter "${spec.name}" expects ${expected}, got ${JSON.stringify(raw)}.`);
  };
  switch (spec.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === 'false' || raw === '0' || raw === 'no') return false;
      return fail('true or false');
    }
    case 'integer':
    case 'number': {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(value) || (spec.type === 'integer' && !Number.isInteger(value))) return fail(spec.type === 'integer' ? 'an integer' : 'a number');
      if (spec.min !== undefined && value < spec.min) return fail(`a value >= ${spec.min}`);
      if (spec.max !== undefined && value > spec.max) return fail(`a value <= ${spec.max}`);
      return value;
    }
    case 'string': {
      if (typeof raw !== 'string' && typeof raw !== 'number') return fail('a string');
      const value = String(raw);
      if (spec.choices && !spec.choices.includes(value)) return fail(`one of ${spec.choices.join(', ')}`);
      return value;
    }
  }
}

/** Parses `key=value` pairs from the command line. */
export function parseAssignments(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new PilotScopeError('USAGE', `"${pair}" is not a key=value pair (for example --set num_epoch=50).`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** The JSON schema of knob-space files, and checks the schema cannot express (ranges, units). */
import { assertValid, type JsonSchema } from '../../config/schema.js';
import { PilotScopeError } from '../../errors.js';
import type { BoundDefinition, KnobDefinition, KnobSpaceDefinition } from './types.js';

/** Units a memory share can be expressed in, in bytes. */
export const MEMORY_UNITS: Readonly<Record<string, number>> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

const bound: JsonSchema = {
  oneOf: [
    { type: 'number' },
    {
      type: 'object',
      additionalProperties: false,
      required: ['fractionOfMemory'],
      properties: {
        fractionOfMemory: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'Share of the machine memory (bytes, then in the knob unit).' },
        perConnection: { type: 'boolean', description: 'Divide by the number of connections the server allows.' },
      },
    },
    { type: 'object', additionalProperties: false, required: ['perCore'], properties: { perCore: { type: 'number', exclusiveMinimum: 0 } } },
  ],
};

export const knobSpaceSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://pilotscope.dev/schemas/knob-space.json',
  title: 'PilotScope knob space',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'engine', 'knobs'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', minLength: 1 },
    engine: { type: 'string', enum: ['postgresql', 'spark'] },
    description: { type: 'string' },
    specialValueBias: { type: 'number', minimum: 0, maximum: 0.9 },
    knobs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'type'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$' },
          type: { type: 'string', enum: ['int', 'real', 'enum', 'bool'] },
          min: bound,
          max: bound,
          log: { type: 'boolean' },
          choices: { type: 'array', minItems: 2, items: { type: ['string', 'number', 'boolean'] } },
          default: { type: ['string', 'number', 'boolean'] },
          special: {
            type: 'object',
            additionalProperties: false,
            required: ['value'],
            properties: { value: { type: 'number' }, bias: { type: 'number', minimum: 0, maximum: 0.9 } },
          },
          unit: { type: 'string', pattern: '^[A-Za-z]+$' },
          restart: { type: 'boolean' },
          afterChange: { type: 'array', items: { type: 'string', minLength: 1 } },
          description: { type: 'string' },
        },
      },
    },
  },
};

/** Validates a parsed space file; `where` names it in messages. */
export function checkSpaceDefinition(value: unknown, where: string): KnobSpaceDefinition {
  assertValid(value, knobSpaceSchema, `Knob space ${where}`, 'CONFIG_INVALID');
  const space = value as KnobSpaceDefinition;
  const problems: string[] = [];
  const seen = new Set<string>();
  space.knobs.forEach((knob, i) => {
    const at = `knobs[${i}] (${knob.name})`;
    if (seen.has(knob.name)) problems.push(`${at}: the knob is listed twice`);
    seen.add(knob.name);
    problems.push(...knobProblems(knob).map((p) => `${at}: ${p}`));
  });
  if (problems.length) {
    throw new PilotScopeError('CONFIG_INVALID', `Knob space ${where} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { problems });
  }
  return space;
}

function knobProblems(knob: KnobDefinition): string[] {
  const out: string[] = [];
  const numeric = knob.type === 'int' || knob.type === 'real';
  if (numeric) {
    if (knob.min === undefined || knob.max === undefined) out.push(`a ${knob.type} knob needs "min" and "max"`);
    if (knob.choices) out.push('"choices" is for enum knobs; give "min" and "max"');
    for (const b of [knob.min, knob.max]) {
      if (b !== undefined && isMemoryShare(b) && (knob.unit === undefined || !(knob.unit in MEMORY_UNITS))) {
        out.push(`a share of memory needs a memory unit (${Object.keys(MEMORY_UNITS).join(', ')}); got ${knob.unit === undefined ? 'no unit' : `"${knob.unit}"`}`);
      }
    }
    if (typeof knob.min === 'number' && typeof knob.max === 'number' && knob.min >= knob.max) out.push(`"min" (${knob.min}) must be below "max" (${knob.max})`);
    if (knob.log && typeof knob.min === 'number' && knob.min <= 0) out.push(`a log-scale range needs "min" > 0 (got ${knob.min}); use "special" for 0 or -1`);
    if (knob.type === 'int' && typeof knob.min === 'number' && !Number.isInteger(knob.min)) out.push('"min" of an int knob must be an integer');
    if (knob.type === 'int' && typeof knob.max === 'number' && !Number.isInteger(knob.max)) out.push('"max" of an int knob must be an integer');
  } else {
    if (knob.min !== undefined || knob.max !== undefined || knob.log !== undefined) out.push(`"min", "max" and "log" are for int and real knobs, not ${knob.type}`);
    if (knob.special) out.push(`"special" is for int and real knobs, not ${knob.type}`);
    if (knob.type === 'enum' && !knob.choices) out.push('an enum knob needs "choices"');
    if (knob.type === 'bool' && knob.choices) out.push('a bool knob takes no "choices" (it is true or false)');
    if (knob.choices && new Set(knob.choices.map((c) => JSON.stringify(c))).size !== knob.choices.length) out.push('"choices" has duplicates');
  }
  return out;
}

export function isMemoryShare(b: BoundDefinition): b is { fractionOfMemory: number; perConnection?: boolean } {
  return typeof b === 'object' && 'fractionOfMemory' in b;
}

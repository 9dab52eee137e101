/** Turns a space file into the knobs of one machine: shares of memory and cores become numbers. */
import type { SettingValue } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';
import { MEMORY_UNITS, isMemoryShare } from './schema.js';
import type { BoundDefinition, Knob, KnobDefinition, KnobSpace, KnobSpaceDefinition, MachineProfile } from './types.js';

export const DEFAULT_SPECIAL_VALUE_BIAS = 0.2;

export function resolveSpace(definition: KnobSpaceDefinition, machine: MachineProfile): KnobSpace {
  const notices: string[] = [];
  const knobs: Knob[] = [];
  for (const def of definition.knobs) {
    if (def.restart && !machine.canRestart) {
      notices.push(`${def.name} is left out: it needs a server restart, and pilotscope restarts only a server it manages.`);
      continue;
    }
    const knob = resolveKnob(def, definition, machine, notices);
    if (knob) knobs.push(knob);
  }
  if (knobs.length === 0) {
    throw new PilotScopeError('CONFIG_INVALID', `Knob space ${definition.name} has no knob left to tune on this server (${notices.join(' ')})`);
  }
  return { name: definition.name, engine: definition.engine, knobs, notices };
}

function resolveKnob(def: KnobDefinition, space: KnobSpaceDefinition, machine: MachineProfile, notices: string[]): Knob | undefined {
  const common = {
    name: def.name,
    restart: def.restart ?? false,
    afterChange: def.afterChange ?? [],
    ...(def.description !== undefined ? { description: def.description } : {}),
    ...(def.default !== undefined ? { default: def.default } : {}),
  };
  if (def.type === 'bool') return { ...common, kind: 'choice', choices: [false, true] };
  if (def.type === 'enum') return { ...common, kind: 'choice', choices: def.choices as SettingValue[] };
  const integer = def.type === 'int';
  const min = bound(def.min!, def, machine, 'min');
  let max = bound(def.max!, def, machine, 'max');
  if (max <= min) {
    notices.push(`${def.name}: on this machine the upper bound (${max}${def.unit ?? ''}) is not above the lower bound, so it is left out.`);
    return undefined;
  }
  if (def.unit && def.unit in MEMORY_UNITS && typeof def.max === 'number' && max * MEMORY_UNITS[def.unit]! > machine.memoryBytes) {
    notices.push(`${def.name}: the range reaches ${max}${def.unit}, more than this machine's memory (${Math.round(machine.memoryBytes / 1024 ** 2)}MB).`);
  }
  if (integer) max = Math.floor(max);
  const knob: Knob = { ...common, kind: 'number', integer, min, max, log: def.log ?? false };
  if (def.unit !== undefined) knob.unit = def.unit;
  if (def.special) knob.special = { value: def.special.value, bias: def.special.bias ?? space.specialValueBias ?? DEFAULT_SPECIAL_VALUE_BIAS };
  return knob;
}

function bound(b: BoundDefinition, def: KnobDefinition, machine: MachineProfile, which: 'min' | 'max'): number {
  if (typeof b === 'number') return b;
  if (isMemoryShare(b)) {
    const bytes = (b.fractionOfMemory * machine.memoryBytes) / (b.perConnection ? Math.max(1, machine.connections) : 1);
    const value = bytes / MEMORY_UNITS[def.unit!]!;
    return which === 'max' ? Math.floor(value) : Math.ceil(value);
  }
  const value = b.perCore * machine.cores;
  return def.type === 'int' ? (which === 'max' ? Math.floor(value) : Math.ceil(value)) : value;
}

/**
 * Between the unit cube the optimizer searches and the values sent to the engine. Each knob has
 * one coordinate u in [0, 1]:
 * - numeric: with a special value, u < bias gives the special value and the rest is rescaled over
 *   the range (LlamaTune's special-value biasing); then linear or log scale; ints are rounded,
 *   reals kept to 4 significant digits;
 * - choices (enum, bool): u falls in one of n equal buckets.
 */
import type { SettingValue } from '../../engine/types.js';
import type { ChoiceKnob, Configuration, Knob, KnobSpace, NumericKnob } from './types.js';

/** The value of one knob at coordinate u (as the optimizer sees it: a plain number or choice). */
export function decodeKnob(knob: Knob, u: number): SettingValue {
  const x = Math.min(1, Math.max(0, u));
  if (knob.kind === 'choice') return knob.choices[Math.min(knob.choices.length - 1, Math.floor(x * knob.choices.length))]!;
  return decodeNumber(knob, x);
}

function decodeNumber(knob: NumericKnob, u: number): number {
  let r = u;
  if (knob.special) {
    if (u < knob.special.bias) return knob.special.value;
    r = (u - knob.special.bias) / (1 - knob.special.bias);
  }
  const raw = knob.log ? Math.exp(Math.log(knob.min) + r * (Math.log(knob.max) - Math.log(knob.min))) : knob.min + r * (knob.max - knob.min);
  const value = knob.integer ? Math.round(raw) : Number(raw.toPrecision(4));
  return Math.min(knob.max, Math.max(knob.min, value));
}

/** The coordinate of a value (the middle of its bucket for choices and special values). */
export function encodeKnob(knob: Knob, value: SettingValue): number {
  if (knob.kind === 'choice') return encodeChoice(knob, value);
  const v = Number(value);
  if (knob.special) {
    if (v === knob.special.value) return knob.special.bias / 2;
    return knob.special.bias + (1 - knob.special.bias) * encodeRange(knob, v);
  }
  return encodeRange(knob, v);
}

function encodeChoice(knob: ChoiceKnob, value: SettingValue): number {
  const index = knob.choices.findIndex((c) => c === value || String(c) === String(value));
  if (index < 0) throw new RangeError(`${String(value)} is not a choice of ${knob.name}`);
  return (index + 0.5) / knob.choices.length;
}

function encodeRange(knob: NumericKnob, v: number): number {
  const clamped = Math.min(knob.max, Math.max(knob.min, v));
  const r = knob.log ? (Math.log(clamped) - Math.log(knob.min)) / (Math.log(knob.max) - Math.log(knob.min)) : (clamped - knob.min) / (knob.max - knob.min);
  return Math.min(1, Math.max(0, r));
}

/** A configuration from one coordinate per knob (in the order of space.knobs). */
export function decodeConfiguration(space: KnobSpace, unit: ArrayLike<number>): Configuration {
  const config: Configuration = {};
  space.knobs.forEach((knob, i) => {
    config[knob.name] = decodeKnob(knob, unit[i]!);
  });
  return config;
}

/** How a value is sent to the engine: with its unit ("64MB"), special values bare. */
export function renderValue(knob: Knob, value: SettingValue): SettingValue {
  if (knob.kind === 'choice' || typeof value !== 'number') return value;
  if (knob.special && value === knob.special.value) return value;
  return knob.unit ? `${value}${knob.unit}` : value;
}

export function renderConfiguration(space: KnobSpace, config: Configuration): Configuration {
  const byName = new Map(space.knobs.map((k) => [k.name, k]));
  return Object.fromEntries(Object.entries(config).map(([name, value]) => [name, byName.has(name) ? renderValue(byName.get(name)!, value) : value]));
}

/** A stable text key for a configuration (to spot repeats). */
export function configurationKey(config: Configuration): string {
  return JSON.stringify(Object.keys(config).sort().map((k) => [k, config[k]]));
}

/**
 * Command-line parsing: `--name value`, `--name=value`, boolean flags, list options taking every
 * following value up to the next option (`--algo baseline mscn`), repeatable options
 * (`--param k v1 v2 --param k2 v3`), and positionals. Unknown options are errors with a hint.
 */
import { PilotScopeError } from '../errors.js';
import { closest } from '../config/schema.js';

export type OptionType = 'string' | 'number' | 'integer' | 'boolean' | 'list';

export interface OptionSpec {
  name: string;
  type: OptionType;
  description: string;
  /** Shown in help, e.g. <dir>. */
  valueName?: string;
  /** The option may appear several times; its value is then an array (of lists for 'list'). */
  repeatable?: boolean;
  choices?: readonly string[];
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Takes every remaining positional. */
  variadic?: boolean;
}

export type OptionValue = string | number | boolean | string[] | string[][] | number[];

export interface ParsedArgs {
  options: Record<string, OptionValue | undefined>;
  positionals: Record<string, string | string[] | undefined>;
}

export const HELP_OPTION: OptionSpec = { name: 'help', type: 'boolean', description: 'Show this help.' };

export function parseArgs(argv: readonly string[], options: readonly OptionSpec[], positionals: readonly PositionalSpec[], command: string): ParsedArgs {
  const byName = new Map(options.map((o) => [o.name, o]));
  const parsed: ParsedArgs = { options: {}, positionals: {} };
  const loose: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      loose.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      loose.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw unknownOption(name, options, command);
    let raw: string[];
    if (spec.type === 'boolean') {
      if (eq !== -1) throw usage(command, `--${name} is a flag and takes no value`);
      raw = [];
    } else if (eq !== -1) {
      raw = [arg.slice(eq + 1)];
    } else if (spec.type === 'list') {
      raw = [];
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) raw.push(argv[++i]!);
      if (raw.length === 0) throw usage(command, `--${name} needs at least one value`);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw usage(command, `--${name} needs a value${spec.valueName ? ` ${spec.valueName}` : ''}`);
      raw = [next];
      i++;
    }
    store(parsed.options, spec, convert(spec, raw, command), command);
  }
  assignPositionals(parsed, loose, positionals, command);
  return parsed;
}

function convert(spec: OptionSpec, raw: string[], command: string): OptionValue {
  switch (spec.type) {
    case 'boolean':
      return true;
    case 'list':
      for (const v of raw) checkChoice(spec, v, command);
      return raw.length === 1 && raw[0]!.includes(',') && spec.choices ? raw[0]!.split(',') : raw;
    case 'number':
    case 'integer': {
      const value = Number(raw[0]);
      if (raw[0]!.trim() === '' || !Number.isFinite(value) || (spec.type === 'integer' && !Number.isInteger(value))) {
        throw usage(command, `--${spec.name} expects ${spec.type === 'integer' ? 'an integer' : 'a number'}, got "${raw[0]}"`);
      }
      return value;
    }
    case 'string':
      checkChoice(spec, raw[0]!, command);
      return raw[0]!;
  }
}

function store(target: ParsedArgs['options'], spec: OptionSpec, value: OptionValue, command: string): void {
  const existing = target[spec.name];
  if (!spec.repeatable) {
    if (existing !== undefined && spec.type !== 'boolean') throw usage(command, `--${spec.name} was given more than once`);
    target[spec.name] = value;
    return;
  }
  const list = (existing as unknown[] | undefined) ?? [];
  list.push(value);
  target[spec.name] = list as OptionValue;
}

function checkChoice(spec: OptionSpec, value: string, command: string): void {
  if (!spec.choices) return;
  for (const v of value.split(',')) {
    if (!spec.choices.includes(v)) {
      const hint = closest(v, spec.choices);
      throw usage(command, `--${spec.name} does not accept "${v}"${hint ? ` (did you mean "${hint}"?)` : ''}; choose from: ${spec.choices.join(', ')}`);
    }
  }
}

function assignPositionals(parsed: ParsedArgs, loose: string[], specs: readonly PositionalSpec[], command: string): void {
  let i = 0;
  for (const spec of specs) {
    if (spec.variadic) {
      const rest = loose.slice(i);
      if (spec.required && rest.length === 0) throw usage(command, `missing <${spec.name}>`);
      parsed.positionals[spec.name] = rest;
      i = loose.length;
      continue;
    }
    const value = loose[i++];
    if (value === undefined && spec.required) throw usage(command, `missing <${spec.name}>`);
    parsed.positionals[spec.name] = value;
  }
  if (i < loose.length) throw usage(command, `unexpected argument "${loose[i]}"`);
}

function unknownOption(name: string, options: readonly OptionSpec[], command: string): PilotScopeError {
  const hint = closest(name, options.map((o) => o.name));
  return usage(command, `unknown option --${name}${hint ? ` (did you mean --${hint}?)` : ''}`);
}

export function usage(command: string, problem: string): PilotScopeError {
  return new PilotScopeError('USAGE', `${command}: ${problem}. Run \`${command} --help\` for usage.`);
}

/** The shape of a CLI command and what it gets to run. */
import { loadSettings, type Settings } from '../config/settings.js';
import type { OptionSpec, ParsedArgs, PositionalSpec } from './args.js';

export interface CliContext {
  /** Settings from the config file, environment and the global flags (loaded on first use). */
  settings(): Settings;
  /** Human output (stdout). Suppressed by --json so stdout carries one JSON document only. */
  out(text: string): void;
  /** Diagnostics and progress (stderr). */
  err(text: string): void;
  /** Prints one JSON document on stdout. */
  json(value: unknown): void;
  readonly jsonMode: boolean;
  readonly interactive: boolean;
}

export interface Command {
  /** Words that name the command, e.g. ['db', 'start']. */
  path: readonly string[];
  summary: string;
  description?: string;
  options?: readonly OptionSpec[];
  positionals?: readonly PositionalSpec[];
  examples?: readonly string[];
  /** Returns the exit code (0 when omitted). */
  run(args: ParsedArgs, ctx: CliContext): Promise<number | void>;
}

/** Options every command accepts. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'config-file', type: 'string', valueName: '<file>', description: 'Config file (default: ./pilotscope.json or $PILOTSCOPE_CONFIG).' },
  { name: 'home', type: 'string', valueName: '<dir>', description: 'State directory (default: $PILOTSCOPE_HOME, /var/lib/pilotscope as root, else ~/.local/share/pilotscope).' },
];

export function createContext(args: ParsedArgs, jsonMode: boolean): CliContext {
  let settings: Settings | undefined;
  const stdout = process.stdout;
  return {
    settings() {
      settings ??= loadSettings({
        ...(typeof args.options['config-file'] === 'string' ? { configFile: args.options['config-file'] } : {}),
        ...(typeof args.options.home === 'string' ? { home: args.options.home } : {}),
      });
      return settings;
    },
    out(text) {
      if (!jsonMode) stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    err(text) {
      process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    json(value) {
      stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    jsonMode,
    interactive: Boolean(process.stderr.isTTY) && !jsonMode,
  };
}

#!/usr/bin/env node
/** The `pilotscope` command line. */
import fs from 'node:fs';
import { isPilotScopeError } from '../errors.js';
import { HELP_OPTION, parseArgs } from './args.js';
import { GLOBAL_OPTIONS, createContext, type Command } from './command.js';
import { commandHelp, groupHelp } from './help.js';
import { COMMANDS } from './commands/index.js';

export function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL(findPackageJson(), import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** package.json sits at the repository root: two levels up from src/cli, three from dist/src/cli. */
function findPackageJson(): URL {
  for (const rel of ['../../package.json', '../../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (fs.existsSync(url)) return url;
  }
  throw new Error('package.json not found next to the CLI');
}

function findCommand(argv: readonly string[]): { command?: Command; rest: string[]; prefix: string[] } {
  let best: Command | undefined;
  for (const command of COMMANDS) {
    const matches = command.path.every((word, i) => argv[i] === word);
    if (matches && (!best || command.path.length > best.path.length)) best = command;
  }
  if (best) return { command: best, rest: argv.slice(best.path.length), prefix: [...best.path] };
  const words: string[] = [];
  for (const word of argv) {
    if (word.startsWith('-') || !COMMANDS.some((c) => [...words, word].every((w, i) => c.path[i] === w))) break;
    words.push(word);
  }
  return { rest: argv.slice(words.length), prefix: words };
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-v') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const { command, rest, prefix } = findCommand(argv);
  if (!command) {
    const wantsHelp = rest.length === 0 || rest[0] === '--help' || rest[0] === '-h' || rest[0] === 'help';
    process[wantsHelp ? 'stdout' : 'stderr'].write(
      (wantsHelp ? '' : `Unknown command: pilotscope ${[...prefix, rest[0]].join(' ')}\n\n`) + groupHelp(prefix, COMMANDS, packageVersion()),
    );
    return wantsHelp ? 0 : 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(command));
    return 0;
  }
  const name = ['pilotscope', ...command.path].join(' ');
  let jsonMode = false;
  try {
    const args = parseArgs(rest, [...(command.options ?? []), ...GLOBAL_OPTIONS, HELP_OPTION], command.positionals ?? [], name);
    jsonMode = args.options.json === true;
    const code = await command.run(args, createContext(args, jsonMode));
    return code ?? 0;
  } catch (err) {
    return reportFailure(err, jsonMode);
  }
}

function reportFailure(err: unknown, jsonMode: boolean): number {
  if (isPilotScopeError(err)) {
    if (jsonMode) process.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message } }, null, 2)}\n`);
    process.stderr.write(`error: ${err.message}\n`);
    if (process.env.PILOTSCOPE_DEBUG && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
    return err.code === 'USAGE' ? 2 : 1;
  }
  process.stderr.write(`internal error (please report it): ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  return 70;
}

const invokedDirectly = process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fs.realpathSync(new URL(import.meta.url));
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 70;
    },
  );
}

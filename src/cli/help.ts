/** Help text for the command tree. */
import type { OptionSpec } from './args.js';
import { GLOBAL_OPTIONS, type Command } from './command.js';

export function commandHelp(command: Command): string {
  const name = ['pilotscope', ...command.path].join(' ');
  const positionals = (command.positionals ?? [])
    .map((p) => (p.required ? `<${p.name}${p.variadic ? '...' : ''}>` : `[${p.name}${p.variadic ? '...' : ''}]`))
    .join(' ');
  const lines = [`Usage: ${name}${command.options?.length ? ' [options]' : ''}${positionals ? ` ${positionals}` : ''}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  if (command.positionals?.length) {
    lines.push('', 'Arguments:');
    for (const p of command.positionals) lines.push(`  ${p.name.padEnd(24)} ${p.description}`);
  }
  lines.push('', 'Options:', ...formatOptions([...(command.options ?? []), ...GLOBAL_OPTIONS]));
  lines.push(`  ${'--help'.padEnd(24)} Show this help.`);
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return lines.join('\n') + '\n';
}

export function groupHelp(prefix: readonly string[], commands: readonly Command[], version: string): string {
  const children = commands.filter((c) => prefix.every((w, i) => c.path[i] === w));
  const title = prefix.length === 0
    ? [`pilotscope ${version}: learned query optimization for PostgreSQL and Spark.`, '', 'Usage: pilotscope <command> [options]   (pilotscope <command> --help for details)']
    : [`Usage: pilotscope ${prefix.join(' ')} <command> [options]`];
  const width = Math.max(...children.map((c) => c.path.join(' ').length)) + 2;
  return [...title, '', 'Commands:', ...children.map((c) => `  ${c.path.join(' ').padEnd(width)} ${c.summary}`), '', '  --version'.padEnd(width + 3) + 'Print the version.', ''].join('\n');
}

function formatOptions(options: readonly OptionSpec[]): string[] {
  return options.map((o) => {
    const value = o.type === 'boolean' ? '' : ` ${o.valueName ?? (o.type === 'list' ? '<values...>' : '<value>')}`;
    const choices = o.choices ? ` (${o.choices.join(' | ')})` : '';
    return `  ${`--${o.name}${value}`.padEnd(24)} ${o.description}${choices}`;
  });
}

/** `pilotscope extract-queries`: a production workload (dataset directory) from PostgreSQL server logs. */
import { extractQueries } from '../../datasets/logs/extract.js';
import type { LogFormat } from '../../datasets/logs/formats.js';
import { usage } from '../args.js';
import type { Command } from '../command.js';

const extract: Command = {
  path: ['extract-queries'],
  summary: 'Extract the SELECT workload from PostgreSQL server logs into a dataset directory (train.sql, test.sql).',
  description:
    'Reads stderr, csvlog or jsonlog logs written with log_statement = all or log_min_duration_statement (bind parameters are substituted back), ' +
    'keeps SELECT / WITH … SELECT statements on user tables, normalizes and deduplicates them, groups them into templates (literals replaced), ' +
    'splits train/test by template with a seed, and writes train.sql, test.sql, dataset.json (naming the source database) and summary.json. ' +
    'Register the result with `pilotscope dataset add <name> <dir>` to run experiments on the existing database.',
  options: [
    { name: 'input', type: 'string', valueName: '<log>', description: 'Server log file (.gz accepted).' },
    { name: 'output', type: 'string', valueName: '<dir>', description: 'Directory to write the dataset into.' },
    { name: 'format', type: 'string', valueName: '<fmt>', choices: ['auto', 'stderr', 'csvlog', 'jsonlog'], description: 'Log format (default: auto).' },
    { name: 'log-line-prefix', type: 'string', valueName: '<prefix>', description: "stderr format: the server's log_line_prefix (default: inferred)." },
    { name: 'train-ratio', type: 'number', valueName: '<r>', description: 'Share of statements for training (default 0.8).' },
    { name: 'seed', type: 'integer', valueName: '<n>', description: 'Seed of the train/test split (default 42).' },
    { name: 'json', type: 'boolean', description: 'Print the summary as JSON.' },
  ],
  examples: [
    'pilotscope extract-queries --input /var/log/postgresql/postgresql-15-main.log --output ./prod',
    "pilotscope extract-queries --input postgresql.csv --output ./prod --train-ratio 0.7 --seed 1",
    'pilotscope dataset add prod ./prod',
  ],
  async run(args, ctx) {
    const input = args.options.input as string | undefined;
    const output = args.options.output as string | undefined;
    if (!input || !output) {
      throw usage('pilotscope extract-queries', `${!input ? '--input <log>' : '--output <dir>'} is required`);
    }
    const summary = await extractQueries({
      input,
      output,
      format: (args.options.format as LogFormat | 'auto' | undefined) ?? 'auto',
      ...(typeof args.options['log-line-prefix'] === 'string' ? { logLinePrefix: args.options['log-line-prefix'] } : {}),
      ...(typeof args.options['train-ratio'] === 'number' ? { trainRatio: args.options['train-ratio'] } : {}),
      ...(typeof args.options.seed === 'number' ? { seed: args.options.seed } : {}),
    });
    if (ctx.jsonMode) return ctx.json(summary);
    ctx.out(`Read ${summary.lines} lines (${summary.format}${summary.logLinePrefix !== undefined ? `, log_line_prefix ${summary.logLinePrefix === null ? 'not recognized: generic reader' : JSON.stringify(summary.logLinePrefix)}` : ''}), ${summary.messages} messages, ${summary.statementsLogged} logged statements.`);
    ctx.out(`Kept ${summary.executionsKept} executions of ${summary.distinctStatements} distinct statements in ${summary.templates} templates: ${summary.train} train, ${summary.test} test (ratio ${summary.trainRatio}, seed ${summary.seed}).`);
    if (summary.database) ctx.out(`Source database: ${summary.database}`);
    ctx.out('Templates (executions, statements, side):');
    for (const t of summary.templateList.slice(0, 20)) ctx.out(`  ${String(t.executions).padStart(7)} ${String(t.statements).padStart(5)}  ${t.split.padEnd(5)}  ${t.template.length > 110 ? `${t.template.slice(0, 107)}...` : t.template}`);
    if (summary.templateList.length > 20) ctx.out(`  ... ${summary.templateList.length - 20} more in summary.json`);
    const skipped = Object.entries(summary.skipped).sort((a, b) => b[1] - a[1]);
    if (skipped.length) {
      ctx.out('Skipped:');
      for (const [reason, n] of skipped) ctx.out(`  ${String(n).padStart(7)}  ${reason}`);
    }
    for (const w of summary.warnings) ctx.err(`warning: ${w}`);
    ctx.out(`Wrote ${summary.output}/{train.sql,test.sql,dataset.json,summary.json}.`);
  },
};

export const extractQueriesCommands: Command[] = [extract];

/** `pilotscope index advise | drop`: index recommendation (Extend with hypothetical indexes) and its real effect. */
import { resolveServer } from '../../../adapters/postgres/connection.js';
import { PostgresEngine } from '../../../adapters/postgres/engine.js';
import { adviceReport } from '../../algorithms/index-advisor.js';
import { PilotScopeError } from '../../errors.js';
import { adviseIndexes } from '../../tuning/index-advisor/advisor.js';
import { measureIndexEffect } from '../../tuning/index-advisor/effect.js';
import { IndexJournal } from '../../tuning/index-advisor/index-journal.js';
import { pickQueries } from '../../tuning/knob-session.js';
import type { OptionSpec } from '../args.js';
import type { Command } from '../command.js';
import { openWorkload, WORKLOAD_OPTIONS } from './knob.js';

const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'Print the result as JSON.' };

const advise: Command = {
  path: ['index', 'advise'],
  summary: 'Recommend indexes for a training workload (Extend, costed with hypothetical indexes); optionally build them and measure the effect.',
  description:
    'Candidates are the columns the training queries filter and join on; Extend adds single-column indexes or widens chosen ones while the ' +
    "planner's estimated workload cost falls, within the storage budget (sizes from hypopg). Existing indexes are kept. Prints CREATE INDEX " +
    'statements. With --build the indexes are created (journaled: `pilotscope index drop` removes them) and the test workload is measured ' +
    'without and with them; they are dropped again unless --keep.',
  options: [
    ...WORKLOAD_OPTIONS,
    { name: 'budget-mb', type: 'number', valueName: '<mb>', description: 'Storage budget in MB (10^6 bytes; default 250).' },
    { name: 'max-width', type: 'integer', valueName: '<n>', description: 'Most columns per index (default 2).' },
    { name: 'min-improvement', type: 'number', valueName: '<ratio>', description: 'Cost ratio a step must achieve (default 1.003).' },
    { name: 'max-steps', type: 'integer', valueName: '<n>', description: 'Most Extend steps (default: no limit).' },
    { name: 'max-queries', type: 'integer', valueName: '<n>', description: 'Training queries costed (seeded sample; default 200, 0: all).' },
    { name: 'seed', type: 'integer', valueName: '<n>', description: 'Seed of the query sample (default 42).' },
    { name: 'drop-existing', type: 'boolean', description: 'Consider dropping existing indexes (unsupported with hypopg 1.3: says why).' },
    { name: 'build', type: 'boolean', description: 'Build the advised indexes and measure the test workload without and with them.' },
    { name: 'keep', type: 'boolean', description: 'With --build: keep the indexes (drop them later with `pilotscope index drop`).' },
    { name: 'repeats', type: 'integer', valueName: '<n>', description: 'With --build: measured passes per round (default 3).' },
    { name: 'warmup', type: 'integer', valueName: '<n>', description: 'With --build: unmeasured passes first (default 1).' },
    { name: 'rounds', type: 'integer', valueName: '<n>', description: 'With --build: alternating without/with rounds, the median is reported (default 3).' },
    JSON_OPTION,
  ],
  examples: ['pilotscope index advise --dataset stats_tiny', 'pilotscope index advise --db mydb --train-file train.sql --budget-mb 100 --build'],
  async run(args, ctx) {
    const o = args.options;
    const { engine, settings, train, test } = await openWorkload(args, ctx, 'pilotscope index advise');
    try {
      const queries = pickQueries(train, (o['max-queries'] as number | undefined) ?? 200, (o.seed as number | undefined) ?? 42);
      const advice = await adviseIndexes({
        engine,
        queries,
        budgetMb: (o['budget-mb'] as number | undefined) ?? 250,
        maxWidth: (o['max-width'] as number | undefined) ?? 2,
        minImprovement: (o['min-improvement'] as number | undefined) ?? 1.003,
        maxSteps: (o['max-steps'] as number | undefined) ?? 0,
        dropExisting: o['drop-existing'] === true,
        parallelism: settings.parallelism,
        onStep: (s) => ctx.err(`step: ${s.action} ${s.index.table}(${s.index.columns.join(', ')}), estimated cost ${s.cost.toFixed(1)}`),
      });
      for (const notice of advice.notices) ctx.err(`note: ${notice}`);
      let effect;
      if (o.build === true && advice.indexes.length > 0) {
        const journal = new IndexJournal(settings.home, engine.name);
        const workload = test.length ? test : queries;
        try {
          effect = await measureIndexEffect(engine, journal, advice.indexes, workload, {
            warmup: (o.warmup as number | undefined) ?? 1,
            repeats: (o.repeats as number | undefined) ?? 3,
            rounds: (o.rounds as number | undefined) ?? 3,
            timeoutsMs: settings.timeoutMs,
          });
        } finally {
          if (o.keep !== true) await journal.drop(engine, advice.indexes.map((i) => i.name));
        }
      }
      if (ctx.jsonMode) return ctx.json({ ...adviceReport(advice), ...(effect ? { effect, kept: o.keep === true } : {}) });
      ctx.out(`Advised ${advice.indexes.length} index(es) for ${advice.queries} training queries (${advice.candidates} indexable columns, ${advice.whatIf.explains} what-if plans, ${advice.seconds.toFixed(1)} s).`);
      ctx.out(`Estimated workload cost: ${advice.baseCost.toFixed(1)} -> ${advice.finalCost.toFixed(1)} (${advice.improvement.toFixed(2)}x lower).`);
      for (const index of advice.indexes) ctx.out(`  ${index.statement}  -- about ${(index.bytes / 1e6).toFixed(2)} MB`);
      if (effect) {
        const f = (s: number) => `${(s * 1000).toFixed(1)} ms`;
        ctx.out(`Measured on ${effect.queries} ${test.length ? 'test' : 'training'} queries (sum of per-query medians, median of ${effect.rounds} alternating round(s)):`);
        ctx.out(`  without: ${f(effect.without.total)}${effect.without.execution !== undefined ? ` (planning ${f(effect.without.planning!)}, execution ${f(effect.without.execution)})` : ''}`);
        ctx.out(`  with:    ${f(effect.with.total)}${effect.with.execution !== undefined ? ` (planning ${f(effect.with.planning!)}, execution ${f(effect.with.execution)})` : ''}`);
        ctx.out(`  speed-up ${effect.speedup.total.toFixed(2)}x end to end${effect.speedup.execution !== undefined ? `, ${effect.speedup.execution.toFixed(2)}x in execution` : ''}; estimated cost ${effect.speedup.estimatedCost.toFixed(2)}x lower.`);
        ctx.out(o.keep === true ? 'The indexes are kept; `pilotscope index drop` removes them.' : 'The indexes were dropped again (use --keep to keep them).');
      }
    } finally {
      await engine.close();
    }
  },
};

const drop: Command = {
  path: ['index', 'drop'],
  summary: 'Drop the indexes pilotscope built in a database (from its journal; works from any process).',
  options: [{ name: 'db', type: 'string', valueName: '<database>', description: 'The database the indexes were built in.' }, JSON_OPTION],
  async run(args, ctx) {
    const settings = ctx.settings();
    const database = args.options.db as string | undefined;
    if (!database) throw new PilotScopeError('USAGE', 'pilotscope index drop: give --db <database> (the database the indexes were built in).');
    const engine = await PostgresEngine.open({ target: await resolveServer(settings), database, timeoutMs: settings.timeoutMs, parallelism: 1 });
    try {
      const dropped = await new IndexJournal(settings.home, engine.name).drop(engine);
      if (ctx.jsonMode) return ctx.json({ dropped });
      ctx.out(dropped.length ? `Dropped ${dropped.length} index(es): ${dropped.join(', ')}.` : 'No index built by pilotscope is left in this database; nothing to drop.');
    } finally {
      await engine.close();
    }
  },
};

export const indexCommands: Command[] = [advise, drop];

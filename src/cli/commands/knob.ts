/** `pilotscope knob tune | reset | show`: knob tuning on PostgreSQL, restorable from any process. */
import { EmbeddedPostgres } from '../../../adapters/postgres/cluster.js';
import { resolveServer, type ServerTarget } from '../../../adapters/postgres/connection.js';
import { PostgresEngine } from '../../../adapters/postgres/engine.js';
import { journalFile } from '../../../adapters/postgres/knob-journal.js';
import { restoreJournaledAutoConf } from '../../../adapters/postgres/knobs.js';
import { PostgresDatasetLoader } from '../../../adapters/postgres/loader.js';
import { tuningReport } from '../../algorithms/knob.js';
import { usesExternalPostgres, type Settings } from '../../config/settings.js';
import { readStatements } from '../../datasets/format.js';
import { DatasetRegistry, SYNTHETIC } from '../../datasets/registry.js';
import { PilotScopeError, isPilotScopeError } from '../../errors.js';
import { KnobApplier } from '../../tuning/knob-applier.js';
import { applyBest, compareWithDefault, pickQueries, resolveKnobSpace } from '../../tuning/knob-session.js';
import { KnobTuner, type Evaluation } from '../../tuning/knob-tuner.js';
import { OBJECTIVES, type ObjectiveName } from '../../tuning/workload.js';
import type { OptionSpec, ParsedArgs } from '../args.js';
import type { CliContext, Command } from '../command.js';

const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'Print the result as JSON.' };

/** Where a command's workload comes from: a dataset of the registry, or a database plus SQL files. */
export const WORKLOAD_OPTIONS: readonly OptionSpec[] = [
  { name: 'dataset', type: 'string', valueName: '<name>', description: 'A dataset (loaded on demand): its database, training and test queries.' },
  { name: 'scale', type: 'number', valueName: '<s>', description: 'synthetic only: scale factor (default 0.1).' },
  { name: 'data-seed', type: 'integer', valueName: '<n>', description: 'synthetic only: data seed (default 7).' },
  { name: 'db', type: 'string', valueName: '<database>', description: 'A database to work on with --train-file (instead of --dataset).' },
  { name: 'train-file', type: 'string', valueName: '<file>', description: 'Training queries (SQL file; default: the dataset\'s).' },
  { name: 'test-file', type: 'string', valueName: '<file>', description: 'Test queries to validate on (default: the dataset\'s).' },
];

export interface OpenedWorkload {
  engine: PostgresEngine;
  settings: Settings;
  database: string;
  train: string[];
  test: string[];
}

/** Opens the engine on the workload's database (loading a dataset if needed) and reads its queries. */
export async function openWorkload(args: ParsedArgs, ctx: CliContext, command: string): Promise<OpenedWorkload> {
  const o = args.options;
  const settings = ctx.settings();
  const datasetName = o.dataset as string | undefined;
  const db = o.db as string | undefined;
  const trainFile = o['train-file'] as string | undefined;
  const testFile = o['test-file'] as string | undefined;
  if ((datasetName === undefined) === (db === undefined)) {
    throw new PilotScopeError('USAGE', `${command}: give either --dataset <name> or --db <database> with --train-file <file>.`);
  }
  if (datasetName !== SYNTHETIC && (o.scale !== undefined || o['data-seed'] !== undefined)) {
    throw new PilotScopeError('USAGE', `${command}: --scale and --data-seed apply to --dataset synthetic only.`);
  }
  let train: string[] = trainFile ? readStatements(trainFile) : [];
  let test: string[] = testFile ? readStatements(testFile) : [];
  const target = await resolveServer(settings);
  let database: string;
  if (datasetName !== undefined) {
    const dataset = await new DatasetRegistry(settings.home).open(datasetName, {
      ...(o.scale !== undefined ? { scale: o.scale as number } : {}),
      ...(o['data-seed'] !== undefined ? { seed: o['data-seed'] as number } : {}),
      onProgress: (m) => ctx.err(m),
    });
    const loaded = await new PostgresDatasetLoader(settings, target).load(dataset, { onProgress: (m) => ctx.err(m) });
    database = loaded.database;
    const workload = await dataset.workload();
    for (const notice of workload.notices) ctx.err(`note: ${notice}`);
    if (!trainFile) train = workload.train;
    if (!testFile) test = workload.test;
  } else {
    if (!trainFile) throw new PilotScopeError('USAGE', `${command}: --db needs --train-file <file> with the training queries.`);
    database = db!;
  }
  if (train.length === 0) throw new PilotScopeError('USAGE', `${command}: the training workload has no queries.`);
  const engine = await PostgresEngine.open({ target, database, timeoutMs: settings.timeoutMs, parallelism: settings.parallelism });
  return { engine, settings, database, train, test };
}

const tune: Command = {
  path: ['knob', 'tune'],
  summary: 'Tune PostgreSQL knobs on a training workload (Bayesian optimization), validate on the test workload.',
  description:
    'Measures the training workload under the current configuration, then under configurations suggested by a random-forest ' +
    'surrogate (expected improvement), applying each with reload or restart as its knobs need. A configuration the server cannot ' +
    'start with is recorded as failed and the previous one restored. Every change is journaled in the state directory: ' +
    '`pilotscope knob reset` restores the original configuration, also after a crash. Without --apply the original configuration is restored at the end.',
  options: [
    ...WORKLOAD_OPTIONS,
    { name: 'space', type: 'string', valueName: '<name|file>', description: 'Knob space: postgres-15 (default) or a JSON space file.' },
    { name: 'budget-evaluations', type: 'integer', valueName: '<n>', description: 'Configurations to try besides the current one (default 20).' },
    { name: 'budget-seconds', type: 'number', valueName: '<s>', description: 'Wall-time budget (default: none).' },
    { name: 'objective', type: 'string', valueName: '<what>', choices: OBJECTIVES, description: 'time (default), throughput or p95.' },
    { name: 'repeats', type: 'integer', valueName: '<n>', description: 'Measured passes per configuration (default 3).' },
    { name: 'warmup', type: 'integer', valueName: '<n>', description: 'Unmeasured passes first (default 1).' },
    { name: 'max-queries', type: 'integer', valueName: '<n>', description: 'Training queries measured (seeded sample; default 50, 0: all).' },
    { name: 'seed', type: 'integer', valueName: '<n>', description: 'Seed of the search (default 42).' },
    { name: 'initial-points', type: 'integer', valueName: '<n>', description: 'Latin-hypercube configurations first (default 5).' },
    { name: 'low-dim', type: 'integer', valueName: '<n>', description: 'Search a random embedding of n dimensions (HesBO; default: off).' },
    { name: 'confirm', type: 'integer', valueName: '<n>', description: 'Re-measure the n best configurations and the original at the end (default 3; 0: off).' },
    { name: 'rounds', type: 'integer', valueName: '<n>', description: 'Validation: alternating original/tuned rounds on the test workload (default 3).' },
    { name: 'memory-mb', type: 'integer', valueName: '<n>', description: "The server's memory for memory ranges (default: this machine's)." },
    { name: 'apply', type: 'boolean', description: 'Keep the best configuration applied (restore later with `pilotscope knob reset`).' },
    JSON_OPTION,
  ],
  examples: ['pilotscope knob tune --dataset stats_tiny --budget-evaluations 10', 'pilotscope knob tune --db mydb --train-file train.sql --test-file test.sql --apply'],
  async run(args, ctx) {
    const o = args.options;
    const { engine, settings, train, test } = await openWorkload(args, ctx, 'pilotscope knob tune');
    try {
      const seed = (o.seed as number | undefined) ?? 42;
      const space = await resolveKnobSpace(engine, o.space as string | undefined, o['memory-mb'] !== undefined ? { memoryMb: o['memory-mb'] as number } : {}, (text) => ctx.err(`note: ${text}`));
      const objective = ((o.objective as string | undefined) ?? 'time') as ObjectiveName;
      const repeats = (o.repeats as number | undefined) ?? 3;
      const warmup = (o.warmup as number | undefined) ?? 1;
      const budget = (o['budget-evaluations'] as number | undefined) ?? 20;
      const queries = pickQueries(train, (o['max-queries'] as number | undefined) ?? 50, seed);
      let best: Evaluation | undefined;
      const tuner = new KnobTuner({
        engine,
        space,
        queries,
        objective,
        warmup,
        repeats,
        budgetEvaluations: budget,
        budgetSeconds: (o['budget-seconds'] as number | undefined) ?? 0,
        seed,
        initialPoints: (o['initial-points'] as number | undefined) ?? 5,
        lowDim: (o['low-dim'] as number | undefined) ?? 0,
        quantization: 0,
        timeoutFactor: 10,
        maxTimeoutMs: settings.timeoutMs,
        confirm: (o.confirm as number | undefined) ?? 3,
        onEvaluation(e) {
          if (e.cost !== undefined && e.status === 'ok' && (!best || e.cost < best.cost!)) best = e;
          const value = e.objective !== undefined ? `${e.objective.toPrecision(4)}` : e.error!.message.split('\n')[0];
          ctx.err(`[${e.index}/${budget}] ${e.source.padEnd(7)} ${e.status.padEnd(7)} ${value}${best ? `  (best ${best.objective!.toPrecision(4)})` : ''}`);
        },
      });
      let result;
      let validation;
      try {
        result = await tuner.run();
        validation = test.length
          ? await compareWithDefault(engine, tuner.applier, result.best.config, test, { warmup, repeats, timeoutsMs: settings.timeoutMs, rounds: (o.rounds as number | undefined) ?? 3 }, objective)
          : undefined;
        if (o.apply === true) await applyBest(tuner.applier, result);
        else await tuner.applier.restore();
      } catch (err) {
        await tuner.applier.restore().catch(() => undefined);
        throw err;
      }
      if (ctx.jsonMode) return ctx.json({ ...tuningReport(result, space), ...(validation ? { validation } : {}), applied: o.apply === true });
      const u = result.unit;
      ctx.out(`Tuned ${result.knobs} knobs of ${result.space} on ${result.queries} training queries (objective ${objective}, ${repeats} measured pass(es) after ${warmup} warm-up).`);
      ctx.out(`  original configuration: ${result.defaultObjective.toPrecision(4)} ${u}`);
      ctx.out(`  best (evaluation ${result.best.index}): ${result.bestObjective.toPrecision(4)} ${u} (${result.improvement.toFixed(2)}x the original; both measured again at the end)`);
      ctx.out(`  ${result.evaluations.length} evaluations in ${result.wallSeconds.toFixed(1)} s: ${result.failures} failed, ${result.timeouts} hit timeouts; stopped by ${result.stoppedBy}.`);
      if (result.best.source === 'default') ctx.out('No configuration beat the original one.');
      else {
        ctx.out('Best configuration:');
        for (const [name, value] of Object.entries(result.best.config)) ctx.out(`  ALTER SYSTEM SET ${name} = '${String(value)}';`);
      }
      if (validation) ctx.out(`Test workload (${validation.queries} queries): original ${validation.default.toPrecision(4)} ${validation.unit}, tuned ${validation.tuned.toPrecision(4)} ${validation.unit} (${validation.ratio.toFixed(2)}x).`);
      ctx.out(o.apply === true ? 'The best configuration is applied; `pilotscope knob reset` restores the original one.' : 'The original configuration is back (use --apply to keep the best one).');
    } finally {
      await engine.close();
    }
  },
};

const reset: Command = {
  path: ['knob', 'reset'],
  summary: 'Restore every knob pilotscope changed on the server to its original value (works from any process, also after a crash).',
  options: [{ name: 'db', type: 'string', valueName: '<database>', description: 'Also re-run ANALYZE there when a statistics knob was changed.' }, JSON_OPTION],
  async run(args, ctx) {
    const settings = ctx.settings();
    const { target, recovered } = await serverForReset(settings, ctx);
    const engine = await PostgresEngine.open({ target, database: (args.options.db as string | undefined) ?? 'postgres', timeoutMs: settings.timeoutMs, parallelism: 1 });
    try {
      const pending = engine.pendingKnobs();
      await engine.resetKnobs();
      const analyzed = args.options.db !== undefined && 'default_statistics_target' in pending;
      if (analyzed) await engine.run({ sql: 'ANALYZE' });
      if (ctx.jsonMode) return ctx.json({ restored: pending, recoveredAutoConf: recovered, analyzed });
      if (recovered) ctx.out('The server did not start with the settings left behind, so postgresql.auto.conf was put back as it was before tuning.');
      const names = Object.keys(pending);
      if (names.length === 0) return ctx.out('No knob changed by pilotscope is pending; nothing to restore.');
      ctx.out(`Restored ${names.length} knob(s) to their original values: ${names.join(', ')}.`);
      if ('default_statistics_target' in pending && !analyzed) ctx.out('default_statistics_target was changed: run ANALYZE in the tuned database (or `pilotscope knob reset --db <database>`).');
    } finally {
      await engine.close();
    }
  },
};

/** The server to reset; an embedded server that no longer starts gets its journaled postgresql.auto.conf back first. */
async function serverForReset(settings: Settings, ctx: CliContext): Promise<{ target: ServerTarget; recovered: boolean }> {
  try {
    return { target: await resolveServer(settings), recovered: false };
  } catch (err) {
    if (usesExternalPostgres(settings) || !isPilotScopeError(err, 'DB_START_FAILED')) throw err;
    const embedded = new EmbeddedPostgres(settings.home, settings.postgresql.embeddedPort);
    if (!restoreJournaledAutoConf(embedded, journalFile(settings.home, 'embedded'))) throw err;
    ctx.err('note: the embedded server did not start; restoring its postgresql.auto.conf from the knob journal.');
    return { target: await resolveServer(settings), recovered: true };
  }
}

const show: Command = {
  path: ['knob', 'show'],
  summary: "Show the knobs of a space with the server's current values, and which ones pilotscope changed.",
  options: [{ name: 'space', type: 'string', valueName: '<name|file>', description: 'Knob space (default postgres-15).' }, JSON_OPTION],
  async run(args, ctx) {
    const settings = ctx.settings();
    const engine = await PostgresEngine.open({ target: await resolveServer(settings), database: 'postgres', timeoutMs: settings.timeoutMs, parallelism: 1 });
    try {
      const space = await resolveKnobSpace(engine, args.options.space as string | undefined);
      const pending = engine.pendingKnobs();
      const names = [...new Set([...space.knobs.map((k) => k.name), ...Object.keys(pending)])];
      const rows = (await engine.run({ sql: `SELECT name, setting, unit, context FROM pg_settings WHERE name IN (${names.map((n) => `'${n.replace(/'/g, "''")}'`).join(', ')})`, pull: { records: true } })).records ?? [];
      const byName = new Map(rows.map((r) => [String(r.name), r]));
      const report = names.map((name) => {
        const row = byName.get(name);
        const knob = space.knobs.find((k) => k.name === name);
        return {
          name,
          current: row ? `${String(row.setting)}${row.unit ? ` (${String(row.unit)})` : ''}` : '(unknown)',
          range: knob ? (knob.kind === 'number' ? `${knob.min}..${knob.max}${knob.unit ?? ''}${knob.log ? ' log' : ''}${knob.special ? `, special ${knob.special.value}` : ''}` : knob.choices.join('|')) : '(not in the space)',
          restart: row?.context === 'postmaster',
          ...(pending[name] ? { changedByPilotscope: true, original: pending[name]!.original } : {}),
        };
      });
      if (ctx.jsonMode) return ctx.json({ space: space.name, knobs: report, notices: space.notices });
      for (const r of report) {
        ctx.out(`${r.name.padEnd(34)} ${r.current.padEnd(18)} ${r.range}${r.restart ? ' [restart]' : ''}${'changedByPilotscope' in r ? `  changed by pilotscope (original: ${r.original ?? 'server default'})` : ''}`);
      }
      for (const notice of space.notices) ctx.out(`note: ${notice}`);
    } finally {
      await engine.close();
    }
  },
};

export const knobCommands: Command[] = [tune, reset, show];

/** `pilotscope dataset list | add | remove | load`: the dataset registry and loaders. */
import { PostgresDatasetLoader } from '../../../adapters/postgres/loader.js';
import { SparkDatasetLoader } from '../../../adapters/spark/dataset-loader.js';
import { PilotScopeError } from '../../errors.js';
import type { Settings } from '../../config/settings.js';
import { DatasetRegistry, SYNTHETIC } from '../../datasets/registry.js';
import type { DatasetLoader } from '../../datasets/types.js';
import type { OptionSpec } from '../args.js';
import type { Command } from '../command.js';

const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'Print the result as JSON.' };

/** Loaders per engine; the Spark adapter adds its own here. */
export const DATASET_LOADERS: Readonly<Record<string, (settings: Settings) => DatasetLoader>> = {
  postgresql: (settings) => new PostgresDatasetLoader(settings),
  spark: (settings) => new SparkDatasetLoader(settings),
};

const list: Command = {
  path: ['dataset', 'list'],
  summary: 'List the known datasets: published, generated and registered directories.',
  options: [JSON_OPTION],
  async run(_args, ctx) {
    const listing = new DatasetRegistry(ctx.settings().home).list();
    if (ctx.jsonMode) return ctx.json(listing);
    const width = Math.max(...listing.map((d) => d.name.length)) + 2;
    for (const d of listing) {
      const state = d.kind === 'published' ? (d.available ? 'on this machine' : 'downloaded on first use') : d.kind;
      ctx.out(`${d.name.padEnd(width)}${d.description}`);
      ctx.out(`${''.padEnd(width)}${state}: ${d.location}`);
      if (d.note) ctx.out(`${''.padEnd(width)}note: ${d.note}`);
    }
  },
};

const add: Command = {
  path: ['dataset', 'add'],
  summary: 'Register a directory in the dataset format under a name (or use an existing database with --database).',
  description:
    'The directory holds data.sql (a SQL dump) or schema.sql plus <table>.csv/<table>.parquet files, and train.sql / test.sql. ' +
    'With --database (or "database" in its dataset.json) the dataset uses that existing database as is and nothing is loaded. ' +
    'Registering under a published name (e.g. stats) uses the directory instead of downloading.',
  positionals: [
    { name: 'name', description: 'Dataset name (lower-case letters, digits, _); also the database it loads into.', required: true },
    { name: 'dir', description: 'Directory in the dataset format.', required: true },
  ],
  options: [{ name: 'database', type: 'string', valueName: '<name>', description: 'Use this existing database as is (do not load files).' }, JSON_OPTION],
  examples: ['pilotscope dataset add stats_tiny ./datasets/stats_tiny', 'pilotscope dataset add prod ./prod-workload --database production_db'],
  async run(args, ctx) {
    const name = args.positionals.name as string;
    const database = args.options.database as string | undefined;
    const entry = new DatasetRegistry(ctx.settings().home).add(name, args.positionals.dir as string, database ? { database } : {});
    if (ctx.jsonMode) return ctx.json({ name, ...entry });
    ctx.out(entry.database ? `Registered ${name}: workload in ${entry.dir}, data in the existing database "${entry.database}".` : `Registered ${name}: ${entry.dir}.`);
  },
};

const remove: Command = {
  path: ['dataset', 'remove'],
  summary: 'Forget a registered directory (files and databases are left alone).',
  positionals: [{ name: 'name', description: 'Registered dataset name.', required: true }],
  async run(args, ctx) {
    const name = args.positionals.name as string;
    if (!new DatasetRegistry(ctx.settings().home).remove(name)) {
      throw new PilotScopeError('DATASET_NOT_FOUND', `"${name}" is not a registered directory; \`pilotscope dataset list\` shows what is.`);
    }
    ctx.out(`Removed ${name} from the registry.`);
  },
};

const load: Command = {
  path: ['dataset', 'load'],
  summary: 'Load a dataset into its own database (skipped when already complete; an interrupted load is redone).',
  positionals: [{ name: 'name', description: 'Dataset name (see `pilotscope dataset list`).', required: true }],
  options: [
    { name: 'engine', type: 'string', valueName: '<engine>', choices: Object.keys(DATASET_LOADERS), description: 'Engine to load into (default: postgresql).' },
    { name: 'force', type: 'boolean', description: 'Drop and reload even when the database already holds the dataset.' },
    { name: 'scale', type: 'number', valueName: '<s>', description: 'synthetic only: scale factor (default 0.1; 1 is STATS-sized, about 1M rows).' },
    { name: 'seed', type: 'integer', valueName: '<n>', description: 'synthetic only: random seed (default 7).' },
    JSON_OPTION,
  ],
  examples: ['pilotscope dataset load stats_tiny', 'pilotscope dataset load synthetic --scale 0.1 --seed 7', 'pilotscope dataset load stats_tiny --force'],
  async run(args, ctx) {
    const name = args.positionals.name as string;
    const scale = args.options.scale as number | undefined;
    const seed = args.options.seed as number | undefined;
    if (name !== SYNTHETIC && (scale !== undefined || seed !== undefined)) {
      throw new PilotScopeError('USAGE', `pilotscope dataset load: --scale and --seed apply to the synthetic dataset only, not "${name}".`);
    }
    const settings = ctx.settings();
    const engine = (args.options.engine as string | undefined) ?? 'postgresql';
    const registry = new DatasetRegistry(settings.home);
    const progress = (m: string) => ctx.err(m);
    const dataset = await registry.open(name, { ...(scale !== undefined ? { scale } : {}), ...(seed !== undefined ? { seed } : {}), onProgress: progress });
    const result = await DATASET_LOADERS[engine]!(settings).load(dataset, { force: args.options.force === true, onProgress: progress });
    if (ctx.jsonMode) return ctx.json(result);
    for (const notice of result.notices) ctx.err(`note: ${notice}`);
    const rows = result.tables.reduce((sum, t) => sum + t.rows, 0);
    if (result.skipped) ctx.out(`Skipped ${name}: ${result.reason}. (${result.tables.length} tables, about ${rows} rows)`);
    else ctx.out(`Loaded ${name} into database "${result.database}" (${engine}): ${result.tables.length} tables, ${rows} rows in ${result.seconds.toFixed(1)} s${result.reason ? ` (${result.reason})` : ''}.`);
  },
};

export const datasetCommands: Command[] = [list, add, remove, load];

/** `pilotscope db start | stop | status | url`: the embedded PostgreSQL. */
import { EmbeddedPostgres } from '../../../adapters/postgres/cluster.js';
import { usesExternalPostgres, type Settings } from '../../config/settings.js';
import type { OptionSpec } from '../args.js';
import type { CliContext, Command } from '../command.js';

const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'Print the result as JSON.' };

function cluster(settings: Settings, port?: number): EmbeddedPostgres {
  return new EmbeddedPostgres(settings.home, port ?? settings.postgresql.embeddedPort);
}

function noteExternal(ctx: CliContext): void {
  const settings = ctx.settings();
  if (usesExternalPostgres(settings)) {
    ctx.err(`note: an external server is configured (${settings.postgresql.host}); commands use it, and these db commands manage only the embedded server.`);
  }
}

const start: Command = {
  path: ['db', 'start'],
  summary: 'Start the embedded PostgreSQL (initializing it on first use).',
  options: [{ name: 'port', type: 'integer', valueName: '<n>', description: 'Port to listen on (remembered; default: a free port chosen at first start).' }, JSON_OPTION],
  async run(args, ctx) {
    noteExternal(ctx);
    const db = cluster(ctx.settings(), args.options.port as number | undefined);
    const result = await db.start();
    if (ctx.jsonMode) return ctx.json({ ...result, url: db.url() });
    if (result.removedStalePid) ctx.out(`Removed a stale pid file left by a server that is gone (pid ${result.removedStalePid}).`);
    if (result.initialized) ctx.out(`Initialized a new cluster in ${db.paths.dataDir}.`);
    ctx.out(result.alreadyRunning
      ? `The embedded PostgreSQL is already running on port ${result.port}; nothing to do.`
      : `Started the embedded PostgreSQL on port ${result.port} (socket directory ${db.paths.socketDir}).`);
    if (!result.extensionPreloaded) ctx.out('The pilotscope extension is not installed, so cardinality push/pull is unavailable: run `npm run setup`.');
  },
};

const stop: Command = {
  path: ['db', 'stop'],
  summary: 'Stop the embedded PostgreSQL.',
  options: [JSON_OPTION],
  async run(_args, ctx) {
    const db = cluster(ctx.settings());
    const result = await db.stop();
    if (ctx.jsonMode) return ctx.json(result);
    ctx.out(result.wasRunning ? 'Stopped the embedded PostgreSQL.' : 'The embedded PostgreSQL is not running; nothing to do.');
  },
};

const status: Command = {
  path: ['db', 'status'],
  summary: 'Show whether the embedded PostgreSQL is running, and where.',
  options: [JSON_OPTION],
  async run(_args, ctx) {
    noteExternal(ctx);
    const db = cluster(ctx.settings());
    const s = await db.status();
    if (ctx.jsonMode) return ctx.json(s);
    if (!s.initialized) {
      ctx.out(`not initialized (state directory ${ctx.settings().home}); \`pilotscope db start\` creates it.`);
      return 3;
    }
    ctx.out(s.running ? `running (pid ${s.pid}) on port ${s.port}` : 'stopped');
    ctx.out(`  PostgreSQL ${s.serverVersion}, data ${s.paths.dataDir}`);
    ctx.out(`  socket directory ${s.paths.socketDir}, log ${s.paths.logFile}`);
    ctx.out(`  pilotscope extension ${s.extensionPreloaded ? 'preloaded' : 'not installed (run `npm run setup`)'}`);
    return s.running ? 0 : 3;
  },
};

const url: Command = {
  path: ['db', 'url'],
  summary: 'Print a connection URL for the embedded PostgreSQL (for psql and other clients).',
  positionals: [{ name: 'database', description: 'Database name (default: postgres).' }],
  async run(args, ctx) {
    const db = cluster(ctx.settings());
    ctx.out(db.url((args.positionals.database as string | undefined) ?? 'postgres'));
  },
};

export const dbCommands: Command[] = [start, stop, status, url];

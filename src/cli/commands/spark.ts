/** `pilotscope spark start | stop | status | url`: the local Spark Thrift Server. */
import { LocalSparkServer, type LocalAuth } from '../../../adapters/spark/server.js';
import type { Settings } from '../../config/settings.js';
import type { OptionSpec } from '../args.js';
import type { CliContext, Command } from '../command.js';

const JSON_OPTION: OptionSpec = { name: 'json', type: 'boolean', description: 'Print the result as JSON.' };

function server(settings: Settings, options: { port?: number; auth?: LocalAuth; tls?: boolean; memory?: string } = {}): LocalSparkServer {
  return new LocalSparkServer(settings.home, {
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.auth !== undefined ? { auth: options.auth } : {}),
    ...(options.tls !== undefined ? { tls: options.tls } : {}),
    ...(options.memory !== undefined ? { driverMemory: options.memory } : {}),
  });
}

function noteExternal(ctx: CliContext): void {
  const { spark } = ctx.settings();
  if (spark) {
    ctx.err(`note: a Spark Thrift Server is configured (${spark.host}:${spark.port}); commands use it, and these spark commands manage only the local server.`);
  }
}

const start: Command = {
  path: ['spark', 'start'],
  summary: 'Start the local Spark Thrift Server (real Spark, local[2], state in <home>/spark).',
  description:
    'Runs the Spark Thrift Server of the installed pyspark (`npm run setup:spark`) on 127.0.0.1 with a Derby metastore ' +
    'and warehouse in the state directory. The port is chosen at first start and remembered. Starting a running server does nothing.',
  options: [
    { name: 'port', type: 'integer', valueName: '<n>', description: 'Port to listen on (remembered; default: a free port chosen at first start).' },
    { name: 'auth', type: 'string', valueName: '<mode>', choices: ['none', 'nosasl'], description: 'Authentication: none (SASL PLAIN, any user; default) or nosasl (remembered).' },
    { name: 'tls', type: 'boolean', description: 'Serve TLS with a self-signed certificate made at first start (remembered).' },
    { name: 'memory', type: 'string', valueName: '<size>', description: 'Driver heap, e.g. 2g (remembered; default 2g).' },
    JSON_OPTION,
  ],
  examples: ['pilotscope spark start', 'pilotscope spark start --port 10001 --memory 4g'],
  async run(args, ctx) {
    noteExternal(ctx);
    const local = server(ctx.settings(), {
      ...(args.options.port !== undefined ? { port: args.options.port as number } : {}),
      ...(args.options.auth !== undefined ? { auth: args.options.auth as LocalAuth } : {}),
      ...(args.options.tls === true ? { tls: true } : {}),
      ...(args.options.memory !== undefined ? { memory: args.options.memory as string } : {}),
    });
    if (local.runningPid() === undefined) ctx.err('Starting the local Spark Thrift Server (this takes about a minute)...');
    const result = await local.start();
    if (ctx.jsonMode) return ctx.json({ ...result, url: local.url() });
    if (result.removedStalePid) ctx.out(`Removed a stale pid file left by a server that is gone (pid ${result.removedStalePid}).`);
    ctx.out(result.alreadyRunning
      ? `The local Spark Thrift Server is already running on port ${result.port} (pid ${result.pid}); nothing to do.`
      : `Started the local Spark Thrift Server on 127.0.0.1:${result.port} (pid ${result.pid}, auth ${result.auth}${result.tls ? ', TLS' : ''}) in ${result.startupSeconds.toFixed(0)} s.`);
    ctx.out(`JDBC URL: ${local.url()}`);
  },
};

const stop: Command = {
  path: ['spark', 'stop'],
  summary: 'Stop the local Spark Thrift Server.',
  options: [JSON_OPTION],
  async run(_args, ctx) {
    const local = server(ctx.settings());
    const result = await local.stop();
    if (ctx.jsonMode) return ctx.json(result);
    if (result.removedStalePid) ctx.out(`Removed a stale pid file left by a server that is gone (pid ${result.removedStalePid}).`);
    if (!result.wasRunning) ctx.out('The local Spark Thrift Server is not running; nothing to do.');
    else ctx.out(result.killed ? 'The local Spark Thrift Server did not stop in time and was killed.' : 'Stopped the local Spark Thrift Server.');
  },
};

const status: Command = {
  path: ['spark', 'status'],
  summary: 'Show whether the local Spark Thrift Server is running, and where.',
  options: [JSON_OPTION],
  async run(_args, ctx) {
    noteExternal(ctx);
    const local = server(ctx.settings());
    const s = local.status();
    if (ctx.jsonMode) return ctx.json(s);
    const stale = s.stalePid ? ` (stale pid file: process ${s.stalePid} is gone; the next start removes it)` : '';
    if (s.running) ctx.out(`running (pid ${s.pid}) on 127.0.0.1:${s.port}, auth ${s.auth}${s.tls ? `, TLS (certificate ${s.paths.certificate})` : ''}`);
    else if (s.port === undefined) ctx.out(`never started${stale}; \`pilotscope spark start\` starts it (state directory ${s.paths.root}).`);
    else ctx.out(`stopped${stale}`);
    ctx.out(`  Spark ${s.sparkVersion ?? 'not installed (run `npm run setup:spark`)'}, warehouse ${s.paths.warehouse}`);
    ctx.out(`  metastore ${s.paths.metastore}, log ${s.paths.logFile}`);
    return s.running ? 0 : 3;
  },
};

const url: Command = {
  path: ['spark', 'url'],
  summary: 'Print a JDBC URL for the local Spark Thrift Server (for beeline and other HiveServer2 clients).',
  positionals: [{ name: 'database', description: 'Database name (default: default).' }],
  async run(args, ctx) {
    const local = server(ctx.settings());
    ctx.out(local.url((args.positionals.database as string | undefined) ?? 'default'));
  },
};

export const sparkCommands: Command[] = [start, stop, status, url];

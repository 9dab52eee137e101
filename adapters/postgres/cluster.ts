/**
 * The embedded default database: a private PostgreSQL cluster the tool owns (initdb into its state
 * directory, its own port and unix socket, the pilotscope extension preloaded when installed).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { PilotScopeError } from '../../src/errors.js';
import { isRoot, processCommandLine, processExists, runProgram, type RunResult } from '../../src/util/process.js';
import { findFreePort, isPortFree } from '../../src/util/net.js';
import { extensionInstalled, pgBinaries, type PgBinaries } from './binaries.js';

/** The OS user that owns the cluster when the tool runs as root (PostgreSQL refuses root). */
const SERVER_OS_USER = 'postgres';
export const SUPERUSER = 'postgres';
const START_TIMEOUT_S = 60;

export interface ClusterPaths {
  root: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  stateFile: string;
  passwordFile: string;
}

export interface ClusterState {
  port: number;
  createdAt: string;
}

export interface ClusterStatus {
  initialized: boolean;
  running: boolean;
  pid?: number;
  port?: number;
  paths: ClusterPaths;
  serverVersion?: string;
  extensionPreloaded: boolean;
}

export interface StartResult {
  alreadyRunning: boolean;
  initialized: boolean;
  removedStalePid?: number;
  port: number;
  extensionPreloaded: boolean;
}

export interface ConnectionParams {
  host: string;
  port: number;
  user: string;
  database: string;
}

export class EmbeddedPostgres {
  readonly paths: ClusterPaths;
  private readonly binaries: PgBinaries;

  constructor(
    home: string,
    private readonly requestedPort?: number,
    /** Benchmarks turn this off to compare with a server that never loads the extension. */
    private readonly options: { preloadExtension?: boolean } = {},
  ) {
    const root = path.join(home, 'postgres');
    this.paths = {
      root,
      dataDir: path.join(root, 'data'),
      socketDir: path.join(root, 'run'),
      logFile: path.join(root, 'server.log'),
      stateFile: path.join(root, 'cluster.json'),
      passwordFile: path.join(root, 'superuser.password'),
    };
    this.binaries = pgBinaries();
  }

  get initialized(): boolean {
    return fs.existsSync(path.join(this.paths.dataDir, 'PG_VERSION'));
  }

  state(): ClusterState | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.paths.stateFile, 'utf8')) as ClusterState;
    } catch {
      return undefined;
    }
  }

  /** The pid of the running postmaster, if any (a stale pid file is not "running"). */
  runningPid(): number | undefined {
    const pid = this.pidFromFile();
    return pid !== undefined && this.isOurPostmaster(pid) ? pid : undefined;
  }

  async status(): Promise<ClusterStatus> {
    const pid = this.runningPid();
    const state = this.state();
    const status: ClusterStatus = {
      initialized: this.initialized,
      running: pid !== undefined,
      paths: this.paths,
      extensionPreloaded: this.preloadsExtension(),
      ...(pid !== undefined ? { pid } : {}),
      ...(state ? { port: state.port } : {}),
    };
    if (this.initialized) status.serverVersion = fs.readFileSync(path.join(this.paths.dataDir, 'PG_VERSION'), 'utf8').trim();
    return status;
  }

  /** Starts the cluster (initializing it first if needed). Starting a running cluster is harmless. */
  async start(): Promise<StartResult> {
    const pid = this.runningPid();
    if (pid !== undefined) {
      return { alreadyRunning: true, initialized: false, port: this.state()!.port, extensionPreloaded: this.preloadsExtension() };
    }
    const initialized = !this.initialized;
    if (initialized) await this.initialize();
    const removedStalePid = this.removeStalePidFile();
    const port = await this.choosePort();
    this.writeServerConfig(port);
    const result = await this.pgCtl(['start', '-w', '-t', String(START_TIMEOUT_S), '-l', this.paths.logFile]);
    if (result.code !== 0) {
      throw new PilotScopeError(
        'DB_START_FAILED',
        `The embedded PostgreSQL did not start: ${lastLines(result.stderr || result.stdout)}\n` +
          `Server log (last lines):\n${this.tailLog()}\nData directory: ${this.paths.dataDir}`,
      );
    }
    return { alreadyRunning: false, initialized, port, extensionPreloaded: this.preloadsExtension(), ...(removedStalePid ? { removedStalePid } : {}) };
  }

  /** Stops the cluster (fast shutdown). Stopping a stopped cluster is harmless. */
  async stop(): Promise<{ wasRunning: boolean }> {
    if (this.runningPid() === undefined) {
      this.removeStalePidFile();
      return { wasRunning: false };
    }
    const result = await this.pgCtl(['stop', '-m', 'fast', '-w', '-t', String(START_TIMEOUT_S)]);
    if (result.code !== 0) {
      throw new PilotScopeError('DB_START_FAILED', `The embedded PostgreSQL did not stop: ${lastLines(result.stderr || result.stdout)}`);
    }
    return { wasRunning: true };
  }

  /** Restarts a running cluster (used for knobs whose context needs a restart). */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Re-reads the configuration files of the running server. */
  async reload(): Promise<void> {
    const result = await this.pgCtl(['reload']);
    if (result.code !== 0) throw new PilotScopeError('DB_NOT_RUNNING', `Reload failed: ${lastLines(result.stderr)}`);
  }

  connectionParams(database = 'postgres'): ConnectionParams {
    const state = this.state();
    if (!state) throw new PilotScopeError('DB_NOT_RUNNING', 'The embedded PostgreSQL has never been started. Run `pilotscope db start`.');
    return { host: this.paths.socketDir, port: state.port, user: SUPERUSER, database };
  }

  /** A libpq connection URL through the unix socket (no password needed, none printed). */
  url(database = 'postgres'): string {
    const { host, port, user } = this.connectionParams(database);
    return `postgresql://${user}@/${encodeURIComponent(database)}?host=${encodeURIComponent(host)}&port=${port}`;
  }

  /** The last lines of the server log, for error messages. */
  tailLog(lines = 15): string {
    try {
      return fs.readFileSync(this.paths.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  private async initialize(): Promise<void> {
    fs.mkdirSync(path.dirname(this.paths.root), { recursive: true });
    fs.mkdirSync(this.paths.root, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.paths.socketDir, { recursive: true, mode: 0o700 });
    if (!fs.existsSync(this.paths.passwordFile)) {
      fs.writeFileSync(this.paths.passwordFile, crypto.randomBytes(18).toString('base64url'), { mode: 0o600 });
    }
    if (isRoot()) await this.handOverToServerUser();
    const result = await runProgram(
      this.binaries.program('initdb'),
      ['-D', this.paths.dataDir, '-U', SUPERUSER, '--auth-local=trust', '--auth-host=scram-sha-256',
        `--pwfile=${this.paths.passwordFile}`, '--encoding=UTF8', '--locale=C', '--no-instructions'],
      { asUser: SERVER_OS_USER, timeoutMs: 120_000 },
    );
    if (result.code !== 0) {
      throw new PilotScopeError('DB_START_FAILED', `initdb failed for ${this.paths.dataDir}: ${lastLines(result.stderr || result.stdout)}`);
    }
    fs.appendFileSync(path.join(this.paths.dataDir, 'postgresql.conf'), "\n# Settings managed by pilotscope (rewritten at every start).\ninclude_if_exists = 'pilotscope.conf'\n");
  }

  /** As root, the cluster directory must belong to the server's OS user, who must reach it. */
  private async handOverToServerUser(): Promise<void> {
    await runProgram('chown', ['-R', `${SERVER_OS_USER}:`, this.paths.root]);
    const probe = await runProgram('test', ['-w', this.paths.root], { asUser: SERVER_OS_USER });
    if (probe.code !== 0) {
      throw new PilotScopeError(
        'DB_START_FAILED',
        `The "${SERVER_OS_USER}" OS user cannot reach ${this.paths.root} (PostgreSQL refuses to run as root, so it runs as "${SERVER_OS_USER}"). ` +
          'Point PILOTSCOPE_HOME (or "home" in the config file) at a directory whose parents are world-traversable, e.g. /var/lib/pilotscope.',
      );
    }
  }

  private async choosePort(): Promise<number> {
    const remembered = this.state()?.port;
    const port = this.requestedPort ?? remembered ?? (await findFreePort());
    if (!(await isPortFree(port))) {
      throw new PilotScopeError(
        'DB_PORT_IN_USE',
        `Port ${port} is already in use by another program, so the embedded PostgreSQL cannot start on it. ` +
          'Choose another port with `pilotscope db start --port <n>` (or "postgresql.embeddedPort" in the config file), or stop the other program.',
        { port },
      );
    }
    const state: ClusterState = { port, createdAt: this.state()?.createdAt ?? new Date().toISOString() };
    fs.writeFileSync(this.paths.stateFile, JSON.stringify(state, null, 2) + '\n');
    return port;
  }

  private writeServerConfig(port: number): void {
    const lines = [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${this.paths.socketDir.replace(/'/g, "''")}'`,
      'max_connections = 100',
      "log_min_messages = 'warning'",
      "log_line_prefix = '%m [%p] '",
    ];
    if (this.options.preloadExtension !== false && extensionInstalled(this.binaries)) lines.push("shared_preload_libraries = 'pilotscope'");
    const file = path.join(this.paths.dataDir, 'pilotscope.conf');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    if (isRoot()) fs.chownSync(file, ...serverUserIds());
  }

  private preloadsExtension(): boolean {
    try {
      return /shared_preload_libraries = '[^']*pilotscope/.test(fs.readFileSync(path.join(this.paths.dataDir, 'pilotscope.conf'), 'utf8'));
    } catch {
      return false;
    }
  }

  private pidFromFile(): number | undefined {
    try {
      const pid = Number(fs.readFileSync(path.join(this.paths.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** A pid file whose process is gone (or is some other program now) is left by a crash. */
  private removeStalePidFile(): number | undefined {
    const pid = this.pidFromFile();
    if (pid === undefined || this.isOurPostmaster(pid)) return undefined;
    fs.rmSync(path.join(this.paths.dataDir, 'postmaster.pid'), { force: true });
    return pid;
  }

  /** The postmaster runs in its data directory; a reused pid belongs to some other program. */
  private isOurPostmaster(pid: number): boolean {
    if (!processExists(pid)) return false;
    try {
      return fs.readlinkSync(`/proc/${pid}/cwd`) === fs.realpathSync(this.paths.dataDir);
    } catch {
      return /postgres/.test(processCommandLine(pid) ?? '');
    }
  }

  private pgCtl(args: string[]): Promise<RunResult> {
    return runProgram(this.binaries.program('pg_ctl'), ['-D', this.paths.dataDir, ...args], {
      asUser: SERVER_OS_USER,
      timeoutMs: (START_TIMEOUT_S + 30) * 1000,
    });
  }
}


function serverUserIds(): [number, number] {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${SERVER_OS_USER}:`));
  if (!line) throw new PilotScopeError('SETUP_MISSING', `The "${SERVER_OS_USER}" OS user does not exist; run \`npm run setup\` (the postgresql package creates it).`);
  const [, , uid, gid] = line.split(':');
  return [Number(uid), Number(gid)];
}

function lastLines(text: string, n = 5): string {
  return text.trim().split('\n').slice(-n).join(os.EOL);
}

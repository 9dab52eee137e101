/**
 * The local Spark for people without a cluster, and for tests: a real Spark Thrift Server
 * (local[2], Derby metastore and warehouse in a state directory the tool owns, <home>/spark),
 * launched with spark-submit from the Spark that pyspark ships, listening on loopback only.
 *
 * Plans are made deterministic: CBO on (ANALYZE statistics drive the estimates), CBO join reorder
 * off (the written join order is kept), adaptive execution off (the explained plan is the one run).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { SparkAuth } from '../../src/config/settings.js';
import { PilotScopeError } from '../../src/errors.js';
import { canConnect, findFreePort, isPortFree } from '../../src/util/net.js';
import { processCommandLine, processExists, runProgram } from '../../src/util/process.js';
import { SparkConnection, type SparkEndpoint } from './client.js';
import { sparkInstallation, type SparkInstallation } from './installation.js';

/** The authentication modes the local server can run with ('plain' needs an authenticator we do not ship). */
export type LocalAuth = Extract<SparkAuth, 'none' | 'nosasl'>;

const THRIFT_SERVER_CLASS = 'org.apache.spark.sql.hive.thriftserver.HiveThriftServer2';
const DEFAULT_START_TIMEOUT_MS = 240_000;
const STOP_GRACE_MS = 30_000;

export interface LocalSparkPaths {
  root: string;
  /** The self-signed certificate of a TLS server (PEM), for clients to trust. */
  certificate: string;
  keystore: string;
  keystorePassword: string;
  stateFile: string;
  pidFile: string;
  logFile: string;
  warehouse: string;
  metastore: string;
  scratch: string;
}

/** Remembered across starts: the port chosen at first start, and how the server was configured. */
export interface LocalSparkState {
  port: number;
  auth: LocalAuth;
  /** TLS with a self-signed certificate made at first start. */
  tls?: boolean;
  driverMemory: string;
  createdAt: string;
}

export interface LocalSparkOptions {
  /** Port to listen on (remembered); default: the remembered one, else a free port. */
  port?: number;
  /** Authentication mode (remembered); default 'none' (SASL PLAIN, any user). */
  auth?: LocalAuth;
  /** Serve TLS with a self-signed certificate (remembered); default false. */
  tls?: boolean;
  /** JVM heap of the driver, e.g. "2g" (remembered). */
  driverMemory?: string;
  /** How long to wait for the server to answer a query. */
  startTimeoutMs?: number;
}

export interface LocalSparkStatus {
  running: boolean;
  pid?: number;
  port?: number;
  auth?: LocalAuth;
  tls?: boolean;
  paths: LocalSparkPaths;
  sparkVersion?: string;
  /** Set when a pid file names a process that is gone (left by a crash). */
  stalePid?: number;
}

export interface LocalStartResult {
  alreadyRunning: boolean;
  port: number;
  auth: LocalAuth;
  tls: boolean;
  pid: number;
  removedStalePid?: number;
  /** Seconds from launch until a query worked (0 when it was already running). */
  startupSeconds: number;
}

export class LocalSparkServer {
  readonly paths: LocalSparkPaths;

  constructor(home: string, private readonly options: LocalSparkOptions = {}) {
    const root = path.join(home, 'spark');
    this.paths = {
      root,
      stateFile: path.join(root, 'server.json'),
      certificate: path.join(root, 'tls', 'server.pem'),
      keystore: path.join(root, 'tls', 'server.jks'),
      keystorePassword: path.join(root, 'tls', 'keystore.password'),
      pidFile: path.join(root, 'server.pid'),
      logFile: path.join(root, 'server.log'),
      warehouse: path.join(root, 'warehouse'),
      metastore: path.join(root, 'metastore_db'),
      scratch: path.join(root, 'tmp'),
    };
  }

  state(): LocalSparkState | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.paths.stateFile, 'utf8')) as LocalSparkState;
    } catch {
      return undefined;
    }
  }

  /** The pid of our running Thrift Server, if any (a stale pid file is not "running"). */
  runningPid(): number | undefined {
    const pid = this.pidFromFile();
    return pid !== undefined && this.isOurServer(pid) ? pid : undefined;
  }

  status(): LocalSparkStatus {
    const pid = this.pidFromFile();
    const running = pid !== undefined && this.isOurServer(pid);
    const state = this.state();
    const status: LocalSparkStatus = { running, paths: this.paths };
    if (running) status.pid = pid;
    else if (pid !== undefined) status.stalePid = pid;
    if (state) {
      status.port = state.port;
      status.auth = state.auth;
      status.tls = state.tls === true;
    }
    try {
      status.sparkVersion = sparkInstallation().version;
    } catch {
      // not installed: status still reports what it can
    }
    return status;
  }

  /** How clients reach this server. */
  endpoint(): SparkEndpoint {
    const state = this.state();
    if (!state) {
      throw new PilotScopeError('SPARK_UNREACHABLE', 'The local Spark Thrift Server has never been started. Start it with `pilotscope spark start`.');
    }
    return {
      host: '127.0.0.1',
      port: state.port,
      auth: state.auth,
      user: 'anonymous',
      password: '',
      tls: state.tls === true,
      ...(state.tls ? { ca: fs.readFileSync(this.paths.certificate, 'utf8') } : {}),
      description: `the local Spark Thrift Server (127.0.0.1:${state.port})`,
      unreachableHint: 'It is not running: start it with `pilotscope spark start` (log: ' + this.paths.logFile + ').',
    };
  }

  /** A JDBC URL for beeline and other HiveServer2 clients. */
  url(database = 'default'): string {
    const { port, auth, tls } = this.endpoint();
    const options = [auth === 'nosasl' ? ';auth=noSasl' : '', tls ? `;ssl=true;sslTrustStore=${this.paths.keystore}` : ''].join('');
    return `jdbc:hive2://127.0.0.1:${port}/${database}${options}`;
  }

  /** Starts the server and waits until a query works. Starting a running server is harmless. */
  async start(): Promise<LocalStartResult> {
    const running = this.runningPid();
    if (running !== undefined) {
      const state = this.state()!;
      return { alreadyRunning: true, port: state.port, auth: state.auth, tls: state.tls === true, pid: running, startupSeconds: 0 };
    }
    const installation = sparkInstallation();
    fs.mkdirSync(this.paths.root, { recursive: true });
    fs.mkdirSync(this.paths.scratch, { recursive: true });
    const removedStalePid = this.removeStalePidFile();
    const state = await this.chooseState();
    if (state.tls && !fs.existsSync(this.paths.keystore)) await this.makeCertificate(installation);
    const began = Date.now();
    const pid = this.launch(installation, state);
    try {
      await this.waitUntilReady(pid, this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    } catch (err) {
      if (processExists(pid)) await this.terminate(pid);
      fs.rmSync(this.paths.pidFile, { force: true });
      throw err;
    }
    return {
      alreadyRunning: false,
      port: state.port,
      auth: state.auth,
      tls: state.tls === true,
      pid,
      startupSeconds: (Date.now() - began) / 1000,
      ...(removedStalePid !== undefined ? { removedStalePid } : {}),
    };
  }

  /** Stops the server by pid: SIGTERM, then SIGKILL after a grace period. Stopping a stopped server is harmless. */
  async stop(): Promise<{ wasRunning: boolean; killed: boolean; removedStalePid?: number }> {
    const pid = this.runningPid();
    if (pid === undefined) {
      const removedStalePid = this.removeStalePidFile();
      return { wasRunning: false, killed: false, ...(removedStalePid !== undefined ? { removedStalePid } : {}) };
    }
    const killed = await this.terminate(pid);
    fs.rmSync(this.paths.pidFile, { force: true });
    return { wasRunning: true, killed };
  }

  /** The last lines of the server log, for error messages. */
  tailLog(lines = 20): string {
    try {
      const text = fs.readFileSync(this.paths.logFile, 'utf8').trimEnd().split('\n');
      return text.slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  private async chooseState(): Promise<LocalSparkState> {
    const previous = this.state();
    const port = this.options.port ?? previous?.port ?? (await findFreePort());
    if (!(await isPortFree(port))) {
      throw new PilotScopeError(
        'DB_PORT_IN_USE',
        `Port ${port} is already in use by another program, so the local Spark Thrift Server cannot start on it. ` +
          'Choose another port with `pilotscope spark start --port <n>`, or stop the other program.',
        { port },
      );
    }
    const state: LocalSparkState = {
      port,
      auth: this.options.auth ?? previous?.auth ?? 'none',
      tls: this.options.tls ?? previous?.tls ?? false,
      driverMemory: this.options.driverMemory ?? previous?.driverMemory ?? '2g',
      createdAt: previous?.createdAt ?? new Date().toISOString(),
    };
    fs.writeFileSync(this.paths.stateFile, JSON.stringify(state, null, 2) + '\n');
    return state;
  }

  private launch(installation: SparkInstallation, state: LocalSparkState): number {
    const { paths } = this;
    const conf: Record<string, string> = {
      'spark.sql.warehouse.dir': paths.warehouse,
      'spark.hadoop.javax.jdo.option.ConnectionURL': `jdbc:derby:;databaseName=${paths.metastore};create=true`,
      'spark.hive.server2.thrift.bind.host': '127.0.0.1',
      'spark.hive.server2.thrift.port': String(state.port),
      'spark.hive.server2.authentication': state.auth === 'nosasl' ? 'NOSASL' : 'NONE',
      'spark.driver.host': '127.0.0.1',
      'spark.driver.bindAddress': '127.0.0.1',
      'spark.local.dir': paths.scratch,
      'spark.ui.enabled': 'false',
      'spark.sql.shuffle.partitions': '4',
      'spark.sql.cbo.enabled': 'true',
      'spark.sql.cbo.joinReorder.enabled': 'false',
      'spark.sql.statistics.histogram.enabled': 'true',
      'spark.sql.adaptive.enabled': 'false',
      'spark.sql.session.timeZone': 'UTC',
    };
    if (state.tls) {
      conf['spark.hive.server2.use.SSL'] = 'true';
      conf['spark.hive.server2.keystore.path'] = paths.keystore;
      conf['spark.hive.server2.keystore.password'] = fs.readFileSync(paths.keystorePassword, 'utf8').trim();
    }
    const args = [
      '--master', 'local[2]',
      '--class', THRIFT_SERVER_CLASS,
      '--name', 'pilotscope-thriftserver',
      '--driver-memory', state.driverMemory,
      // Derby writes derby.log and its lock files under derby.system.home.
      '--driver-java-options', `-Dderby.system.home="${paths.root}" -Djava.io.tmpdir="${paths.scratch}"`,
      ...Object.entries(conf).flatMap(([key, value]) => ['--conf', `${key}=${value}`]),
      'spark-internal',
    ];
    const log = fs.openSync(paths.logFile, 'w');
    try {
      const child = spawn(installation.sparkSubmit, args, {
        cwd: paths.root,
        detached: true,
        stdio: ['ignore', log, log],
        env: {
          ...process.env,
          SPARK_HOME: installation.home,
          JAVA_HOME: javaHome(installation.java),
          SPARK_LOCAL_IP: '127.0.0.1',
          SPARK_LOG_DIR: paths.root,
          SPARK_PID_DIR: paths.root,
        },
      });
      child.unref();
      if (child.pid === undefined) throw new PilotScopeError('SPARK_START_FAILED', `Could not launch ${installation.sparkSubmit}.`);
      fs.writeFileSync(paths.pidFile, `${child.pid}\n`);
      return child.pid;
    } finally {
      fs.closeSync(log);
    }
  }

  private async waitUntilReady(pid: number, timeoutMs: number): Promise<void> {
    const endpoint = this.endpoint();
    const deadline = Date.now() + timeoutMs;
    let lastError = 'the port never accepted a connection';
    while (Date.now() < deadline) {
      if (!processExists(pid)) {
        throw new PilotScopeError('SPARK_START_FAILED', `The local Spark Thrift Server exited during startup.\nServer log (last lines):\n${this.tailLog()}\nLog file: ${this.paths.logFile}`);
      }
      if (await canConnect(endpoint.port, endpoint.host, 1000)) {
        try {
          const connection = await SparkConnection.open(endpoint, { connectTimeoutMs: 15_000 });
          try {
            await connection.execute('SELECT 1');
            return;
          } finally {
            await connection.close();
          }
        } catch (err) {
          lastError = (err as Error).message;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new PilotScopeError(
      'SPARK_START_FAILED',
      `The local Spark Thrift Server did not answer a query within ${Math.round(timeoutMs / 1000)} s (${lastError}).\nServer log (last lines):\n${this.tailLog()}\nLog file: ${this.paths.logFile}`,
    );
  }

  /** SIGTERM, wait for the grace period, then SIGKILL. Returns true when SIGKILL was needed. */
  private async terminate(pid: number): Promise<boolean> {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return false;
    }
    const deadline = Date.now() + STOP_GRACE_MS;
    while (Date.now() < deadline) {
      if (!processExists(pid)) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return false;
    }
    while (processExists(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
    return true;
  }

  /** A self-signed certificate for 127.0.0.1 in a Java keystore, and its PEM for clients. */
  private async makeCertificate(installation: SparkInstallation): Promise<void> {
    const dir = path.dirname(this.paths.keystore);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const password = crypto.randomBytes(18).toString('base64url');
    fs.writeFileSync(this.paths.keystorePassword, password, { mode: 0o600 });
    const keytool = path.join(path.dirname(installation.java), 'keytool');
    const common = ['-alias', 'pilotscope', '-keystore', this.paths.keystore, '-storetype', 'JKS', '-storepass', password];
    const made = await runProgram(keytool, ['-genkeypair', ...common, '-keypass', password, '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650', '-dname', 'CN=127.0.0.1', '-ext', 'SAN=IP:127.0.0.1,DNS:localhost'], { timeoutMs: 60_000 });
    const exported = made.code === 0 ? await runProgram(keytool, ['-exportcert', '-rfc', ...common, '-file', this.paths.certificate], { timeoutMs: 60_000 }) : made;
    if (exported.code !== 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new PilotScopeError('SPARK_START_FAILED', `Could not make a TLS certificate with ${keytool}: ${(exported.stderr || exported.stdout).trim()}`);
    }
  }

  private pidFromFile(): number | undefined {
    try {
      const pid = Number(fs.readFileSync(this.paths.pidFile, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** A pid file whose process is gone (or is some other program now) is left by a crash. */
  private removeStalePidFile(): number | undefined {
    const pid = this.pidFromFile();
    if (pid === undefined || this.isOurServer(pid)) return undefined;
    fs.rmSync(this.paths.pidFile, { force: true });
    return pid;
  }

  /** Our server is a Thrift Server JVM whose metastore lives in our state directory. */
  private isOurServer(pid: number): boolean {
    if (!processExists(pid)) return false;
    const cmd = processCommandLine(pid);
    if (cmd === undefined) return false;
    // Between spawn and the JVM's exec the pid runs the launcher script, which also names the class.
    return cmd.includes(THRIFT_SERVER_CLASS) && cmd.includes(this.paths.metastore);
  }
}

/** JAVA_HOME for the launcher: the given one, else the JDK directory of the java found on PATH. */
function javaHome(java: string): string | undefined {
  if (process.env.JAVA_HOME) return process.env.JAVA_HOME;
  const home = path.dirname(path.dirname(fs.realpathSync(java)));
  return fs.existsSync(path.join(home, 'bin', 'java')) ? home : undefined;
}

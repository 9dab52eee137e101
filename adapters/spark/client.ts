/**
 * One connection to a Spark Thrift Server (HiveServer2 protocol, binary transport) carrying one
 * session, through hive-driver's Thrift bindings.
 *
 * Statements run asynchronously on the server: ExecuteStatement returns a handle, then
 * GetOperationStatus is polled (HiveServer2 long-polls it, so it returns as soon as the statement
 * ends) and rows are fetched. hive-driver leaves a call pending forever when the socket closes,
 * so every call here also ends when the connection is lost.
 */
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import hive from 'hive-driver';
import type { OperationHandle, SessionHandle, Status } from 'hive-driver/dist/hive/Types/index.js';
import type { Row } from '../../src/engine/types.js';
import { PilotScopeError } from '../../src/errors.js';
import { SaslHandshakeError, SaslPlainAuthentication } from './sasl-plain.js';
import type { SparkAuth } from '../../src/config/settings.js';
import { cleanSparkMessage } from './errors.js';

const T = hive.thrift.TCLIService_types;
const PROTOCOL = T.TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10 as number;
const FETCH_BATCH = 10_000;
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET']);

/** Where a Spark Thrift Server listens and how to log in. */
export interface SparkEndpoint {
  host: string;
  port: number;
  auth: SparkAuth;
  user: string;
  password: string;
  tls: boolean;
  /** PEM certificates to trust for TLS besides the system's (the local server's self-signed one). */
  ca?: string;
  /** For messages, e.g. "the local Spark Thrift Server (127.0.0.1:10001)". */
  description: string;
  /** What to do when nothing answers, e.g. "Start it with `pilotscope spark start`." */
  unreachableHint: string;
}

export interface StatementOptions {
  /** Fetch the result rows (otherwise the statement runs to completion and its rows are dropped). */
  fetch?: boolean;
  /** Cancel the statement after this many milliseconds; the outcome is then 'timeout'. */
  timeoutMs?: number;
  /**
   * Cancels an operation of this connection from elsewhere. On this connection a cancel would
   * queue behind the long-polling status call, so the engine cancels through a second connection.
   */
  cancel?: (handle: OperationHandle) => Promise<void>;
}

export interface StatementOutcome {
  status: 'ok' | 'timeout';
  rows: Row[];
  columns: string[];
  /** ExecuteStatement until the server reported the statement finished (result computed), ms. */
  executionMs: number;
  /** The whole call including fetching the rows, ms. */
  totalMs: number;
}

interface OperationStatusResponse {
  status: Status;
  operationState?: number;
  errorMessage?: string;
  sqlState?: string;
}

type Rpc<T> = (request: unknown, callback: (err: unknown, response: T) => void) => void;

export class SparkConnection {
  private client!: InstanceType<typeof hive.HiveClient>;
  private session!: SessionHandle;
  private lostError?: Error;
  private rejectLost!: (err: Error) => void;
  private readonly lost: Promise<never>;
  private closing = false;

  private constructor(readonly endpoint: SparkEndpoint) {
    this.lost = new Promise<never>((_, reject) => (this.rejectLost = reject));
    this.lost.catch(() => undefined);
  }

  /** Connects, authenticates, opens a session and selects `database` when given. */
  static async open(endpoint: SparkEndpoint, options: { database?: string; connectTimeoutMs?: number } = {}): Promise<SparkConnection> {
    const connection = new SparkConnection(endpoint);
    await connection.connect(options.connectTimeoutMs ?? 20_000);
    if (options.database !== undefined) {
      try {
        await connection.execute(`USE ${quoteIdentifier(options.database)}`);
      } catch (err) {
        await connection.close();
        if (err instanceof PilotScopeError && /SCHEMA_NOT_FOUND|not found/i.test(err.message)) {
          throw new PilotScopeError('DB_CONNECTION_FAILED', `Database "${options.database}" does not exist on ${endpoint.description}. Load a dataset into it (\`pilotscope dataset load ${options.database} --engine spark\`) or create it.`, { database: options.database }, { cause: err });
        }
        throw err;
      }
    }
    return connection;
  }

  /** True once the socket closed or failed; the connection cannot be used again. */
  get isLost(): boolean {
    return this.lostError !== undefined;
  }

  async execute(sql: string, options: StatementOptions = {}): Promise<StatementOutcome> {
    this.assertUsable(sql);
    const started = performance.now();
    const submitted = await this.rpc<{ status: Status; operationHandle: OperationHandle }>('ExecuteStatement', {
      sessionHandle: this.session,
      statement: sql,
      runAsync: true,
    }, sql);
    if (isError(submitted.status)) throw statementError(submitted.status.errorMessage, sql);
    const handle = submitted.operationHandle;
    let timedOut = false;
    const timer = options.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          (options.cancel ?? ((h) => this.cancel(h)))(handle).catch(() => undefined);
        }, options.timeoutMs)
      : undefined;
    try {
      const final = await this.waitUntilDone(handle, sql).catch((err: unknown) => {
        // The connection is gone but the statement may still run on the server: cancel it from elsewhere.
        if (this.isLost && options.cancel) options.cancel(handle).catch(() => undefined);
        throw err;
      });
      const executionMs = performance.now() - started;
      clearTimeout(timer);
      if (final.operationState === T.TOperationState.CANCELED_STATE) {
        if (timedOut) return { status: 'timeout', rows: [], columns: [], executionMs, totalMs: performance.now() - started };
        throw new PilotScopeError('QUERY_ERROR', `Spark cancelled the statement (${this.endpoint.description}).`, { sql });
      }
      if (final.operationState !== T.TOperationState.FINISHED_STATE) {
        throw statementError(final.errorMessage ?? final.status.errorMessage ?? `the statement ended in state ${stateName(final.operationState)}`, sql, final.sqlState);
      }
      const { rows, columns } = options.fetch && handle.hasResultSet ? await this.fetchAll(handle, sql) : { rows: [], columns: [] };
      return { status: 'ok', rows, columns, executionMs, totalMs: performance.now() - started };
    } finally {
      clearTimeout(timer);
      if (!this.isLost) await this.rpc('CloseOperation', { operationHandle: handle }, sql).catch(() => undefined);
    }
  }

  /** Cancels an operation (of this or another connection to the same server). */
  async cancel(handle: OperationHandle): Promise<void> {
    await this.rpc('CancelOperation', { operationHandle: handle }, 'CANCEL');
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.isLost && this.session) {
      await withTimeout(this.rpc('CloseSession', { sessionHandle: this.session }, 'CLOSE SESSION'), 5_000).catch(() => undefined);
    }
    this.markLost(new Error('closed by the client'));
    try {
      this.client?.close();
    } catch {
      // already closed
    }
  }

  /** Drops the socket without a goodbye (used when a session must be abandoned at once). */
  destroy(): void {
    this.closing = true;
    this.markLost(new Error('closed by the client'));
    const socket = (this.client as unknown as { connection?: { getConnection(): { destroy?: () => void } } })?.connection?.getConnection();
    socket?.destroy?.();
  }

  private async connect(timeoutMs: number): Promise<void> {
    const { endpoint } = this;
    this.client = new hive.HiveClient(hive.thrift.TCLIService, T);
    this.client.on('error', (err: Error) => this.markLost(err));
    this.client.on('close', () => this.markLost(new Error('the server closed the connection')));
    const auth = endpoint.auth === 'nosasl' ? new hive.auth.NoSaslAuthentication() : new SaslPlainAuthentication(endpoint.user || 'anonymous', endpoint.password || 'anonymous', timeoutMs);
    const options = endpoint.tls
      ? { ssl: true, rejectUnauthorized: true, ...(net.isIP(endpoint.host) ? {} : { servername: endpoint.host }), ...(endpoint.ca ? { ca: endpoint.ca } : {}) }
      : {};
    try {
      await this.client.connect({ host: endpoint.host, port: endpoint.port, options }, new hive.connections.TcpConnection(), auth);
    } catch (err) {
      throw await this.tlsMismatch(err) ?? this.connectError(err);
    }
    try {
      const opened = await withTimeout(
        this.rpc<{ status: Status; sessionHandle: SessionHandle }>('OpenSession', { client_protocol: PROTOCOL, username: endpoint.user || 'anonymous', password: endpoint.password }, 'OPEN SESSION'),
        timeoutMs,
      );
      if (isError(opened.status)) {
        throw new PilotScopeError('SPARK_AUTH', `${endpoint.description} refused to open a session: ${cleanSparkMessage(opened.status.errorMessage ?? 'no reason given')}. Check spark.user and spark.password.`);
      }
      this.session = opened.sessionHandle;
    } catch (err) {
      this.destroy();
      throw await this.tlsMismatch(err) ?? this.openSessionError(err);
    }
  }

  /**
   * A plain client talking to a TLS server sees the same hang-up as an authentication mismatch;
   * when the port answers a TLS handshake, that is what the server wants.
   */
  private async tlsMismatch(err: unknown): Promise<PilotScopeError | undefined> {
    const { endpoint } = this;
    if (endpoint.tls) return undefined;
    const hungUp = err instanceof SaslHandshakeError ? err.reason === 'closed' || err.reason === 'timeout' : !(err instanceof PilotScopeError) || err.code === 'SPARK_SESSION_LOST';
    if (!hungUp || !(await speaksTls(endpoint.host, endpoint.port))) return undefined;
    return new PilotScopeError(
      'SPARK_AUTH',
      `${endpoint.description} expects TLS but the client connected without it. Set spark.tls to true in the config file (for a self-signed certificate, trust it through NODE_EXTRA_CA_CERTS).`,
      { serverExpects: 'TLS', clientUsed: 'plain TCP' },
    );
  }

  private connectError(err: unknown): PilotScopeError {
    const { endpoint } = this;
    const tlsFailure = this.tlsFailure(err);
    if (tlsFailure) return tlsFailure;
    if (err instanceof SaslHandshakeError) {
      if (err.reason === 'socket') return this.socketError(err.socketError ?? err);
      if (err.reason === 'rejected') {
        return new PilotScopeError('SPARK_AUTH', `${endpoint.description} rejected the login of user "${endpoint.user}": ${err.message}. Check spark.user and spark.password (auth "${endpoint.auth}").`);
      }
      return authMismatch(endpoint, 'NOSASL', endpoint.auth === 'plain' ? 'PLAIN (SASL)' : 'NONE (SASL PLAIN)', err.message);
    }
    return this.socketError(err as Error);
  }

  /** A TLS failure (untrusted certificate, a server that does not speak TLS), however it surfaced. */
  private tlsFailure(err: unknown): PilotScopeError | undefined {
    if (!this.endpoint.tls) return undefined;
    let cause: unknown = err;
    while (cause instanceof PilotScopeError || cause instanceof SaslHandshakeError) cause = cause instanceof SaslHandshakeError ? cause.socketError : cause.cause;
    const e = cause as NodeJS.ErrnoException | undefined;
    if (!e || !(/CERT|SSL|TLS|EPROTO|SELF_SIGNED|UNABLE_TO_/.test(e.code ?? '') || /certificate|SSL routines|TLS/i.test(e.message ?? ''))) return undefined;
    return this.socketError(e);
  }

  private openSessionError(err: unknown): PilotScopeError {
    const tlsFailure = this.tlsFailure(err);
    if (tlsFailure) return tlsFailure;
    if (err instanceof PilotScopeError) {
      if (err.code !== 'SPARK_SESSION_LOST') return err;
      const cause = err.cause as NodeJS.ErrnoException | undefined;
      if (cause?.code && UNREACHABLE_CODES.has(cause.code) && cause.code !== 'ECONNRESET') return this.socketError(cause);
    }
    const cause = err instanceof PilotScopeError && err.cause instanceof Error ? err.cause : err;
    const why = cause instanceof Error ? cause.message : String(cause);
    if (this.endpoint.auth === 'nosasl') return authMismatch(this.endpoint, 'SASL (auth "none" or "plain")', 'NOSASL', why);
    return new PilotScopeError('SPARK_UNREACHABLE', `${this.endpoint.description} accepted the login but did not open a session: ${why}.`, {}, { cause: err });
  }

  private socketError(err: NodeJS.ErrnoException | Error): PilotScopeError {
    const { endpoint } = this;
    const code = (err as NodeJS.ErrnoException).code;
    if (code && UNREACHABLE_CODES.has(code)) {
      return new PilotScopeError('SPARK_UNREACHABLE', `Cannot reach ${endpoint.description} at ${endpoint.host}:${endpoint.port} (${code}). ${endpoint.unreachableHint}`, { host: endpoint.host, port: endpoint.port }, { cause: err });
    }
    if (endpoint.tls) {
      return new PilotScopeError('SPARK_AUTH', `TLS with ${endpoint.description} at ${endpoint.host}:${endpoint.port} failed: ${err.message}. If the server does not use TLS set spark.tls to false; if its certificate is self-signed, trust it through NODE_EXTRA_CA_CERTS.`, {}, { cause: err });
    }
    return new PilotScopeError('SPARK_UNREACHABLE', `Connecting to ${endpoint.description} at ${endpoint.host}:${endpoint.port} failed: ${err.message}. ${endpoint.unreachableHint}`, {}, { cause: err });
  }

  private async waitUntilDone(handle: OperationHandle, sql: string): Promise<OperationStatusResponse> {
    let pause = 1;
    for (;;) {
      const asked = performance.now();
      const response = await this.rpc<OperationStatusResponse>('GetOperationStatus', { operationHandle: handle, getProgressUpdate: false }, sql);
      if (isError(response.status)) throw statementError(response.status.errorMessage, sql, response.status.sqlState);
      const state = response.operationState;
      if (state !== T.TOperationState.INITIALIZED_STATE && state !== T.TOperationState.RUNNING_STATE && state !== T.TOperationState.PENDING_STATE) {
        return response;
      }
      // Servers long-poll this call; one that answers at once gets a short, growing pause.
      if (performance.now() - asked < 20) {
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 100);
      }
    }
  }

  private async fetchAll(handle: OperationHandle, sql: string): Promise<{ rows: Row[]; columns: string[] }> {
    const metadata = await this.rpc<{ status: Status; schema?: TableSchema }>('GetResultSetMetadata', { operationHandle: handle }, sql);
    if (isError(metadata.status)) throw statementError(metadata.status.errorMessage, sql);
    const descriptors = [...(metadata.schema?.columns ?? [])].sort((a, b) => a.position - b.position);
    const columns = descriptors.map((d) => d.columnName.split('.').pop() ?? d.columnName);
    const rows: Row[] = [];
    for (;;) {
      const response = await this.rpc<{ status: Status; results?: RowSet }>('FetchResults', {
        operationHandle: handle,
        orientation: T.TFetchOrientation.FETCH_NEXT,
        maxRows: FETCH_BATCH,
        fetchType: 0,
      }, sql);
      if (isError(response.status)) throw statementError(response.status.errorMessage, sql);
      const added = appendRows(rows, response.results, descriptors, columns);
      if (added === 0) break;
    }
    return { rows, columns };
  }

  /** One Thrift call that also ends when the connection is lost. */
  private rpc<T>(method: string, request: unknown, sql: string): Promise<T> {
    if (this.lostError) return Promise.reject(this.lostAsError(sql));
    const thriftClient = this.client.getClient() as unknown as Record<string, Rpc<T>>;
    const call = new Promise<T>((resolve, reject) => {
      try {
        thriftClient[method]!.call(thriftClient, request, (err, response) => (err ? reject(err) : resolve(response)));
      } catch (err) {
        reject(err);
      }
    });
    return Promise.race([call, this.lost]).catch((err: unknown) => {
      if (this.lostError) throw this.lostAsError(sql);
      throw err;
    });
  }

  private markLost(err: Error): void {
    if (this.lostError) return;
    this.lostError = err;
    this.rejectLost(err);
  }

  private lostAsError(sql: string): PilotScopeError {
    const reason = this.lostError?.message ?? 'connection closed';
    if (this.closing) return new PilotScopeError('SPARK_SESSION_LOST', `The session with ${this.endpoint.description} is closed.`, { sql }, { cause: this.lostError });
    return new PilotScopeError(
      'SPARK_SESSION_LOST',
      `The connection to ${this.endpoint.description} was lost (${reason}); the statement did not complete. The next statement opens a new session.`,
      { sql },
      { cause: this.lostError },
    );
  }

  private assertUsable(sql: string): void {
    if (this.lostError) throw this.lostAsError(sql);
  }
}

/** True when the port completes a TLS handshake (certificate not checked: this only asks what the server speaks). */
function speaksTls(host: string, port: number, timeoutMs = 5000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }) });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

function authMismatch(endpoint: SparkEndpoint, serverExpects: string, clientUsed: string, detail: string): PilotScopeError {
  const fix = serverExpects === 'NOSASL'
    ? 'Set spark.auth to "nosasl" in the config file (the server runs with hive.server2.authentication=NOSASL).'
    : 'Set spark.auth to "none" (any user name) or "plain" (with spark.user/spark.password) in the config file.';
  return new PilotScopeError(
    'SPARK_AUTH',
    `Authentication mismatch with ${endpoint.description}: the server expects ${serverExpects} but the client used ${clientUsed} (${detail}). ${fix}`,
    { serverExpects, clientUsed },
  );
}

function isError(status: Status): boolean {
  return status.statusCode === T.TStatusCode.ERROR_STATUS || status.statusCode === T.TStatusCode.INVALID_HANDLE_STATUS;
}

function statementError(message: string | undefined, sql: string, sqlState?: string): PilotScopeError {
  const clean = cleanSparkMessage(message ?? 'unknown error');
  return new PilotScopeError('QUERY_ERROR', `Spark rejected the statement: ${clean}`, { sql, ...(sqlState ? { sqlState } : {}), serverMessage: message }, {});
}

function stateName(state: number | undefined): string {
  return Object.entries(T.TOperationState as Record<string, number>).find(([, v]) => v === state)?.[0] ?? String(state);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

// ---- result sets -------------------------------------------------------------------------------

interface ColumnDescriptor {
  columnName: string;
  position: number;
  typeDesc: { types: Array<{ primitiveEntry?: { type: number } }> };
}

interface TableSchema {
  columns: ColumnDescriptor[];
}

interface ColumnValues {
  values: unknown[];
  nulls: Buffer;
}

type ThriftColumn = Partial<Record<'boolVal' | 'byteVal' | 'i16Val' | 'i32Val' | 'i64Val' | 'doubleVal' | 'stringVal' | 'binaryVal', ColumnValues>>;

interface RowSet {
  columns?: ThriftColumn[];
}

/** Appends the rows of a columnar TRowSet; returns how many were added. */
function appendRows(rows: Row[], rowSet: RowSet | undefined, descriptors: ColumnDescriptor[], names: string[]): number {
  const columns = rowSet?.columns ?? [];
  if (columns.length === 0) return 0;
  const first = columnValues(columns[0]!);
  const count = first?.values.length ?? 0;
  const start = rows.length;
  for (let i = 0; i < count; i++) rows.push({});
  descriptors.forEach((descriptor, c) => {
    const values = columnValues(columns[c] ?? {});
    if (!values) return;
    const type = descriptor.typeDesc.types[0]?.primitiveEntry?.type;
    const name = names[c]!;
    for (let i = 0; i < count; i++) {
      rows[start + i]![name] = isNull(values.nulls, i) ? null : convert(type, values.values[i]);
    }
  });
  return count;
}

function columnValues(column: ThriftColumn): ColumnValues | undefined {
  return column.boolVal ?? column.byteVal ?? column.i16Val ?? column.i32Val ?? column.i64Val ?? column.doubleVal ?? column.stringVal ?? column.binaryVal;
}

function isNull(nulls: Buffer | undefined, i: number): boolean {
  if (!nulls || nulls.length === 0) return false;
  const byte = nulls[i >> 3];
  return byte !== undefined && (byte & (1 << (i & 7))) !== 0;
}

function convert(type: number | undefined, value: unknown): unknown {
  switch (type) {
    case T.TTypeId.BIGINT_TYPE:
      // node-int64; beyond 2^53 the value is rounded to the nearest double.
      return typeof value === 'object' && value !== null && 'toNumber' in value ? (value as { toNumber(imprecise: boolean): number }).toNumber(true) : Number(value);
    case T.TTypeId.DECIMAL_TYPE:
      return Number(value);
    case T.TTypeId.ARRAY_TYPE:
    case T.TTypeId.MAP_TYPE:
    case T.TTypeId.STRUCT_TYPE:
      try {
        return JSON.parse(String(value));
      } catch {
        return value;
      }
    default:
      return value;
  }
}

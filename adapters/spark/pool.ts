/**
 * A pool of Spark sessions (one connection each: the server serves a connection's calls one at a
 * time). Session settings that act as knobs are kept here and applied to every session, also to
 * sessions opened later, so a session that replaced a dropped one behaves the same.
 */
import type { OperationHandle } from 'hive-driver/dist/hive/Types/index.js';
import { PilotScopeError } from '../../src/errors.js';
import { SparkConnection, type SparkEndpoint } from './client.js';

export interface PooledSession {
  readonly connection: SparkConnection;
  /** The knob values this session has (key -> value as sent). */
  readonly knobs: Map<string, string>;
  knobVersion: number;
}

export class SessionPool {
  private readonly idle: PooledSession[] = [];
  private readonly all = new Set<PooledSession>();
  private readonly waiters: Array<(session: PooledSession | Error) => void> = [];
  private opening = 0;
  private closed = false;
  /** The knobs every session must have. */
  private readonly knobs = new Map<string, string>();
  private knobVersion = 0;
  private control?: Promise<SparkConnection>;

  constructor(private readonly endpoint: SparkEndpoint, private readonly database: string | undefined, private size: number) {}

  resize(size: number): void {
    this.size = size;
    while (this.waiters.length > 0 && this.all.size + this.opening < this.size) this.openFor(this.waiters.shift()!);
  }

  /** Runs `fn` on a session; a session whose connection was lost is dropped, not returned. */
  async use<T>(fn: (session: PooledSession) => Promise<T>): Promise<T> {
    const session = await this.acquire();
    try {
      return await fn(session);
    } finally {
      this.release(session);
    }
  }

  async acquire(): Promise<PooledSession> {
    if (this.closed) throw new PilotScopeError('USAGE', 'The Spark engine is closed.');
    let session = this.idle.pop();
    while (session && session.connection.isLost) {
      this.all.delete(session);
      session = this.idle.pop();
    }
    if (!session) {
      session = await new Promise<PooledSession>((resolve, reject) => {
        const waiter = (s: PooledSession | Error) => (s instanceof Error ? reject(s) : resolve(s));
        if (this.all.size + this.opening < this.size) this.openFor(waiter);
        else this.waiters.push(waiter);
      });
    }
    try {
      await this.syncKnobs(session);
    } catch (err) {
      this.release(session);
      throw err;
    }
    return session;
  }

  release(session: PooledSession): void {
    if (session.connection.isLost || this.closed || this.all.size > this.size) {
      this.all.delete(session);
      if (!session.connection.isLost) void session.connection.close();
      const waiter = this.waiters.shift();
      if (waiter) this.openFor(waiter);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(session);
    else this.idle.push(session);
  }

  /**
   * Makes `values` knobs of every session (validated on one session first, so a rejected setting
   * changes nothing). Keys set to undefined are reset to the server's default.
   */
  async setKnobs(values: ReadonlyMap<string, string | undefined>): Promise<void> {
    await this.use(async (session) => {
      try {
        for (const [key, value] of values) {
          if (value === undefined) continue;
          await session.connection.execute(`SET ${key}=${value}`);
          session.knobs.set(key, value);
        }
      } catch (err) {
        session.connection.destroy(); // it may hold part of the rejected settings
        throw err;
      }
    });
    for (const [key, value] of values) {
      if (value === undefined) this.knobs.delete(key);
      else this.knobs.set(key, value);
    }
    this.knobVersion++;
    // Idle sessions catch up now; busy ones when they are next acquired.
    await Promise.all(this.idle.map((session) => this.syncKnobs(session).catch(() => session.connection.destroy())));
  }

  /** Cancels an operation through a connection of its own (the busy one is long-polling). */
  async cancel(handle: OperationHandle): Promise<void> {
    let control = await (this.control ??= SparkConnection.open(this.endpoint)).catch((err: unknown) => {
      this.control = undefined;
      throw err;
    });
    if (control.isLost) {
      this.control = SparkConnection.open(this.endpoint);
      control = await this.control;
    }
    await control.cancel(handle);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(new PilotScopeError('USAGE', 'The Spark engine was closed.'));
    const sessions = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    const control = this.control;
    this.control = undefined;
    await Promise.all([
      ...sessions.map((s) => s.connection.close()),
      control?.then((c) => c.close()).catch(() => undefined),
    ]);
  }

  private openFor(waiter: (session: PooledSession | Error) => void): void {
    this.opening++;
    SparkConnection.open(this.endpoint, this.database !== undefined ? { database: this.database } : {})
      .then((connection) => {
        this.opening--;
        const session: PooledSession = { connection, knobs: new Map(), knobVersion: -1 };
        if (this.closed) {
          void connection.close();
          waiter(new PilotScopeError('USAGE', 'The Spark engine was closed.'));
          return;
        }
        this.all.add(session);
        waiter(session);
      })
      .catch((err: Error) => {
        this.opening--;
        waiter(err);
      });
  }

  /** Brings a session's settings to the pool's knobs (SET what differs, RESET what is gone). */
  private async syncKnobs(session: PooledSession): Promise<void> {
    if (session.knobVersion === this.knobVersion) return;
    for (const [key, value] of this.knobs) {
      if (session.knobs.get(key) !== value) {
        await session.connection.execute(`SET ${key}=${value}`);
        session.knobs.set(key, value);
      }
    }
    for (const key of [...session.knobs.keys()]) {
      if (!this.knobs.has(key)) {
        await session.connection.execute(`RESET ${key}`);
        session.knobs.delete(key);
      }
    }
    session.knobVersion = this.knobVersion;
  }
}

/**
 * Where to connect: the external server the settings name, or the embedded cluster (started on
 * demand). Databases are created on demand too.
 */
import pg from 'pg';
import { PilotScopeError } from '../../src/errors.js';
import { usesExternalPostgres, type Settings } from '../../src/config/settings.js';
import { EmbeddedPostgres } from './cluster.js';
import { journalFile } from './knob-journal.js';

export interface ServerTarget {
  /** Connection parameters for a database on this server. */
  clientConfig(database: string): pg.ClientConfig;
  /** The embedded cluster when the target is the embedded server (restart-capable). */
  embedded?: EmbeddedPostgres;
  /** For messages: "embedded PostgreSQL (port 5433)" or "PostgreSQL at db.example:5432". */
  description: string;
  /** File in the state directory recording the knobs pilotscope changed on this server (see knob-journal.ts). */
  knobJournal?: string;
}

/** Resolves the server to use, starting the embedded one if it is the target and not running. */
export async function resolveServer(settings: Settings): Promise<ServerTarget> {
  if (usesExternalPostgres(settings)) {
    const { host, port = 5432, user, password } = settings.postgresql;
    return {
      description: `PostgreSQL at ${host}:${port}`,
      knobJournal: journalFile(settings.home, `${host}_${port}`),
      clientConfig: (database) => ({
        host,
        port,
        database,
        ...(user !== undefined ? { user } : {}),
        ...(password !== undefined ? { password } : {}),
      }),
    };
  }
  const embedded = new EmbeddedPostgres(settings.home, settings.postgresql.embeddedPort);
  if (embedded.runningPid() === undefined) await embedded.start();
  const { port } = embedded.connectionParams();
  return {
    embedded,
    description: `embedded PostgreSQL (port ${port})`,
    knobJournal: journalFile(settings.home, 'embedded'),
    clientConfig: (database) => ({ ...embedded.connectionParams(database) }),
  };
}

/** Opens a client, with errors that say which server and what to do. */
export async function connect(target: ServerTarget, database: string): Promise<pg.Client> {
  const client = new pg.Client(target.clientConfig(database));
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw connectionError(err, target, database);
  }
  return client;
}

export function connectionError(err: unknown, target: ServerTarget, database: string): PilotScopeError {
  const e = err as { code?: string; message?: string };
  if (e.code === '3D000') {
    return new PilotScopeError('DB_CONNECTION_FAILED', `Database "${database}" does not exist on ${target.description}. Load a dataset into it (\`pilotscope dataset load ${database}\`) or create it.`, { database }, { cause: err });
  }
  return new PilotScopeError(
    'DB_CONNECTION_FAILED',
    `Cannot connect to database "${database}" on ${target.description}: ${e.message ?? String(err)}. ` +
      'Check that the server is running and the connection settings (PG* variables or the config file) are right.',
    { database },
    { cause: err },
  );
}

/** Creates the database if it does not exist. Returns true when it was created. */
export async function ensureDatabase(target: ServerTarget, database: string): Promise<boolean> {
  const admin = await connect(target, 'postgres');
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount) return false;
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '42P04') return false; // created concurrently
    throw err;
  } finally {
    await admin.end();
  }
}

export async function databaseExists(target: ServerTarget, database: string): Promise<boolean> {
  const admin = await connect(target, 'postgres');
  try {
    return Boolean((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount);
  } finally {
    await admin.end();
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The tool's settings: one config file format (validated), environment overrides, and flags
 * overriding both. Precedence: defaults < config file < environment < flags.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PilotScopeError } from '../errors.js';
import { assertValid, type JsonSchema } from './schema.js';

export type SparkAuth = 'none' | 'nosasl' | 'plain';

export interface PostgresSettings {
  /** Set when an external server is configured; absent means the embedded server. */
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  /** Default database (dataset commands use the dataset's own database). */
  database?: string;
  /** Port of the embedded server (chosen free at first start when absent). */
  embeddedPort?: number;
}

export interface SparkSettings {
  host: string;
  port: number;
  auth: SparkAuth;
  user: string;
  password: string;
  tls: boolean;
}

export interface Settings {
  /** Where the tool keeps its state: embedded database, collected data, models, results. */
  home: string;
  postgresql: PostgresSettings;
  /** Absent: use the local Spark Thrift Server that `pilotscope spark start` manages. */
  spark?: SparkSettings;
  /** Default statement timeout in milliseconds. */
  timeoutMs: number;
  /** Connections used for parallel work (collection, count queries). */
  parallelism: number;
  /** The config file the settings came from, if any. */
  configFile?: string;
}

export const CONFIG_FILE_NAME = 'pilotscope.json';

export const configSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://pilotscope.dev/schemas/config.json',
  title: 'PilotScope configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    home: { type: 'string', minLength: 1, description: 'State directory (embedded database, data, models, results).' },
    postgresql: {
      type: 'object',
      additionalProperties: false,
      description: 'An external PostgreSQL server. Leave out host to use the embedded server.',
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        user: { type: 'string', minLength: 1 },
        password: { type: 'string' },
        database: { type: 'string', minLength: 1 },
        embeddedPort: { type: 'integer', minimum: 1024, maximum: 65535 },
      },
    },
    spark: {
      type: 'object',
      additionalProperties: false,
      description: 'A Spark Thrift Server. Leave out to use the local one (`pilotscope spark start`).',
      required: ['host'],
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 1, maximum: 65535 },
        auth: { enum: ['none', 'nosasl', 'plain'] },
        user: { type: 'string' },
        password: { type: 'string' },
        tls: { type: 'boolean' },
      },
    },
    timeoutMs: { type: 'integer', minimum: 1 },
    parallelism: { type: 'integer', minimum: 1, maximum: 256 },
  },
};

export interface SettingsOverrides {
  configFile?: string;
  home?: string;
  postgresql?: Partial<PostgresSettings>;
  timeoutMs?: number;
  parallelism?: number;
}

/** Loads settings from defaults, the config file, the environment and the given overrides. */
export function loadSettings(overrides: SettingsOverrides = {}, env: NodeJS.ProcessEnv = process.env): Settings {
  const file = locateConfigFile(overrides.configFile, env);
  const fromFile = file ? readConfigFile(file) : {};
  const defaults = defaultSettings(env);

  const settings: Settings = {
    ...defaults,
    ...withoutUndefined({
      home: fromFile.home as string | undefined,
      timeoutMs: fromFile.timeoutMs as number | undefined,
      parallelism: fromFile.parallelism as number | undefined,
    }),
    postgresql: { ...defaults.postgresql, ...(fromFile.postgresql as PostgresSettings | undefined) },
    ...(fromFile.spark ? { spark: sparkWithDefaults(fromFile.spark as Partial<SparkSettings> & { host: string }) } : {}),
    ...(file ? { configFile: file } : {}),
  };
  applyEnvironment(settings, env);
  if (overrides.home !== undefined) settings.home = overrides.home;
  if (overrides.timeoutMs !== undefined) settings.timeoutMs = overrides.timeoutMs;
  if (overrides.parallelism !== undefined) settings.parallelism = overrides.parallelism;
  if (overrides.postgresql) settings.postgresql = { ...settings.postgresql, ...withoutUndefined(overrides.postgresql) };
  settings.home = expandHome(settings.home);
  return settings;
}

/** True when settings point at an external PostgreSQL server rather than the embedded one. */
export function usesExternalPostgres(settings: Settings): boolean {
  return settings.postgresql.host !== undefined;
}

function defaultSettings(env: NodeJS.ProcessEnv): Settings {
  return {
    home: env.PILOTSCOPE_HOME ?? defaultHome(env),
    postgresql: {},
    timeoutMs: 300_000,
    parallelism: Math.max(2, Math.min(8, os.cpus().length * 2)),
  };
}

/**
 * The default state directory. As root the embedded server runs as the `postgres` user, which
 * cannot enter /root, so root's default lives under /var/lib.
 */
function defaultHome(env: NodeJS.ProcessEnv): string {
  if (process.getuid?.() === 0) return '/var/lib/pilotscope';
  const dataHome = env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'pilotscope');
}

function locateConfigFile(explicit: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const named = explicit ?? env.PILOTSCOPE_CONFIG;
  if (named !== undefined) {
    if (!fs.existsSync(named)) {
      throw new PilotScopeError('CONFIG_NOT_FOUND', `Config file ${named} does not exist. Create it or drop the --config-file option / PILOTSCOPE_CONFIG variable.`);
    }
    return path.resolve(named);
  }
  const local = path.resolve(CONFIG_FILE_NAME);
  return fs.existsSync(local) ? local : undefined;
}

function readConfigFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PilotScopeError('CONFIG_INVALID', `Config file ${file} is not valid JSON: ${(err as Error).message}. Fix the syntax and retry.`);
  }
  assertValid(parsed, configSchema, `Config file ${file}`);
  return parsed as Record<string, unknown>;
}

function sparkWithDefaults(spark: Partial<SparkSettings> & { host: string }): SparkSettings {
  return {
    host: spark.host,
    port: spark.port ?? 10000,
    auth: spark.auth ?? 'none',
    user: spark.user ?? 'anonymous',
    password: spark.password ?? '',
    tls: spark.tls ?? false,
  };
}

/** libpq's PG* variables select an external server; PILOTSCOPE_* variables override the rest. */
function applyEnvironment(settings: Settings, env: NodeJS.ProcessEnv): void {
  if (env.PILOTSCOPE_HOME) settings.home = env.PILOTSCOPE_HOME;
  const pg = settings.postgresql;
  if (env.PGHOST) pg.host = env.PGHOST;
  if (env.PGPORT) pg.port = parseIntegerVariable('PGPORT', env.PGPORT, 1, 65535);
  if (env.PGUSER) pg.user = env.PGUSER;
  if (env.PGPASSWORD !== undefined) pg.password = env.PGPASSWORD;
  if (env.PGDATABASE) pg.database = env.PGDATABASE;
  if ((env.PGPORT || env.PGUSER) && pg.host === undefined) pg.host = 'localhost';
  if (env.PILOTSCOPE_TIMEOUT_MS) settings.timeoutMs = parseIntegerVariable('PILOTSCOPE_TIMEOUT_MS', env.PILOTSCOPE_TIMEOUT_MS, 1);
  if (env.PILOTSCOPE_PARALLELISM) settings.parallelism = parseIntegerVariable('PILOTSCOPE_PARALLELISM', env.PILOTSCOPE_PARALLELISM, 1, 256);
  if (env.PILOTSCOPE_SPARK_HOST) {
    settings.spark = sparkWithDefaults({
      ...settings.spark,
      host: env.PILOTSCOPE_SPARK_HOST,
      ...(env.PILOTSCOPE_SPARK_PORT ? { port: parseIntegerVariable('PILOTSCOPE_SPARK_PORT', env.PILOTSCOPE_SPARK_PORT, 1, 65535) } : {}),
    });
  }
}

function parseIntegerVariable(name: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PilotScopeError('CONFIG_INVALID', `Environment variable ${name}=${JSON.stringify(raw)} is not an integer between ${min} and ${max}. Fix or unset it.`);
  }
  return value;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : path.resolve(p);
}

function withoutUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** PostgreSQLConfig: how programs open the PostgreSQL engine (upstream's PostgreSQLConfig). */
import type { EngineConfig } from '../../src/engine/types.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { DatasetRegistry } from '../../src/datasets/registry.js';
import { databaseExists, resolveServer, type ServerTarget } from './connection.js';
import { PostgresEngine } from './engine.js';
import { PostgresDatasetLoader } from './loader.js';

export interface PostgreSQLConfigOptions {
  /** Database name (for a loaded dataset: the dataset's name). */
  db?: string;
  /** An external server; leave out to use the configured server, by default the embedded one. */
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  /** Default statement timeout in milliseconds. */
  timeoutMs?: number;
  /** Connections for parallel execution. */
  parallelism?: number;
  /** State directory of the embedded server (default: from settings). */
  home?: string;
}

export class PostgreSQLConfig implements EngineConfig {
  readonly engineKind = 'postgresql';
  db: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  timeoutMs?: number;
  parallelism?: number;
  home?: string;

  constructor(options: PostgreSQLConfigOptions = {}) {
    this.db = options.db ?? 'postgres';
    Object.assign(this, withoutUndefined({ ...options, db: this.db }));
  }

  /** The effective settings: config file and environment, overridden by this object's fields. */
  settings(): Settings {
    return loadSettings({
      ...(this.home !== undefined ? { home: this.home } : {}),
      ...(this.timeoutMs !== undefined ? { timeoutMs: this.timeoutMs } : {}),
      ...(this.parallelism !== undefined ? { parallelism: this.parallelism } : {}),
      ...(this.host !== undefined
        ? { postgresql: withoutUndefined({ host: this.host, port: this.port, user: this.user, password: this.password }) }
        : {}),
    });
  }

  /**
   * Opens the engine on `db`. When that database does not exist yet and `db` names a dataset of
   * the registry (stats_tiny, synthetic, one added with `pilotscope dataset add`, ...), the
   * dataset is loaded first, as the CLI does on demand.
   */
  async createEngine(): Promise<PostgresEngine> {
    const settings = this.settings();
    const target = await resolveServer(settings);
    const database = await this.databaseFor(settings, target);
    return PostgresEngine.open({ target, database, timeoutMs: settings.timeoutMs, parallelism: settings.parallelism });
  }

  private async databaseFor(settings: Settings, target: ServerTarget): Promise<string> {
    if (await databaseExists(target, this.db)) return this.db;
    const registry = new DatasetRegistry(settings.home);
    if (!registry.list().some((d) => d.name === this.db)) return this.db; // opening reports the missing database
    const dataset = await registry.open(this.db);
    await new PostgresDatasetLoader(settings, target).load(dataset);
    return dataset.database;
  }
}

function withoutUndefined<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** SparkConfig: how programs open the Spark engine (upstream's SparkConfig). */
import type { EngineConfig } from '../../src/engine/types.js';
import { loadSettings, type Settings, type SparkAuth } from '../../src/config/settings.js';
import type { SparkEndpoint } from './client.js';
import { externalEndpoint, resolveSparkTarget } from './connection.js';
import { SparkDatasetLoader } from './dataset-loader.js';
import { DatasetRegistry } from '../../src/datasets/registry.js';
import { SparkEngine } from './engine.js';

export interface SparkConfigOptions {
  /** Spark database (schema) holding the tables; a loaded dataset's name. Default "default". */
  db?: string;
  /** A Thrift Server to use; leave out to use the configured one, by default the local server. */
  host?: string;
  port?: number;
  auth?: SparkAuth;
  user?: string;
  password?: string;
  tls?: boolean;
  /** Default statement timeout in milliseconds. */
  timeoutMs?: number;
  /** Sessions for parallel execution. */
  parallelism?: number;
  /** State directory of the local server (default: from settings). */
  home?: string;
}

export class SparkConfig implements EngineConfig {
  readonly engineKind = 'spark';
  readonly options: SparkConfigOptions;

  constructor(options: SparkConfigOptions = {}) {
    this.options = { ...options };
  }

  get db(): string {
    return this.options.db ?? 'default';
  }

  /** The effective settings: config file and environment, overridden by this object's fields. */
  settings(): Settings {
    const { home, timeoutMs, parallelism, host, port, auth, user, password, tls } = this.options;
    const settings = loadSettings({
      ...(home !== undefined ? { home } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(parallelism !== undefined ? { parallelism } : {}),
    });
    if (host !== undefined) {
      settings.spark = { host, port: port ?? 10000, auth: auth ?? 'none', user: user ?? 'anonymous', password: password ?? '', tls: tls ?? false };
    }
    return settings;
  }

  /**
   * Opens the engine on `db`. When that database does not exist yet and `db` names a dataset of
   * the registry (stats_tiny, synthetic, one added with `pilotscope dataset add`, ...), the
   * dataset is loaded into Spark first, as the CLI does on demand.
   */
  async createEngine(): Promise<SparkEngine> {
    const settings = this.settings();
    const endpoint = settings.spark ? externalEndpoint(settings.spark) : (await resolveSparkTarget(settings)).endpoint;
    const database = await this.databaseFor(settings, endpoint);
    return SparkEngine.open({ endpoint, database, timeoutMs: settings.timeoutMs, parallelism: settings.parallelism });
  }

  private async databaseFor(settings: Settings, endpoint: SparkEndpoint): Promise<string> {
    if (this.db === 'default') return this.db;
    const registry = new DatasetRegistry(settings.home);
    if (!registry.list().some((d) => d.name === this.db)) return this.db; // opening reports a missing database
    const loader = new SparkDatasetLoader(settings, endpoint);
    if ((await loader.marker(this.db)) !== undefined) return this.db;
    const dataset = await registry.open(this.db);
    await loader.load(dataset);
    return dataset.database;
  }
}

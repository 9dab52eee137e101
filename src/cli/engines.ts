/**
 * The one place the CLI (and the package's public API) turn an engine name into engines and
 * dataset loaders: `--engine postgresql|spark` and `db_config.engine` go through ENGINE_FACTORIES.
 * The Spark adapter plugs in by adding its factory here.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { resolveServer, type ServerTarget } from '../../adapters/postgres/connection.js';
import { PostgresEngine } from '../../adapters/postgres/engine.js';
import { PostgresDatasetLoader } from '../../adapters/postgres/loader.js';
import { resolveSparkTarget, type SparkTarget } from '../../adapters/spark/connection.js';
import { SparkDatasetLoader } from '../../adapters/spark/dataset-loader.js';
import { SparkEngine } from '../../adapters/spark/engine.js';
import { ALGORITHMS } from '../algorithms/index.js';
import type { Algorithm } from '../algorithms/types.js';
import { loadSettings, type Settings, type SettingsOverrides } from '../config/settings.js';
import { DatasetRegistry, SYNTHETIC } from '../datasets/index.js';
import type { Dataset, DatasetLoader } from '../datasets/types.js';
import type { Engine } from '../engine/types.js';
import { PilotScopeError } from '../errors.js';
import type { DatasetHandle, DatasetSource, EngineProvider, ExperimentEnvironment } from '../experiments/types.js';
import type { ProgressReporter } from '../scheduler/types.js';

export { ALGORITHMS };

/** Environment variable naming modules (comma-separated paths) whose `algorithms` export adds algorithms. */
export const PLUGINS_VARIABLE = 'PILOTSCOPE_ALGORITHMS';

/**
 * The registry plus algorithms from plugin modules named in $PILOTSCOPE_ALGORITHMS: each module
 * exports `algorithms: Algorithm[]`; one with the name of a built-in algorithm replaces it.
 */
export async function loadAlgorithms(env: NodeJS.ProcessEnv = process.env): Promise<ReadonlyMap<string, Algorithm>> {
  const spec = env[PLUGINS_VARIABLE];
  if (!spec) return ALGORITHMS;
  const merged = new Map(ALGORITHMS);
  for (const file of spec.split(',').map((f) => f.trim()).filter(Boolean)) {
    let module: { algorithms?: unknown };
    try {
      module = (await import(pathToFileURL(path.resolve(file)).href)) as { algorithms?: unknown };
    } catch (err) {
      throw new PilotScopeError('CONFIG_INVALID', `${PLUGINS_VARIABLE}: cannot load ${file}: ${(err as Error).message}.`, { file }, { cause: err });
    }
    if (!Array.isArray(module.algorithms)) {
      throw new PilotScopeError('CONFIG_INVALID', `${PLUGINS_VARIABLE}: ${file} must export \`algorithms\`, an array of Algorithm objects.`, { file });
    }
    for (const algorithm of module.algorithms as Algorithm[]) {
      if (!algorithm || typeof algorithm.name !== 'string' || typeof algorithm.create !== 'function' || !Array.isArray(algorithm.params) || !Array.isArray(algorithm.engines)) {
        throw new PilotScopeError('CONFIG_INVALID', `${PLUGINS_VARIABLE}: ${file} exports something that is not an Algorithm (name, params, engines, create).`, { file });
      }
      merged.set(algorithm.name, algorithm);
    }
  }
  return merged;
}

export interface EngineFactory {
  open(settings: Settings, database: string): Promise<Engine>;
  loader(settings: Settings): DatasetLoader;
}

function postgresFactory(): EngineFactory {
  let target: Promise<ServerTarget> | undefined;
  return {
    async open(settings, database) {
      target ??= resolveServer(settings);
      return PostgresEngine.open({ target: await target, database, timeoutMs: settings.timeoutMs, parallelism: settings.parallelism });
    },
    loader: (settings) => new PostgresDatasetLoader(settings),
  };
}

function sparkFactory(): EngineFactory {
  let target: Promise<SparkTarget> | undefined;
  return {
    async open(settings, database) {
      target ??= resolveSparkTarget(settings);
      return SparkEngine.open({ endpoint: (await target).endpoint, database, timeoutMs: settings.timeoutMs, parallelism: settings.parallelism });
    },
    loader: (settings) => new SparkDatasetLoader(settings),
  };
}

export const ENGINE_FACTORIES: Readonly<Record<string, () => EngineFactory>> = {
  postgresql: postgresFactory,
  spark: sparkFactory,
};

export const ENGINE_NAMES = ['postgresql', 'spark'] as const;

export function engineFactory(kind: string): EngineFactory {
  const make = ENGINE_FACTORIES[kind];
  if (!make) {
    throw new PilotScopeError(
      'USAGE',
      kind === 'spark'
        ? 'The Spark engine is not part of this build yet; use --engine postgresql.'
        : `Unknown engine "${kind}"; choose from ${Object.keys(ENGINE_FACTORIES).join(', ')}.`,
    );
  }
  return make();
}

/** The dataset registry as the runner sees it. */
export function registrySource(settings: Settings): DatasetSource {
  const registry = new DatasetRegistry(settings.home);
  return {
    open: (ref) => registry.open(ref.name, { ...(ref.scale !== undefined ? { scale: ref.scale } : {}), ...(ref.seed !== undefined ? { seed: ref.seed } : {}) }),
    names: () => [...new Set([SYNTHETIC, ...registry.list().map((d) => d.name)])],
  };
}

export interface EnvironmentOptions {
  engine?: string;
  settings?: Settings;
  /** Overrides for loadSettings when `settings` is not given (home, external server, timeouts). */
  overrides?: SettingsOverrides;
  progress?: ProgressReporter;
  log?(text: string): void;
}

/** The runner's surroundings: settings, dataset registry, engine factory, algorithm registry. */
export async function experimentEnvironment(options: EnvironmentOptions = {}): Promise<ExperimentEnvironment> {
  const settings = options.settings ?? loadSettings(options.overrides ?? {});
  const kind = options.engine ?? 'postgresql';
  const factory = engineFactory(kind);
  const loader = factory.loader(settings);
  const engine: EngineProvider = {
    kind,
    async prepare(dataset: DatasetHandle, onProgress) {
      const result = await loader.load(dataset as Dataset, onProgress ? { onProgress } : {});
      if (!result.skipped) onProgress?.(`Loaded ${dataset.name} into database "${result.database}" in ${result.seconds.toFixed(1)} s.`);
    },
    open: (database) => factory.open(settings, database),
  };
  return {
    home: settings.home,
    datasets: registrySource(settings),
    engine,
    algorithms: await loadAlgorithms(),
    ...(options.progress ? { progress: options.progress } : {}),
    ...(options.log ? { log: options.log } : {}),
    timeoutMs: settings.timeoutMs,
    parallelism: settings.parallelism,
  };
}

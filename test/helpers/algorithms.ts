/**
 * Shared setup for the algorithm tests: a private PostgreSQL with datasets loaded through the
 * datasets module (registry + PostgreSQL loader; shared stats_tiny / imdb_tiny directories, or the
 * synthetic generator), their train/test workloads, and AlgorithmContexts over a temporary home
 * (models) and data directory (collected rows).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PostgresEngine } from '../../adapters/postgres/engine.js';
import { PostgresDatasetLoader } from '../../adapters/postgres/loader.js';
import { createAlgorithmContext, type BuiltContext, type ContextOptions } from '../../src/algorithms/context.js';
import { DatasetRegistry } from '../../src/datasets/registry.js';
import type { Workload } from '../../src/datasets/types.js';
import { DataManager } from '../../src/store/index.js';
import { sharedDataset } from './paths.js';
import { makeTempHome, startTestServer, type TestServer } from './postgres.js';

export type DatasetSpec = { name: 'stats_tiny' | 'imdb_tiny' } | { name: 'synthetic'; scale: number; seed: number };

/** Every `step`-th item starting at `offset` (spreads a sample over the whole list). */
export function sample<T>(items: readonly T[], count: number, offset = 0, step = Math.max(1, Math.floor(items.length / count))): T[] {
  const out: T[] = [];
  for (let i = offset; i < items.length && out.length < count; i += step) out.push(items[i]!);
  return out;
}

export interface LoadedDataset {
  name: string;
  database: string;
  engine: PostgresEngine;
  workload: Workload;
}

export interface AlgorithmFixture {
  server: TestServer;
  datasets: Map<string, LoadedDataset>;
  /** A fresh context over a new home and data directory. Other loaded datasets resolve for cross-dataset training with `trainingFor` queries. */
  context(dataset: string, trainingQueries: readonly string[], extra?: Partial<ContextOptions> & { trainingFor?: Record<string, readonly string[]> }): BuiltContext & { store: DataManager };
  close(): Promise<void>;
}

export async function startAlgorithmFixture(specs: readonly DatasetSpec[], parallelism = 2): Promise<AlgorithmFixture> {
  const server = await startTestServer();
  const datasets = new Map<string, LoadedDataset>();
  const cleanup: Array<() => Promise<void>> = [];
  try {
    const registry = new DatasetRegistry(server.home);
    const loader = new PostgresDatasetLoader(server.settings, server.target);
    for (const spec of specs) {
      if (spec.name !== 'synthetic') registry.add(spec.name, sharedDataset(spec.name));
      const dataset = await registry.open(spec.name, spec.name === 'synthetic' ? { scale: spec.scale, seed: spec.seed } : {});
      await loader.load(dataset);
      const engine = await PostgresEngine.open({ target: server.target, database: dataset.database, timeoutMs: 120_000, parallelism });
      datasets.set(spec.name, { name: spec.name, database: dataset.database, engine, workload: await dataset.workload() });
    }
  } catch (err) {
    for (const d of datasets.values()) await d.engine.close();
    await server.stop();
    throw err;
  }
  return {
    server,
    datasets,
    context(dataset, trainingQueries, extra = {}) {
      const home = makeTempHome('pilotscope-algo-');
      const store = new DataManager(path.join(home, 'data'));
      cleanup.push(async () => {
        await store.close();
        fs.rmSync(home, { recursive: true, force: true });
      });
      const { trainingFor = {}, ...options } = extra;
      const ctx = createAlgorithmContext({
        dataset,
        engine: datasets.get(dataset)!.engine,
        trainingQueries,
        store,
        home,
        parallelism,
        timeoutMs: 120_000,
        seed: 7,
        resolveDataset: async (other) => {
          const loaded = datasets.get(other);
          if (!loaded) throw new Error(`dataset ${other} is not loaded in this fixture`);
          return { dataset: other, engine: loaded.engine, queries: [...(trainingFor[other] ?? loaded.workload.train)] };
        },
        ...options,
      });
      return Object.assign(ctx, { store });
    },
    async close() {
      for (const c of cleanup) await c().catch(() => undefined);
      for (const d of datasets.values()) await d.engine.close().catch(() => undefined);
      await server.stop();
    },
  };
}

/**
 * Shared setup for the algorithm tests: a private PostgreSQL with a shared dataset loaded, a
 * small deterministic train/test split of its queries, and an AlgorithmContext over a temporary
 * home (models) and data directory (collected rows).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PostgresEngine } from '../../adapters/postgres/engine.js';
import { createAlgorithmContext, type BuiltContext, type ContextOptions } from '../../src/algorithms/context.js';
import { splitStatements } from '../../src/sql/index.js';
import { DataManager } from '../../src/store/index.js';
import { loadSharedDump } from './load-dump.js';
import { sharedDataset } from './paths.js';
import { makeTempHome, startTestServer, type TestServer } from './postgres.js';

export type SharedName = 'stats_tiny' | 'imdb_tiny';

export function datasetQueries(name: SharedName): string[] {
  return splitStatements(fs.readFileSync(path.join(sharedDataset(name), 'train.sql'), 'utf8'));
}

/** Every `step`-th query starting at `offset` (the file is grouped by template; this spreads over them). */
export function sample(queries: readonly string[], count: number, offset: number, step = Math.floor(queries.length / count)): string[] {
  const out: string[] = [];
  for (let i = offset; i < queries.length && out.length < count; i += step) out.push(queries[i]!);
  return out;
}

export interface AlgorithmFixture {
  server: TestServer;
  engines: Map<SharedName, PostgresEngine>;
  /** A fresh context over a new home and data directory (each test its own). */
  context(dataset: SharedName, trainingQueries: readonly string[], extra?: Partial<ContextOptions>): Promise<BuiltContext & { store: DataManager }>;
  close(): Promise<void>;
}

export async function startAlgorithmFixture(datasets: readonly SharedName[]): Promise<AlgorithmFixture> {
  const server = await startTestServer();
  const engines = new Map<SharedName, PostgresEngine>();
  const cleanup: Array<() => Promise<void>> = [];
  try {
    for (const name of datasets) {
      await loadSharedDump(server, name);
      engines.set(name, await PostgresEngine.open({ target: server.target, database: name, timeoutMs: 60_000, parallelism: 2 }));
    }
  } catch (err) {
    for (const e of engines.values()) await e.close();
    await server.stop();
    throw err;
  }
  return {
    server,
    engines,
    async context(dataset, trainingQueries, extra = {}) {
      const home = makeTempHome('pilotscope-algo-');
      const store = new DataManager(path.join(home, 'data'));
      cleanup.push(async () => {
        await store.close();
        fs.rmSync(home, { recursive: true, force: true });
      });
      const ctx = createAlgorithmContext({
        dataset,
        engine: engines.get(dataset)!,
        trainingQueries,
        store,
        home,
        parallelism: 2,
        timeoutMs: 60_000,
        seed: 7,
        resolveDataset: async (other) => {
          const engine = engines.get(other as SharedName);
          if (!engine) throw new Error(`dataset ${other} is not loaded in this fixture`);
          return { dataset: other, engine, queries: sample(datasetQueries(other as SharedName), 40, 0) };
        },
        ...extra,
      });
      return Object.assign(ctx, { store });
    },
    async close() {
      for (const c of cleanup) await c().catch(() => undefined);
      for (const e of engines.values()) await e.close().catch(() => undefined);
      await server.stop();
    },
  };
}

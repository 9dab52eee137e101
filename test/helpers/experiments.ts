/** Shared setup for the experiment tests: a private server with stats_tiny registered, and CLI runs. */
import fs from 'node:fs';
import path from 'node:path';
import { DatasetRegistry } from '../../src/datasets/registry.js';
import { runCli, type CliResult } from './cli.js';
import { PLUGIN_FILE } from './experiment-algorithms.js';
import { sharedDataset } from './paths.js';
import { startTestServer, type TestServer } from './postgres.js';

export async function serverWithStatsTiny(): Promise<TestServer> {
  const server = await startTestServer();
  new DatasetRegistry(server.home).add('stats_tiny', sharedDataset('stats_tiny'));
  return server;
}

/** Runs the CLI against the test server; `plugin` adds the test algorithms (knob, mscn doubles). */
export function pilotscope(server: TestServer, args: string[], options: { plugin?: boolean; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return runCli(args, {
    home: server.home,
    cwd: options.cwd ?? server.home,
    timeoutMs: options.timeoutMs ?? 600_000,
    env: options.plugin ? { PILOTSCOPE_ALGORITHMS: PLUGIN_FILE } : {},
  });
}

export function readJsonFile<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

export function outputDir(server: TestServer, name: string): string {
  const dir = path.join(server.home, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

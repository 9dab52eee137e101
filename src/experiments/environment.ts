/** The environment a result was measured in: versions and machine. */
import fs from 'node:fs';
import os from 'node:os';
import type { Engine } from '../engine/types.js';
import type { EnvironmentInfo } from './types.js';

let cachedVersion: string | undefined;

/** The package version (package.json at the repository root, two or three levels up). */
export function pilotscopeVersion(): string {
  if (cachedVersion) return cachedVersion;
  for (const rel of ['../../package.json', '../../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (fs.existsSync(url)) {
      cachedVersion = (JSON.parse(fs.readFileSync(url, 'utf8')) as { version: string }).version;
      return cachedVersion;
    }
  }
  return 'unknown';
}

/** Asks the engine for its version (`SELECT version()` works on PostgreSQL and Spark SQL). */
export async function engineVersion(engine: Engine): Promise<string | null> {
  try {
    const data = await engine.run({ sql: 'SELECT version()', pull: { records: true }, timeoutMs: 10_000 });
    const row = data.records?.[0];
    const value = row ? Object.values(row)[0] : undefined;
    return value === undefined || value === null ? null : String(value);
  } catch {
    return null;
  }
}

export function environmentInfo(engineKind: string, version: string | null): EnvironmentInfo {
  const cpus = os.cpus();
  return {
    pilotscope: pilotscopeVersion(),
    node: process.version,
    engine: { kind: engineKind, version },
    os: { platform: os.platform(), release: os.release(), arch: os.arch() },
    machine: { cpu: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length, memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10 },
  };
}

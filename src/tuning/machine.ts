/** The machine a knob space is resolved for: memory, connections, cores, and whether restarts are ours to do. */
import os from 'node:os';
import type { Engine } from '../engine/types.js';
import { PilotScopeError } from '../errors.js';
import type { MachineProfile } from './space/types.js';

export interface MachineOverrides {
  /** The database server's memory in MB (default: this machine's). */
  memoryMb?: number;
  /** Sessions that may run at once (default: PostgreSQL's max_connections; 1 elsewhere). */
  connections?: number;
  cores?: number;
}

export async function machineProfile(engine: Engine, overrides: MachineOverrides = {}, notice?: (text: string) => void): Promise<MachineProfile> {
  const canRestart = engine.capabilities.restartKnobs;
  if (overrides.memoryMb === undefined && !canRestart && engine.kind === 'postgresql') {
    notice?.(`Memory ranges assume the server has this machine's memory (${Math.round(os.totalmem() / 2 ** 20)}MB); give memory_mb if it runs elsewhere.`);
  }
  return {
    memoryBytes: overrides.memoryMb !== undefined ? overrides.memoryMb * 2 ** 20 : os.totalmem(),
    connections: overrides.connections ?? (await serverConnections(engine)),
    cores: overrides.cores ?? os.availableParallelism(),
    canRestart,
  };
}

async function serverConnections(engine: Engine): Promise<number> {
  if (engine.kind !== 'postgresql') return 1;
  const data = await engine.run({ sql: "SELECT current_setting('max_connections')::int AS n", pull: { records: true } });
  const n = Number(data.records?.[0]?.n);
  if (!Number.isInteger(n) || n < 1) throw new PilotScopeError('INTERNAL', `max_connections came back as ${String(data.records?.[0]?.n)}`);
  return n;
}

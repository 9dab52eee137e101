/** Loads a shared dataset's SQL dump into a fresh database of a test server (psql -f). */
import path from 'node:path';
import { ensureDatabase } from '../../adapters/postgres/connection.js';
import { pgBinaries } from '../../adapters/postgres/binaries.js';
import { runProgram } from '../../src/util/process.js';
import { sharedDataset } from './paths.js';
import type { TestServer } from './postgres.js';

export async function loadSharedDump(server: TestServer, name: 'stats_tiny' | 'imdb_tiny'): Promise<string> {
  await ensureDatabase(server.target, name);
  const params = server.cluster.connectionParams(name);
  const result = await runProgram(
    pgBinaries().program('psql'),
    ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', params.host, '-p', String(params.port), '-U', params.user, '-d', name, '-f', path.join(sharedDataset(name), 'data.sql')],
    { timeoutMs: 300_000 },
  );
  if (result.code !== 0) throw new Error(`loading ${name} failed: ${result.stderr}`);
  const analyze = await runProgram(pgBinaries().program('psql'), ['-X', '-q', '-h', params.host, '-p', String(params.port), '-U', params.user, '-d', name, '-c', 'ANALYZE']);
  if (analyze.code !== 0) throw new Error(`ANALYZE failed: ${analyze.stderr}`);
  return name;
}

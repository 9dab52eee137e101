/**
 * A private embedded PostgreSQL per test file: its own state directory under the system temp
 * directory (which the postgres OS user can reach) and its own free port.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedPostgres } from '../../adapters/postgres/cluster.js';
import { resolveServer, type ServerTarget } from '../../adapters/postgres/connection.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';

export interface TestServer {
  home: string;
  settings: Settings;
  cluster: EmbeddedPostgres;
  target: ServerTarget;
  /** Stops the server and removes its state directory. */
  stop(): Promise<void>;
}

export function makeTempHome(prefix = 'pilotscope-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export async function startTestServer(): Promise<TestServer> {
  const home = makeTempHome();
  const settings = loadSettings({ home }, { PILOTSCOPE_HOME: home });
  const cluster = new EmbeddedPostgres(home);
  await cluster.start();
  const target = await resolveServer(settings);
  return {
    home,
    settings,
    cluster,
    target,
    async stop() {
      await cluster.stop().catch(() => undefined);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Where the PostgreSQL server programs live. */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { PilotScopeError } from '../../src/errors.js';

export const SUPPORTED_MAJOR = 15;

export interface PgBinaries {
  bindir: string;
  pkglibdir: string;
  program(name: 'initdb' | 'pg_ctl' | 'postgres' | 'psql' | 'pg_config'): string;
}

let cached: PgBinaries | undefined;

/** Finds the PostgreSQL 15 programs: $PILOTSCOPE_PG_BINDIR, Debian's layout, or pg_config on PATH. */
export function pgBinaries(env: NodeJS.ProcessEnv = process.env): PgBinaries {
  if (cached && !env.PILOTSCOPE_PG_BINDIR) return cached;
  const candidates = [env.PILOTSCOPE_PG_BINDIR, `/usr/lib/postgresql/${SUPPORTED_MAJOR}/bin`, bindirFromPath()];
  const bindir = candidates.find((dir): dir is string => !!dir && fs.existsSync(path.join(dir, 'pg_ctl')));
  if (!bindir) {
    throw new PilotScopeError(
      'SETUP_MISSING',
      `PostgreSQL ${SUPPORTED_MAJOR} server programs were not found. Run \`npm run setup\` (installs postgresql-${SUPPORTED_MAJOR} from Debian), ` +
        'or set PILOTSCOPE_PG_BINDIR to the directory holding pg_ctl and initdb.',
    );
  }
  const pgConfig = path.join(bindir, 'pg_config');
  const pkglibdir = fs.existsSync(pgConfig)
    ? execFileSync(pgConfig, ['--pkglibdir'], { encoding: 'utf8' }).trim()
    : path.join(path.dirname(bindir), 'lib');
  const found: PgBinaries = { bindir, pkglibdir, program: (name) => path.join(bindir, name) };
  if (!env.PILOTSCOPE_PG_BINDIR) cached = found;
  return found;
}

function bindirFromPath(): string | undefined {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** True when the pilotscope extension's library is installed for these binaries. */
export function extensionInstalled(binaries: PgBinaries): boolean {
  return fs.existsSync(path.join(binaries.pkglibdir, 'pilotscope.so'));
}

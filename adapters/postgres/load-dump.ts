/**
 * Loading a plain-format SQL dump (pg_dump output, as upstream ships its datasets) with psql,
 * which understands COPY … FROM stdin blocks and backslash commands. Errors about missing roles
 * (OWNER TO statements from another installation) are tolerated and reported; any other error
 * fails the load.
 */
import { spawn } from 'node:child_process';
import { PilotScopeError } from '../../src/errors.js';
import { pgBinaries } from './binaries.js';
import type { ServerTarget } from './connection.js';

const MAX_ERRORS_KEPT = 20;
const TOLERATED = [/role "[^"]*" does not exist/];

export interface DumpResult {
  /** Errors that were tolerated (for notices). */
  tolerated: string[];
}

export async function loadDumpWithPsql(target: ServerTarget, database: string, file: string): Promise<DumpResult> {
  const config = target.clientConfig(database);
  const env: NodeJS.ProcessEnv = { ...process.env, PGDATABASE: database, PGCONNECT_TIMEOUT: '30', PGOPTIONS: '-c client_min_messages=warning' };
  if (config.host) env.PGHOST = String(config.host);
  if (config.port) env.PGPORT = String(config.port);
  if (config.user) env.PGUSER = String(config.user);
  if (typeof config.password === 'string') env.PGPASSWORD = config.password;
  delete env.PGSERVICE;

  const psql = pgBinaries().program('psql');
  const child = spawn(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=0', '-f', file], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const errors: string[] = [];
  const tolerated: string[] = [];
  let otherStderr = '';
  let pending = '';
  child.stderr.setEncoding('utf8').on('data', (data: string) => {
    pending += data;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) classify(line);
  });
  const classify = (line: string) => {
    const m = /ERROR:\s+(.*)$/.exec(line);
    if (m) {
      const list = TOLERATED.some((re) => re.test(m[1]!)) ? tolerated : errors;
      if (list.length < MAX_ERRORS_KEPT) list.push(m[1]!);
    } else if (otherStderr.length < 4000 && !/^(psql:.*)?(NOTICE|WARNING|DETAIL|HINT|CONTEXT|LINE \d+|\s*\^)/.test(line.replace(/^psql:[^:]*:\d+: /, ''))) {
      otherStderr += `${line}\n`;
    }
  };
  const [code] = (await new Promise<[number | null]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c) => resolve([c]));
  }));
  if (pending) classify(pending);
  if (code !== 0 || errors.length > 0) {
    const detail = errors.length ? errors.map((e) => `  ${e}`).join('\n') : otherStderr.trim() || `psql exited with code ${code}`;
    throw new PilotScopeError(
      'DATASET_INVALID',
      `Loading ${file} into database "${database}" failed:\n${detail}\nThe database is incomplete; fix the file and load again (the incomplete database is replaced).`,
      { file, database, errors },
    );
  }
  return { tolerated };
}

/** Runs the real `pilotscope` CLI (from source, through tsx) in a child process. */
import path from 'node:path';
import { spawn } from 'node:child_process';
import { REPO_ROOT } from './paths.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const TSX = import.meta.resolve('tsx');
const MAIN = path.join(REPO_ROOT, 'src', 'cli', 'main.ts');

/** Environment without anything that would point the CLI at another server or config. */
export function isolatedEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PILOTSCOPE_HOME: home, ...extra };
  for (const key of ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PILOTSCOPE_CONFIG']) if (!(key in extra)) delete env[key];
  return env;
}

export function runCli(args: readonly string[], options: { home: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--import=${TSX}`, MAIN, ...args], {
      env: isolatedEnv(options.home, options.env),
      cwd: options.cwd ?? options.home,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Running external programs with captured output and a clear error when they fail. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  /** Run as this OS user (via runuser) when the current process is root. */
  asUser?: string;
}

/** Runs a program to completion. Never throws for a non-zero exit: the caller decides. */
export function runProgram(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const [cmd, argv] = options.asUser && isRoot() ? ['runuser', ['-u', options.asUser, '--', file, ...args]] : [file, [...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // a child that exits early closes its stdin
      child.stdin.end(options.input);
    }
  });
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** True when a process with this pid exists (signal 0 probes without affecting it). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a running process, or undefined when it cannot be read. */
export function processCommandLine(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return undefined;
  }
}

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { runCli, type CliResult } from './helpers/cli.js';
import { makeTempHome } from './helpers/postgres.js';

function cli(home: string, ...args: string[]): Promise<CliResult> {
  return runCli(args, { home });
}

test.serial('db start twice, status, stop, status: each says what it did', async (t) => {
  const home = makeTempHome();
  try {
    const first = await cli(home, 'db', 'start');
    t.is(first.code, 0, first.stderr);
    t.regex(first.stdout, /Initialized a new cluster/);
    t.regex(first.stdout, /Started the embedded PostgreSQL on port \d+/);
    const second = await cli(home, 'db', 'start');
    t.is(second.code, 0);
    t.regex(second.stdout, /already running on port \d+; nothing to do/);
    const running = await cli(home, 'db', 'status');
    t.is(running.code, 0);
    t.regex(running.stdout, /^running \(pid \d+\) on port \d+/);
    const json = JSON.parse((await cli(home, 'db', 'status', '--json')).stdout) as { running: boolean; port: number };
    t.true(json.running);
    const url = (await cli(home, 'db', 'url', 'postgres')).stdout.trim();
    t.regex(url, new RegExp(`^postgresql://postgres@/postgres\\?host=.+&port=${json.port}$`));
    const stopped = await cli(home, 'db', 'stop');
    t.is(stopped.code, 0);
    t.regex(stopped.stdout, /Stopped the embedded PostgreSQL/);
    const after = await cli(home, 'db', 'status');
    t.is(after.code, 3);
    t.regex(after.stdout, /^stopped/);
    const again = await cli(home, 'db', 'stop');
    t.regex(again.stdout, /not running; nothing to do/);
  } finally {
    await cli(home, 'db', 'stop');
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test.serial('a stale pid file left by a crash is removed with a message', async (t) => {
  const home = makeTempHome();
  try {
    t.is((await cli(home, 'db', 'start')).code, 0);
    const status = JSON.parse((await cli(home, 'db', 'status', '--json')).stdout) as { pid: number; paths: { dataDir: string } };
    process.kill(status.pid, 'SIGKILL');
    await waitFor(() => !processAlive(status.pid));
    // The postmaster's children notice it is gone and exit; the pid file stays behind.
    t.true(fs.existsSync(path.join(status.paths.dataDir, 'postmaster.pid')));
    t.regex((await cli(home, 'db', 'status')).stdout, /^stopped/);
    const restarted = await cli(home, 'db', 'start');
    t.is(restarted.code, 0, restarted.stderr);
    t.regex(restarted.stdout, new RegExp(`Removed a stale pid file left by a server that is gone \\(pid ${status.pid}\\)`));
    t.regex(restarted.stdout, /Started the embedded PostgreSQL/);
  } finally {
    await cli(home, 'db', 'stop');
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test.serial('a port in use gets a clear message', async (t) => {
  const home = makeTempHome();
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const result = await cli(home, 'db', 'start', '--port', String(port));
    t.is(result.code, 1);
    t.regex(result.stderr, new RegExp(`Port ${port} is already in use by another program`));
    t.regex(result.stderr, /pilotscope db start --port <n>/);
    t.notRegex(result.stderr, /at .*\.ts:\d+/, 'no stack trace');
  } finally {
    blocker.close();
    await cli(home, 'db', 'stop');
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('help on every command, version, unknown command', async (t) => {
  const home = makeTempHome();
  const version = await cli(home, '--version');
  t.regex(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  const top = await cli(home, '--help');
  t.regex(top.stdout, /db start/);
  for (const words of [['db', 'start'], ['db', 'stop'], ['db', 'status'], ['db', 'url']]) {
    const help = await cli(home, ...words, '--help');
    t.is(help.code, 0);
    t.regex(help.stdout, new RegExp(`^Usage: pilotscope ${words.join(' ')}`));
  }
  const unknown = await cli(home, 'frobnicate');
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /Unknown command: pilotscope frobnicate/);
  fs.rmSync(home, { recursive: true, force: true });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

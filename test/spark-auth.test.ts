/**
 * A local Spark Thrift Server running with NOSASL over TLS (self-signed certificate), started and
 * stopped through the CLI: a stale pid file is cleaned up at start, SASL clients get an error
 * naming both modes, a plain-TCP client is told the server wants TLS, an untrusted certificate is
 * refused, and a NOSASL client over TLS works.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { SparkConnection } from '../adapters/spark/client.js';
import { SparkEngine } from '../adapters/spark/engine.js';
import { LocalSparkServer } from '../adapters/spark/server.js';
import { isPilotScopeError } from '../src/errors.js';
import { runCli } from './helpers/cli.js';

let home: string;
let server: LocalSparkServer;
let stalePid: number;

test.before(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-spark-nosasl-'));
  server = new LocalSparkServer(home);
  // A pid file left by a crash: its process is gone.
  stalePid = spawnSync('true').pid!;
  fs.mkdirSync(server.paths.root, { recursive: true });
  fs.writeFileSync(server.paths.pidFile, `${stalePid}\n`);
});

test.after.always(async () => {
  await server?.stop().catch(() => undefined);
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

test.serial('status reports the stale pid file; start removes it and runs the server with NOSASL and TLS', async (t) => {
  const before = await runCli(['spark', 'status'], { home });
  t.is(before.code, 3);
  t.regex(before.stdout, new RegExp(`stale pid file: process ${stalePid} is gone`));
  const start = await runCli(['spark', 'start', '--auth', 'nosasl', '--tls', '--memory', '1g'], { home, timeoutMs: 300_000 });
  t.is(start.code, 0, start.stderr);
  t.regex(start.stdout, new RegExp(`Removed a stale pid file left by a server that is gone \\(pid ${stalePid}\\)`));
  t.regex(start.stdout, /Started the local Spark Thrift Server on 127\.0\.0\.1:\d+ \(pid \d+, auth nosasl, TLS\)/);
  t.regex(start.stdout, /JDBC URL: jdbc:hive2:\/\/127\.0\.0\.1:\d+\/default;auth=noSasl;ssl=true;sslTrustStore=/);
  t.true(server.endpoint().tls);
  t.regex(server.endpoint().ca!, /BEGIN CERTIFICATE/);
  t.truthy(server.runningPid());
});

test.serial('SASL clients are told the server expects NOSASL', async (t) => {
  const endpoint = server.endpoint();
  for (const auth of ['none', 'plain'] as const) {
    const err = await t.throwsAsync(SparkConnection.open({ ...endpoint, auth, user: 'someone', password: 'secret' }, { connectTimeoutMs: 10_000 }));
    t.true(isPilotScopeError(err, 'SPARK_AUTH'), String(err));
    t.regex(err!.message, new RegExp(`the server expects NOSASL but the client used ${auth === 'plain' ? 'PLAIN \\(SASL\\)' : 'NONE \\(SASL PLAIN\\)'}`));
    t.regex(err!.message, /spark\.auth to "nosasl"/);
  }
});

test.serial('TLS mismatches: a plain-TCP client is told the server wants TLS; an untrusted certificate is refused', async (t) => {
  const endpoint = server.endpoint();
  for (const auth of ['nosasl', 'none'] as const) {
    const plain = await t.throwsAsync(SparkConnection.open({ ...endpoint, auth, tls: false }, { connectTimeoutMs: 10_000 }));
    t.true(isPilotScopeError(plain, 'SPARK_AUTH'), String(plain));
    t.regex(plain!.message, /expects TLS but the client connected without it\. Set spark\.tls to true/);
  }
  const { ca: _ca, ...untrusting } = endpoint;
  const untrusted = await t.throwsAsync(SparkConnection.open(untrusting, { connectTimeoutMs: 10_000 }));
  t.true(isPilotScopeError(untrusted, 'SPARK_AUTH'));
  t.regex(untrusted!.message, /TLS with .* failed: .*certificate.*NODE_EXTRA_CA_CERTS/i);
});

test.serial('a NOSASL client over TLS runs statements', async (t) => {
  const engine = await SparkEngine.open({ endpoint: server.endpoint(), database: 'default', timeoutMs: 60_000, parallelism: 1 });
  try {
    const data = await engine.run({ sql: 'select 40 + 2 as answer', pull: { records: true, executionTime: true } });
    t.deepEqual(data.records, [{ answer: 42 }]);
    t.true(data.executionTime! > 0);
  } finally {
    await engine.close();
  }
});

test.serial('stop ends the server by pid; stopping again is harmless', async (t) => {
  const pid = server.runningPid()!;
  const stop = await runCli(['spark', 'stop'], { home, timeoutMs: 120_000 });
  t.is(stop.code, 0, stop.stderr);
  t.regex(stop.stdout, /Stopped the local Spark Thrift Server|did not stop in time and was killed/);
  t.false(fs.existsSync(`/proc/${pid}`));
  t.false(fs.existsSync(server.paths.pidFile));
  const again = await runCli(['spark', 'stop'], { home });
  t.regex(again.stdout, /not running; nothing to do/);
  const status = await runCli(['spark', 'status'], { home });
  t.is(status.code, 3);
  t.regex(status.stdout, /^stopped/);
});

/**
 * The user guide stays true: every `bash` block of docs/guide.md runs as written, in order, in one
 * directory, against a private PostgreSQL; blocks with `file=<path>` are written to that path
 * first (the TypeScript example is also executed, importing the package from this checkout). The
 * production-workload scenario reads a log written by the real server (log_statement = 'all').
 * The guide's MSCN commands run the real MSCN preset (collection, training, pushes).
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { connect } from '../adapters/postgres/connection.js';
import { PostgresDatasetLoader } from '../adapters/postgres/loader.js';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { readStatements } from '../src/datasets/format.js';
import type { SweepResult } from '../src/experiments/sweep.js';
import { isolatedEnv } from './helpers/cli.js';
import { REPO_ROOT, sharedDataset } from './helpers/paths.js';
import { startTestServer, type TestServer } from './helpers/postgres.js';

interface Block {
  lang: string;
  file?: string;
  body: string;
  line: number;
}

export function guideBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```(\w*)(?:[ \t]+file=(\S+))?[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    blocks.push({ lang: m[1]!, ...(m[2] ? { file: m[2] } : {}), body: m[3]!, line: markdown.slice(0, m.index).split('\n').length });
  }
  return blocks;
}

let server: TestServer;
let work: string;

test.before(async () => {
  server = await startTestServer();
  work = path.join(server.home, 'guide');
  fs.mkdirSync(path.join(work, 'bin'), { recursive: true });
  fs.symlinkSync(sharedDataset('stats_tiny'), path.join(work, 'stats_tiny'));
  // `pilotscope` on PATH: the CLI from this checkout.
  fs.writeFileSync(path.join(work, 'bin', 'pilotscope'), `#!/bin/sh\nexec "${process.execPath}" --import=${import.meta.resolve('tsx')} "${path.join(REPO_ROOT, 'src', 'cli', 'main.ts')}" "$@"\n`, { mode: 0o755 });

  // A production workload, logged by the server: the first 80 stats_tiny training queries.
  const registry = new DatasetRegistry(server.home);
  registry.add('stats_tiny', sharedDataset('stats_tiny'));
  await new PostgresDatasetLoader(server.settings, server.target).load(await registry.open('stats_tiny'));
  const admin = await connect(server.target, 'postgres');
  await admin.query("ALTER SYSTEM SET log_statement = 'all'");
  await admin.query('SELECT pg_reload_conf()');
  const app = await connect(server.target, 'stats_tiny');
  for (const sql of readStatements(path.join(sharedDataset('stats_tiny'), 'train.sql')).slice(0, 80)) await app.query(sql);
  await app.end();
  await admin.query('ALTER SYSTEM RESET log_statement');
  await admin.query('SELECT pg_reload_conf()');
  await admin.end();
  fs.copyFileSync(server.cluster.paths.logFile, path.join(work, 'postgresql.log'));
});

test.after.always(async () => {
  await server?.stop();
});

test.serial('every command of docs/guide.md works as written', (t) => {
  const blocks = guideBlocks(fs.readFileSync(path.join(REPO_ROOT, 'docs', 'guide.md'), 'utf8'));
  t.true(blocks.filter((b) => b.lang === 'bash').length >= 8, 'the guide has its runnable commands');
  const env = { ...isolatedEnv(server.home), PATH: `${path.join(work, 'bin')}:${process.env.PATH}` };
  for (const block of blocks) {
    if (block.file) {
      const target = path.join(work, block.file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, block.file.endsWith('.mts') ? block.body.replace(/from 'pilotscope'/g, `from '${path.join(REPO_ROOT, 'src', 'index.ts')}'`) : block.body);
      if (block.file.endsWith('.mts')) {
        const run = spawnSync(process.execPath, [`--import=${import.meta.resolve('tsx')}`, target], { cwd: work, env, encoding: 'utf8', timeout: 600_000 });
        t.is(run.status, 0, `docs/guide.md line ${block.line} (${block.file}):\n${run.stderr}`);
        t.regex(run.stdout, /best: \{.*"num_training":(5|15).*\}/);
        t.regex(run.stdout, /fastest: \w+; report: .*report\.html/);
      }
      continue;
    }
    if (block.lang !== 'bash') continue;
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', block.body], { cwd: work, env, encoding: 'utf8', timeout: 600_000 });
    t.is(run.status, 0, `docs/guide.md line ${block.line}:\n${block.body}\n${run.stderr.slice(-3000)}`);
  }
  // What the guide says the commands produce is there.
  for (const file of ['results/stats/report.html', 'results/stats/mscn_stats_tiny.parquet', 'results/cross/mscn_stats_tiny.json', 'results/mine/report.html', 'results/sweep/sweep_mscn_stats_tiny.sweep.json', 'results/sweep/sweep_mscn_stats_tiny.html', 'results/file/report.html', 'results/prod/report.html', 'results/shop/report.html', 'prod-workload/train.sql']) {
    t.true(fs.existsSync(path.join(work, file)), file);
  }
  t.true(JSON.parse(fs.readFileSync(path.join(work, 'stats.json'), 'utf8')).experiments.length === 2);
  const prod = JSON.parse(fs.readFileSync(path.join(work, 'prod-sweep.json'), 'utf8')) as SweepResult;
  t.is(prod.points.length, 4);
  t.is(prod.rerun?.experiment, 'sweep_mscn_prod_best');
  t.is(prod.rerun?.database, 'stats_tiny', 'the production dataset runs on the existing database');
  t.regex(fs.readFileSync(path.join(work, 'results/prod/report.html'), 'utf8'), /sweep_mscn_prod_best/);
  const cross = JSON.parse(fs.readFileSync(path.join(work, 'results/cross/mscn_stats_tiny.json'), 'utf8')) as { model: { trainedOn: string } };
  t.is(cross.model.trainedOn, 'synthetic', 'trained on the other dataset');
});

/**
 * The dataset registry: persistence of user entries, name and directory checks, published
 * datasets fetched over HTTP with checksum verification (from a local HTTP server serving the
 * shared stats_tiny files), and the offline error that says where to put the files.
 */
import test from 'ava';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { DatasetRegistry } from '../src/datasets/registry.js';
import { BUILTIN_CATALOG, type CatalogEntry } from '../src/datasets/catalog.js';
import { sha256File } from '../src/datasets/format.js';
import { isPilotScopeError } from '../src/errors.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const statsTiny = path.resolve(repoRoot, '../shared/datasets/stats_tiny');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-registry-'));
let server: http.Server;
let base = '';
let requests: string[] = [];

test.before(async () => {
  // A tar.gz holding the dump, as the full datasets are published.
  const pack = path.join(tmp, 'pack');
  fs.mkdirSync(pack);
  fs.copyFileSync(path.join(statsTiny, 'data.sql'), path.join(pack, 'stats_dump.sql'));
  const tar = spawnSync('tar', ['-czf', path.join(tmp, 'postgres_stats.tar.gz'), '-C', pack, 'stats_dump.sql']);
  if (tar.status !== 0) throw new Error(String(tar.stderr));
  const files: Record<string, string> = {
    '/data.sql': path.join(statsTiny, 'data.sql'),
    '/train.sql': path.join(statsTiny, 'train.sql'),
    '/postgres_stats.tar.gz': path.join(tmp, 'postgres_stats.tar.gz'),
  };
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const file = files[req.url ?? ''];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after.always(() => {
  server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function freshHome(): string {
  return fs.mkdtempSync(path.join(tmp, 'home-'));
}

async function catalogFor(dataUrl: string, archive?: 'tar.gz'): Promise<CatalogEntry[]> {
  const dataFile = archive ? path.join(tmp, 'postgres_stats.tar.gz') : path.join(statsTiny, 'data.sql');
  return [
    {
      name: 'stats_tiny',
      description: 'test copy',
      files: {
        'data.sql': { url: dataUrl, sha256: await sha256File(dataFile), ...(archive ? { archive } : {}) },
        'train.sql': { url: `${base}/train.sql`, sha256: await sha256File(path.join(statsTiny, 'train.sql')) },
        'test.sql': { url: `${base}/missing-test.sql`, sha256: '0'.repeat(64) },
      },
    },
  ];
}

test('the catalog lists the five published datasets with https URLs and sha256 checksums', (t) => {
  t.deepEqual(BUILTIN_CATALOG.map((e) => e.name), ['stats_tiny', 'imdb_tiny', 'stats', 'imdb', 'tpcds']);
  for (const entry of BUILTIN_CATALOG) {
    for (const file of Object.values(entry.files)) {
      t.regex(file.url, /^https:\/\//);
      t.regex(file.sha256, /^[0-9a-f]{64}$/);
    }
  }
});

test('the shared stats_tiny and imdb_tiny files are the published ones (same sha256)', async (t) => {
  for (const name of ['stats_tiny', 'imdb_tiny']) {
    const entry = BUILTIN_CATALOG.find((e) => e.name === name)!;
    for (const file of ['data.sql', 'train.sql'] as const) {
      t.is(await sha256File(path.resolve(repoRoot, '../shared/datasets', name, file)), entry.files[file].sha256, `${name}/${file}`);
    }
  }
});

test.serial('a published dataset is downloaded, verified, and then used from disk without the network', async (t) => {
  const home = freshHome();
  requests = [];
  const registry = new DatasetRegistry(home, await catalogFor(`${base}/data.sql`));
  const dataset = await registry.open('stats_tiny');
  const dir = registry.publishedDir('stats_tiny');
  t.is(await sha256File(path.join(dir, 'data.sql')), await sha256File(path.join(statsTiny, 'data.sql')));
  t.true(fs.existsSync(path.join(dir, 'train.sql')));
  t.false(fs.existsSync(path.join(dir, 'test.sql')), 'the unavailable test.sql is not faked');
  t.regex(dataset.notices.join('\n'), /Downloaded data\.sql/);
  t.regex(dataset.notices.join('\n'), /Could not download test\.sql/);
  t.deepEqual(fs.readdirSync(dir).sort(), ['data.sql', 'train.sql'], 'no partial files left');
  const workload = await dataset.workload();
  t.is(workload.train.length + workload.test.length, 1000);
  t.true(registry.list().find((d) => d.name === 'stats_tiny')!.available);

  requests = [];
  await registry.open('stats_tiny');
  t.deepEqual(requests, ['/missing-test.sql'], 'only the missing file is asked for again');
});

test.serial('a tar.gz dump is downloaded, verified and extracted to data.sql', async (t) => {
  const home = freshHome();
  const registry = new DatasetRegistry(home, await catalogFor(`${base}/postgres_stats.tar.gz`, 'tar.gz'));
  const dataset = await registry.open('stats_tiny');
  t.is(dataset.data.kind, 'sql-dump');
  const dir = registry.publishedDir('stats_tiny');
  t.is(await sha256File(path.join(dir, 'data.sql')), await sha256File(path.join(statsTiny, 'data.sql')));
  t.false(fs.existsSync(path.join(dir, '.download')));
});

test.serial('a download with the wrong checksum is discarded with a clear error', async (t) => {
  const home = freshHome();
  const catalog = await catalogFor(`${base}/data.sql`);
  catalog[0]!.files['data.sql'].sha256 = 'f'.repeat(64);
  const registry = new DatasetRegistry(home, catalog);
  const err = await t.throwsAsync(registry.open('stats_tiny'));
  t.true(isPilotScopeError(err, 'DATASET_INVALID'));
  t.regex(err!.message, /not the published f{64}; it was discarded/);
  t.false(fs.existsSync(path.join(registry.publishedDir('stats_tiny'), 'data.sql')));
  t.deepEqual(fs.readdirSync(registry.publishedDir('stats_tiny')).filter((f) => f.includes('part')), []);
});

test('offline, the error says where to put the files and how to register them', async (t) => {
  const home = freshHome();
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const registry = new DatasetRegistry(home, await catalogFor(`http://127.0.0.1:${port}/data.sql`));
  const err = await t.throwsAsync(registry.open('stats_tiny'));
  t.true(isPilotScopeError(err, 'DATASET_UNAVAILABLE_OFFLINE'));
  t.true(err!.message.includes(`${path.join(home, 'datasets', 'stats_tiny')}/`));
  t.regex(err!.message, /pilotscope dataset add stats_tiny <dir>/);
  t.regex(err!.message, /ECONNREFUSED/);
  t.regex(err!.message, /sha256 [0-9a-f]{64}/);
});

test('files put in <home>/datasets/<name>/ by hand are used; a mismatch with the published file is reported, not fatal', async (t) => {
  const home = freshHome();
  const registry = new DatasetRegistry(home);
  const dir = registry.publishedDir('stats_tiny');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(statsTiny, 'data.sql'), path.join(dir, 'data.sql'));
  fs.writeFileSync(path.join(dir, 'train.sql'), 'select count(*) from users where reputation > 1;');
  fs.writeFileSync(path.join(dir, 'test.sql'), 'select count(*) from users;');
  const dataset = await registry.open('stats_tiny');
  t.regex(dataset.notices.join('\n'), /train\.sql differs from the published stats_tiny train\.sql/);
  t.notRegex(dataset.notices.join('\n'), /data\.sql differs/);
  t.deepEqual((await dataset.workload()).test, ['select count(*) from users']);
});

test('user registrations persist in <home>/datasets.json, are checked, and can be removed', async (t) => {
  const home = freshHome();
  const registry = new DatasetRegistry(home);
  registry.add('mine', statsTiny);
  const reopened = new DatasetRegistry(home);
  t.deepEqual(Object.keys(reopened.registered()), ['mine']);
  t.is(reopened.registered().mine!.dir, statsTiny);
  const onDisk = JSON.parse(fs.readFileSync(path.join(home, 'datasets.json'), 'utf8'));
  t.is(onDisk.version, 1);
  t.deepEqual(fs.readdirSync(home).filter((f) => f.endsWith('.tmp')), []);
  t.true(reopened.list().some((d) => d.name === 'mine' && d.kind === 'directory'));
  t.is((await reopened.open('mine')).database, 'mine');

  for (const bad of ['Mine', '1abc', 'a-b', 'x'.repeat(64), '']) {
    t.true(isPilotScopeError(t.throws(() => registry.add(bad, statsTiny)), 'USAGE'), bad);
  }
  t.true(isPilotScopeError(t.throws(() => registry.add('synthetic', statsTiny)), 'USAGE'));
  t.true(isPilotScopeError(t.throws(() => registry.add('nodir', path.join(tmp, 'nope'))), 'DATASET_NOT_FOUND'));
  const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
  fs.writeFileSync(path.join(empty, 'train.sql'), 'select 1 from t;');
  const noData = t.throws(() => registry.add('nodata', empty));
  t.true(isPilotScopeError(noData, 'DATASET_INVALID'));
  t.regex(noData!.message, /--database/);
  t.is(registry.add('nodata', empty, { database: 'prod_db' }).database, 'prod_db');

  const unknown = await t.throwsAsync(registry.open('minee'));
  t.true(isPilotScopeError(unknown, 'DATASET_NOT_FOUND'));
  t.regex(unknown!.message, /did you mean "mine"/);

  t.true(registry.remove('mine'));
  t.false(registry.remove('mine'));
  t.false('mine' in new DatasetRegistry(home).registered());

  fs.writeFileSync(path.join(home, 'datasets.json'), '{broken');
  t.true(isPilotScopeError(t.throws(() => new DatasetRegistry(home).registered()), 'STORE_CORRUPT'));
});

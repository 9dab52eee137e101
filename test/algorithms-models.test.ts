import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPilotScopeError } from '../src/errors.js';
import { METADATA_FILE, MODEL_FILE, ModelRegistry, sha256 } from '../src/models/index.js';

function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-models-'));
}

const base = { params: { num_epoch: 3 }, trainingSamples: 120, trainingQueries: 10, validation: { qerror_median: 1.5 } };

test('save writes the model file and metadata with a checksum; load returns the same bytes', async (t) => {
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const registry = new ModelRegistry(home);
  const bytes = Buffer.from('PSNATIVE-model-bytes');
  const saved = await registry.save({ algorithm: 'mscn', dataset: 'stats_tiny', ...base }, bytes);
  t.regex(saved.id, /^mscn-stats_tiny-\d{8}t\d{9}-[0-9a-f]{4}$/);
  t.is(saved.checksum, sha256(bytes));
  t.is(saved.bytes, bytes.length);
  t.deepEqual(fs.readFileSync(path.join(home, 'models', saved.id, MODEL_FILE)), bytes);
  const onDisk = JSON.parse(fs.readFileSync(path.join(home, 'models', saved.id, METADATA_FILE), 'utf8'));
  t.like(onDisk, { id: saved.id, algorithm: 'mscn', dataset: 'stats_tiny', trainingSamples: 120, trainingQueries: 10, params: { num_epoch: 3 } });
  const loaded = await new ModelRegistry(home).load(saved.id);
  t.deepEqual(loaded.bytes, bytes);
  t.deepEqual(loaded.metadata, saved);
});

test('list filters by algorithm and dataset, newest first; latest picks the newest of the filter', async (t) => {
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const registry = new ModelRegistry(home);
  const a = await registry.save({ algorithm: 'mscn', dataset: 'stats_tiny', ...base }, Buffer.from('a'));
  const b = await registry.save({ algorithm: 'lero', dataset: 'stats_tiny', ...base }, Buffer.from('b'));
  const c = await registry.save({ algorithm: 'mscn', dataset: 'imdb_tiny', ...base }, Buffer.from('c'));
  const d = await registry.save({ algorithm: 'mscn', dataset: 'stats_tiny', ...base, parent: a.id }, Buffer.from('d'));
  t.deepEqual((await registry.list()).map((m) => m.id), [d.id, c.id, b.id, a.id]);
  t.deepEqual((await registry.list({ algorithm: 'mscn' })).map((m) => m.id), [d.id, c.id, a.id]);
  t.deepEqual((await registry.list({ algorithm: 'mscn', dataset: 'stats_tiny' })).map((m) => m.id), [d.id, a.id]);
  t.is((await registry.resolve('latest', { algorithm: 'mscn' })).id, d.id);
  t.is((await registry.resolve('latest', { algorithm: 'mscn', dataset: 'imdb_tiny' })).id, c.id);
  t.is((await registry.resolve('latest', { algorithm: 'lero' })).id, b.id);
  t.deepEqual((await registry.load('latest', { algorithm: 'mscn', dataset: 'stats_tiny' })).bytes, Buffer.from('d'));
  t.is(d.parent, a.id);
});

test('unknown ids, an empty registry and the wrong algorithm are clear errors', async (t) => {
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const registry = new ModelRegistry(home);
  const empty = await t.throwsAsync(registry.resolve('latest', { algorithm: 'mscn' }));
  t.true(isPilotScopeError(empty, 'MODEL_NOT_FOUND'));
  t.regex(empty!.message, /Train one first/);
  const saved = await registry.save({ algorithm: 'lero', dataset: 'stats_tiny', ...base }, Buffer.from('x'));
  const missing = await t.throwsAsync(registry.load('mscn-stats_tiny-20200101t000000000-abcd'));
  t.true(isPilotScopeError(missing, 'MODEL_NOT_FOUND'));
  t.true(missing!.message.includes(saved.id), 'lists the models that exist');
  const notAnId = await t.throwsAsync(registry.load('../../etc/passwd'));
  t.true(isPilotScopeError(notAnId, 'MODEL_NOT_FOUND'));
  const wrong = await t.throwsAsync(registry.load(saved.id, { algorithm: 'mscn' }));
  t.true(isPilotScopeError(wrong, 'MODEL_INCOMPATIBLE'));
  const otherDataset = await t.throwsAsync(registry.resolve('latest', { algorithm: 'lero', dataset: 'imdb_tiny' }));
  t.true(isPilotScopeError(otherDataset, 'MODEL_NOT_FOUND'));
  t.true(otherDataset!.message.includes(saved.id), 'names models trained on other datasets');
});

test('a corrupted model file is refused with MODEL_CORRUPT; unreadable metadata is reported, not fatal for list', async (t) => {
  const home = tempHome();
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }));
  const registry = new ModelRegistry(home);
  const good = await registry.save({ algorithm: 'mscn', dataset: 'stats_tiny', ...base }, Buffer.from('0123456789'));
  const flipped = await registry.save({ algorithm: 'mscn', dataset: 'stats_tiny', ...base }, Buffer.from('0123456789'));
  const file = path.join(home, 'models', flipped.id, MODEL_FILE);
  const bytes = fs.readFileSync(file);
  bytes[3] ^= 0xff;
  fs.writeFileSync(file, bytes);
  const corrupt = await t.throwsAsync(registry.load(flipped.id));
  t.true(isPilotScopeError(corrupt, 'MODEL_CORRUPT'));
  t.regex(corrupt!.message, /damaged.*train again/s);

  const truncated = await registry.save({ algorithm: 'mscn', dataset: 'stats_tiny', ...base }, Buffer.from('abcdef'));
  fs.truncateSync(path.join(home, 'models', truncated.id, MODEL_FILE), 2);
  t.true(isPilotScopeError(await t.throwsAsync(registry.load('latest', { algorithm: 'mscn' })), 'MODEL_CORRUPT'));

  const broken = await registry.save({ algorithm: 'mscn', dataset: 'stats_tiny', ...base }, Buffer.from('zz'));
  fs.writeFileSync(path.join(home, 'models', broken.id, METADATA_FILE), '{"format": 1, "id": ');
  const listing = await registry.listAll();
  t.deepEqual(listing.unreadable.map((u) => u.id), [broken.id]);
  t.true(listing.models.some((m) => m.id === good.id));
  t.true(isPilotScopeError(await t.throwsAsync(registry.load(broken.id)), 'MODEL_CORRUPT'));
  await registry.remove(broken.id);
  t.deepEqual((await registry.listAll()).unreadable, []);

  // A directory without metadata (a save interrupted before it committed) is ignored.
  fs.mkdirSync(path.join(home, 'models', 'mscn-stats_tiny-20200101t000000000-0000'));
  t.false((await registry.list()).some((m) => m.id.startsWith('mscn-stats_tiny-2020')));
  t.deepEqual((await registry.load(good.id)).bytes, Buffer.from('0123456789'));
});

import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPilotScopeError } from '../src/errors.js';
import { MscnModel, encodeLiteral, type NativeRelSetBatch } from '../src/native/index.js';
import { qError, syntheticMscnMetadata, syntheticRelSets } from './helpers/native.js';

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

test('MSCN learns a known cardinality function far better than a constant predictor', async (t) => {
  const model = MscnModel.create(syntheticMscnMetadata(64));
  const train = syntheticRelSets(2000, 1);
  const testSet = syntheticRelSets(300, 2);
  const epochs: number[] = [];
  const result = await model.train(model.encode(train.relSets), Float64Array.from(train.cards), {
    epochs: 30,
    batchSize: 64,
    onEpoch: (r) => {
      epochs.push(r.epoch);
      t.true(Number.isFinite(r.validationQErrorMean));
    },
  });
  t.deepEqual(epochs, Array.from({ length: 30 }, (_, i) => i + 1));
  t.is(result.validationSamples, 200);
  t.true(result.bestEpoch >= 1 && result.bestEpoch <= 30);
  const predictions = model.predictRelSets(testSet.relSets);
  const modelQ = mean(testSet.cards.map((c, i) => qError(predictions[i]!, c)));
  const geo = Math.exp(mean(train.cards.map((c) => Math.log1p(c))));
  const constantQ = mean(testSet.cards.map((c) => qError(geo - 1, c)));
  t.log(`mean q-error: model ${modelQ.toFixed(2)}, constant ${constantQ.toFixed(2)}`);
  t.true(modelQ < constantQ / 5, `model ${modelQ} vs constant ${constantQ}`);
  t.true(modelQ < 5);
  t.true(model.metadata().trained);
});

test('the event loop keeps running while MSCN trains on a worker thread', async (t) => {
  const model = MscnModel.create(syntheticMscnMetadata(128));
  const data = syntheticRelSets(3000, 3);
  const batch = model.encode(data.relSets);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const started = Date.now();
  const training = model.train(batch, Float64Array.from(data.cards), { epochs: 4 });
  t.true(model.training);
  // predict still works during training (old weights).
  t.is(model.predict(batch).length, 3000);
  await training;
  clearInterval(timer);
  const elapsed = Date.now() - started;
  t.false(model.training);
  t.log(`training took ${elapsed} ms, timer fired ${ticks} times`);
  // A blocked event loop would fire the 5 ms timer at most once; allow for a busy 2-core machine.
  t.true(ticks >= 5 && ticks >= Math.floor(elapsed / 50), `only ${ticks} ticks in ${elapsed} ms`);
});

test('MSCN training can be cancelled with an AbortSignal and leaves the model unchanged', async (t) => {
  const model = MscnModel.create(syntheticMscnMetadata(32));
  const data = syntheticRelSets(500, 4);
  const before = model.toBuffer();
  const controller = new AbortController();
  const error = await t.throwsAsync(
    model.train(model.encode(data.relSets), Float64Array.from(data.cards), {
      epochs: 1000,
      onEpoch: (r) => {
        if (r.epoch === 2) controller.abort();
      },
      signal: controller.signal,
    }),
  );
  t.true(isPilotScopeError(error, 'INTERRUPTED'), String(error));
  t.deepEqual(model.toBuffer(), before);
  t.false(model.training);
});

test('bad MSCN inputs throw NATIVE_INVALID_ARGUMENT with a clear message', (t) => {
  const model = MscnModel.create(syntheticMscnMetadata(16));
  const good = model.encode(syntheticRelSets(3, 5).relSets);
  const expectInvalid = (batch: unknown, fragment: string): void => {
    const error = t.throws(() => model.predict(batch as NativeRelSetBatch));
    t.true(isPilotScopeError(error, 'NATIVE_INVALID_ARGUMENT'), String(error));
    t.true(error!.message.includes(fragment), error!.message);
  };
  expectInvalid({ ...good, tableIds: Float64Array.from(good.tableIds) }, 'batch.tableIds must be a Int32Array (got Float64Array)');
  expectInvalid({ ...good, tableIds: Int32Array.from([99, ...good.tableIds.subarray(1)]) }, 'tableIds[0] = 99 is out of range');
  expectInvalid({ ...good, predicateLow: new Float64Array(good.predicateLow.length + 1) }, 'predicateLow must have');
  expectInvalid({ ...good, joinOffsets: new Int32Array(2) }, 'joinOffsets must have 4 entries');
  if (good.predicateLow.length > 0) {
    const nan = Float64Array.from(good.predicateLow);
    nan[0] = Number.NaN;
    expectInvalid({ ...good, predicateLow: nan }, 'finite');
  }
  expectInvalid(null, 'batch must be an object');
  const e = t.throws(() => MscnModel.create({ ...syntheticMscnMetadata(), tables: [1 as unknown as string] }));
  t.true(isPilotScopeError(e, 'NATIVE_INVALID_ARGUMENT'));
  t.true(e!.message.includes('metadata.tables[0] must be a string'), e!.message);
  const negative = t.throws(() => MscnModel.create({ ...syntheticMscnMetadata(), columns: [{ name: 'a.x', min: 5, max: 1 }] }));
  t.true(negative!.message.includes('min <= max'), negative!.message);
});

test('unknown names are encoded as -1 and still predicted', (t) => {
  const model = MscnModel.create(syntheticMscnMetadata(16));
  const batch = model.encode([
    { tables: ['a', 'zzz'], joins: ['a.id=zzz.a_id'], predicates: [{ column: 'zzz.q', operator: 'SIMILAR TO', values: ['x%'] }] },
  ]);
  t.deepEqual([...batch.tableIds], [0, -1]);
  t.deepEqual([...batch.joinIds], [-1]);
  t.deepEqual([...batch.predicateColumns], [-1]);
  t.deepEqual([...batch.predicateOperators], [-1]);
  const out = model.predict(batch);
  t.true(Number.isFinite(out[0]!) && out[0]! >= 0);
});

test('typed arrays are read zero-copy, honouring byteOffset (Arrow-style subarrays)', (t) => {
  const model = MscnModel.create(syntheticMscnMetadata(16));
  const batch = model.encode(syntheticRelSets(20, 6).relSets);
  const expected = model.predict(batch);
  // Re-home every array inside a larger buffer at an offset, as Arrow vectors' data[i].values are.
  const shifted = Object.fromEntries(
    Object.entries(batch).map(([key, array]) => {
      const a = array as Int32Array | Float64Array;
      const Ctor = a.constructor as Int32ArrayConstructor | Float64ArrayConstructor;
      const big = new Ctor(a.length + 7);
      big.set(a, 3);
      big.fill(12345, 0, 3);
      return [key, big.subarray(3, 3 + a.length)];
    }),
  ) as unknown as NativeRelSetBatch;
  t.deepEqual(model.predict(shifted), expected);
});

test('literals map into the column domain: dates to epoch seconds, strings to dictionary ranks', (t) => {
  t.is(encodeLiteral(undefined, new Date('2020-01-01T00:00:00Z')), 1577836800);
  const column = { name: 't.s', min: 0, max: 2, strings: ['apple', 'kiwi', 'pear'] };
  t.is(encodeLiteral(column, 'kiwi'), 1);
  t.is(encodeLiteral(column, 'banana'), 0.5);
  t.is(encodeLiteral(column, 'zebra'), 2.5);
  const hashed = encodeLiteral({ name: 't.u', min: 10, max: 20 }, 'anything');
  t.true(hashed >= 10 && hashed < 20);
  t.is(hashed, encodeLiteral({ name: 't.u', min: 10, max: 20 }, 'anything'));
  const model = MscnModel.create({ ...syntheticMscnMetadata(16), columns: [column], operators: ['IN', 'LIKE', 'IS NULL'] });
  const batch = model.encode([
    {
      tables: ['a'],
      joins: [],
      predicates: [
        { column: 't.s', operator: 'in', values: ['apple', 'pear', 'kiwi'] },
        { column: 't.s', operator: 'LIKE', values: ['ki%'] },
        { column: 't.s', operator: 'IS NULL', values: [] },
      ],
    },
  ]);
  t.deepEqual([...batch.predicateOperators], [0, 1, 2]);
  t.deepEqual([...batch.predicateLow], [0, 0.5, 0]);
  t.deepEqual([...batch.predicateHigh], [2, 0.5, 0]);
  t.deepEqual([...batch.predicateArg], [3, 2, 0]);
  t.true(Number.isFinite(model.predict(batch)[0]!));
});

test('MSCN save/load through files and buffers keeps predictions and metadata; corruption is rejected', async (t) => {
  const model = MscnModel.create(syntheticMscnMetadata(32));
  const data = syntheticRelSets(200, 7);
  const batch = model.encode(data.relSets);
  await model.train(batch, Float64Array.from(data.cards), { epochs: 3 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilotscope-native-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'mscn.model');
  model.save(file);
  const loaded = MscnModel.load(file);
  t.deepEqual(loaded.predict(batch), model.predict(batch));
  t.deepEqual(loaded.metadata(), model.metadata());
  t.deepEqual(MscnModel.fromBuffer(model.toBuffer()).toBuffer(), model.toBuffer());
  const bytes = fs.readFileSync(file);
  const truncated = t.throws(() => MscnModel.fromBuffer(bytes.subarray(0, bytes.length - 9)));
  t.true(isPilotScopeError(truncated, 'MODEL_CORRUPT'));
  t.true(truncated!.message.includes('truncated'), truncated!.message);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 20] ^= 0xff;
  const corrupt = t.throws(() => MscnModel.fromBuffer(flipped));
  t.true(isPilotScopeError(corrupt, 'MODEL_CORRUPT'));
  t.true(corrupt!.message.includes('checksum'), corrupt!.message);
  const missing = t.throws(() => MscnModel.load(path.join(dir, 'nope.model')));
  t.true(isPilotScopeError(missing, 'NATIVE_INVALID_ARGUMENT'));
});

test('same seed and data give the same model bytes', async (t) => {
  const bytes = async (): Promise<Buffer> => {
    const model = MscnModel.create(syntheticMscnMetadata(32));
    const data = syntheticRelSets(300, 8);
    await model.train(model.encode(data.relSets), Float64Array.from(data.cards), { epochs: 2, seed: 5 });
    return model.toBuffer();
  };
  t.deepEqual(await bytes(), await bytes());
});

import test from 'ava';
import { isPilotScopeError } from '../src/errors.js';
import type { PlanNode } from '../src/engine/types.js';
import { LeroModel, type NativePlanBatch } from '../src/native/index.js';
import { TABLES, rng, syntheticPlan } from './helpers/native.js';

function workload(queries: number, plansPerQuery: number, seed: number): { plans: PlanNode[]; costs: number[]; groups: number[] } {
  const r = rng(seed);
  const plans: PlanNode[] = [];
  const costs: number[] = [];
  const groups: number[] = [];
  for (let q = 0; q < queries; q++) {
    for (let c = 0; c < plansPerQuery; c++) {
      const { plan, cost } = syntheticPlan(2 + (q % 3), r);
      plans.push(plan);
      costs.push(cost);
      groups.push(q);
    }
  }
  return { plans, costs, groups };
}

test('Lero learns to rank plans by a known synthetic cost', async (t) => {
  const model = LeroModel.create({ tables: TABLES.slice(0, 4) });
  const train = workload(60, 6, 1);
  const reports: number[] = [];
  const result = await model.train(model.encode(train.plans), Int32Array.from(train.groups), Float64Array.from(train.costs), {
    epochs: 15,
    onEpoch: (r) => reports.push(r.trainLoss),
  });
  t.is(result.epochsRun, 15);
  t.true(reports[14]! < reports[0]!);
  const held = workload(30, 6, 2);
  const scores = model.scorePlans(held.plans);
  let right = 0;
  let total = 0;
  for (let q = 0; q < 30; q++)
    for (let i = 0; i < 6; i++)
      for (let j = i + 1; j < 6; j++) {
        const a = q * 6 + i;
        const b = q * 6 + j;
        if (held.costs[a] === held.costs[b]) continue;
        total++;
        if (scores[a]! < scores[b]! === held.costs[a]! < held.costs[b]!) right++;
      }
  t.log(`held-out pair accuracy ${(right / total).toFixed(3)}`);
  t.true(right / total > 0.8);
});

test('a plan scores the same alone and inside a batch; n-ary and unknown nodes are handled', (t) => {
  const model = LeroModel.create({ tables: ['a', 'b', 'c'] });
  const append: PlanNode = {
    nodeType: 'Append',
    rows: 300,
    width: 20,
    children: ['a', 'b', 'c', 'zzz'].map((name) => ({ nodeType: 'Parallel Weird Scan', relationName: name, rows: 100, width: 20, children: [] })),
  };
  const gather: PlanNode = { nodeType: 'Gather', rows: 300, width: 20, children: [append] };
  const other = workload(1, 5, 3).plans;
  const batch = model.encode([...other, gather]);
  // Gather + Append(a, Append(b, Append(c, zzz))): 1 + 3 Append nodes + 4 scans.
  t.is(batch.treeOffsets[6]! - batch.treeOffsets[5]!, 8);
  t.true([...batch.nodeTableIds].includes(-1));
  const together = model.score(batch);
  const alone = model.scorePlans([gather]);
  t.is(alone[0], together[5]);
});

test('malformed plan batches throw NATIVE_INVALID_ARGUMENT', (t) => {
  const model = LeroModel.create({ tables: ['a'] });
  const good = model.encode(workload(1, 1, 4).plans);
  const expectInvalid = (plans: NativePlanBatch, fragment: string): void => {
    const error = t.throws(() => model.score(plans));
    t.true(isPilotScopeError(error, 'NATIVE_INVALID_ARGUMENT'), String(error));
    t.true(error!.message.includes(fragment), error!.message);
  };
  expectInvalid({ ...good, left: Int32Array.from(good.left, (v, i) => (i === 0 ? 0 : v)) }, 'child index 0');
  expectInvalid({ ...good, rows: Float64Array.from(good.rows, (v, i) => (i === 1 ? Number.POSITIVE_INFINITY : v)) }, 'finite');
  expectInvalid({ ...good, widths: new Float64Array(1) }, 'widths must have');
  expectInvalid({ ...good, nodeTypes: new Uint32Array(good.nodeTypes.length) as unknown as Int32Array }, 'must be a Int32Array (got Uint32Array)');
});

test('Lero training with no comparable pairs rejects with a clear error', async (t) => {
  const model = LeroModel.create({ tables: ['a'] });
  const w = workload(2, 1, 5);
  const error = await t.throwsAsync(model.train(model.encode(w.plans), Int32Array.from(w.groups), Float64Array.from(w.costs)));
  t.true(isPilotScopeError(error, 'NATIVE_INVALID_ARGUMENT'));
  t.true(error!.message.includes('no training pairs'), error!.message);
});

test('Lero save/load round trip keeps scores bit-exact', async (t) => {
  const model = LeroModel.create({ tables: TABLES.slice(0, 4), seed: 9 });
  const w = workload(5, 4, 6);
  const batch = model.encode(w.plans);
  await model.train(batch, Int32Array.from(w.groups), Float64Array.from(w.costs), { epochs: 2 });
  const copy = LeroModel.fromBuffer(model.toBuffer());
  t.deepEqual(copy.score(batch), model.score(batch));
  t.deepEqual(copy.metadata(), model.metadata());
  const wrongKind = t.throws(() => LeroModel.fromBuffer(Buffer.from('PSNATIVE' + '\0'.repeat(40))));
  t.true(isPilotScopeError(wrongKind, 'MODEL_CORRUPT'));
});

/**
 * Native core speed: MSCN inference and training, Lero scoring and training, achieved GFLOP/s.
 * Inputs are synthetic but shaped like stats_tiny: queries over 2..8 tables with a few filters,
 * plans of 20 nodes, the upstream layer sizes (MSCN hidden 256; Lero 256/128/64/32).
 */
import fs from 'node:fs';
import os from 'node:os';
import type { PlanNode } from '../src/engine/types.js';
import { LeroModel, MscnModel, loadNativeAddon, type RelSetSpec } from '../src/native/index.js';
import { rng, syntheticMscnMetadata, syntheticRelSets, TABLES } from '../test/helpers/native.js';
import { median, type BenchContext } from './harness.js';

/** All connected sub-chains of a k-table chain query: its relation sets (k(k+1)/2 of them). */
function queryRelSets(k: number, r: () => number): RelSetSpec[] {
  const first = Math.floor(r() * (TABLES.length - k + 1));
  const tables = TABLES.slice(first, first + k);
  const filters = new Map<string, RelSetSpec['predicates'][number]>();
  for (const t of tables) {
    if (r() < 0.6) filters.set(t, { column: `${t}.${r() < 0.5 ? 'x' : 'y'}`, operator: r() < 0.5 ? '<' : '>', values: [r() * 100] });
  }
  const out: RelSetSpec[] = [];
  for (let i = 0; i < k; i++)
    for (let j = i; j < k; j++) {
      const sub = tables.slice(i, j + 1);
      out.push({
        tables: sub,
        joins: sub.slice(0, -1).map((t, x) => `${t}.id=${sub[x + 1]}.${t}_id`),
        predicates: sub.flatMap((t) => (filters.has(t) ? [filters.get(t)!] : [])),
      });
    }
  return out;
}

/** A random binary plan with exactly n nodes (scans at the leaves, joins/hash/sort above). */
function planOfSize(n: number, r: () => number): PlanNode {
  if (n === 1) return { nodeType: r() < 0.5 ? 'Seq Scan' : 'Index Scan', relationName: TABLES[Math.floor(r() * 8)]!, rows: 10 ** (1 + 5 * r()), width: 8 + Math.floor(r() * 64), children: [] };
  if (n === 2) return { nodeType: r() < 0.5 ? 'Hash' : 'Sort', rows: 10 ** (1 + 5 * r()), width: 24, children: [planOfSize(1, r)] };
  const left = 1 + Math.floor(r() * (n - 2));
  const type = ['Hash Join', 'Nested Loop', 'Merge Join'][Math.floor(r() * 3)]!;
  return { nodeType: type, rows: 10 ** (1 + 6 * r()), width: 32, children: [planOfSize(left, r), planOfSize(n - 1 - left, r)] };
}

function time<T>(fn: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return [value, Number(process.hrtime.bigint() - t0) / 1e3];
}

function peakGflopsEstimate(kernel: string): { value: number; how: string } {
  const mhz = os.cpus()[0]?.speed ?? 0;
  let ghz = mhz / 1000;
  try {
    const m = /cpu MHz\s*:\s*([\d.]+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) ghz = Number(m[1]) / 1000;
  } catch {
    // keep os.cpus()
  }
  const lanes = kernel === 'avx512' ? 16 : kernel === 'avx2' ? 8 : 4;
  const fmaUnits = kernel === 'generic' ? 1 : 2;
  const perCore = ghz * lanes * fmaUnits * (kernel === 'generic' ? 1 : 2);
  return { value: perCore, how: `${ghz.toFixed(2)} GHz x ${lanes} lanes x ${fmaUnits} FMA units x 2 flops, one core (the core is single-threaded)` };
}

export default async function (ctx: BenchContext): Promise<void> {
  const addon = loadNativeAddon();
  ctx.note(`gemm kernel ${addon.gemmKernel}; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0]!.toFixed(2)}`);

  // ---- MSCN inference: one query's relation sets per call ----------------------------------
  const mscn = MscnModel.create(syntheticMscnMetadata(256));
  const warm = syntheticRelSets(2000, 1, 8);
  const mscnData = mscn.encode(warm.relSets);
  const r = rng(7);
  const queries = Array.from({ length: 400 }, (_, i) => mscn.encode(queryRelSets(2 + (i % 7), r)));
  for (const q of queries.slice(0, 50)) mscn.predict(q);
  const perRelSet: number[] = [];
  let relSetsTotal = 0;
  for (let rep = 0; rep < 3; rep++)
    for (const q of queries) {
      const n = q.tableOffsets.length - 1;
      const [, us] = time(() => mscn.predict(q));
      perRelSet.push(us / n);
      relSetsTotal += n;
    }
  ctx.figure('mscn_infer_us_per_relset', median(perRelSet), 'us', `median over ${queries.length * 3} queries of 2..8 tables (${(relSetsTotal / queries.length / 3).toFixed(1)} relation sets per call), hidden 256`);

  // ---- MSCN training ------------------------------------------------------------------------
  const epochs = 3;
  const [mscnResult, mscnUs] = await (async () => {
    const t0 = process.hrtime.bigint();
    const res = await mscn.train(mscnData, Float64Array.from(warm.cards), { epochs, batchSize: 256, validationFraction: 0.1 });
    return [res, Number(process.hrtime.bigint() - t0) / 1e3] as const;
  })();
  ctx.figure('mscn_train_samples_per_s', (mscnResult.trainSamples * epochs) / (mscnUs / 1e6), 'samples/s', `hidden 256, batch 256, ${mscnResult.trainSamples} samples x ${epochs} epochs (validation pass included)`);

  // ---- Lero scoring: 20 candidate plans of 20 nodes per call ---------------------------------
  const lero = LeroModel.create({ tables: TABLES });
  const pr = rng(11);
  const candidateSets = Array.from({ length: 60 }, () => lero.encode(Array.from({ length: 20 }, () => planOfSize(20, pr))));
  for (const c of candidateSets.slice(0, 5)) lero.score(c);
  const perPlan: number[] = [];
  for (let rep = 0; rep < 3; rep++)
    for (const c of candidateSets) {
      const [, us] = time(() => lero.score(c));
      perPlan.push(us / 20);
    }
  const leroUs = median(perPlan);
  ctx.figure('lero_score_us_per_plan', leroUs, 'us', 'median, batches of 20 plans x 20 nodes');

  // ---- Lero training --------------------------------------------------------------------------
  const trainPlans: PlanNode[] = [];
  const groups: number[] = [];
  const latencies: number[] = [];
  for (let q = 0; q < 40; q++)
    for (let c = 0; c < 10; c++) {
      trainPlans.push(planOfSize(20, pr));
      groups.push(q);
      latencies.push(pr());
    }
  const leroEpochs = 2;
  const t0 = process.hrtime.bigint();
  const leroResult = await lero.train(lero.encode(trainPlans), Int32Array.from(groups), Float64Array.from(latencies), { epochs: leroEpochs, batchSize: 64 });
  const leroTrainS = Number(process.hrtime.bigint() - t0) / 1e9;
  ctx.figure('lero_train_pairs_per_s', (leroResult.pairs * leroEpochs) / leroTrainS, 'pairs/s', `batch 64 pairs, plans of 20 nodes, ${leroResult.pairs} pairs x ${leroEpochs} epochs`);

  // ---- Achieved GFLOP/s in Lero scoring (dense tree convolutions dominate) --------------------
  const d = lero.metadata().nodeFeatureDim;
  const flopsPerNode = 2 * (3 * d * 256 + 3 * 256 * 128 + 3 * 128 * 64);
  const achieved = (flopsPerNode * 20) / (leroUs * 1e3);
  const peak = peakGflopsEstimate(addon.gemmKernel);
  ctx.figure('gflops', achieved, 'GFLOP/s', `Lero scoring, ${(flopsPerNode / 1e3).toFixed(0)} kFLOP per node`);
  ctx.figure('gflops_peak_estimate', peak.value, 'GFLOP/s', peak.how);
  ctx.note(`peak estimate: ${peak.how}; achieved ${(100 * achieved / peak.value).toFixed(0)}% of it`);
}

/** The Bayesian optimizer's parts and its behaviour on known functions (no database involved). */
import test from 'ava';
import { expectedImprovement, normalCdf, normalPdf } from '../src/tuning/optimizer/acquisition.js';
import { BayesianOptimizer } from '../src/tuning/optimizer/bayes.js';
import { latinHypercube } from '../src/tuning/optimizer/design.js';
import { hesboProjection, quantize } from '../src/tuning/optimizer/embedding.js';
import { RandomForest, DEFAULT_FOREST } from '../src/tuning/optimizer/forest.js';
import { SeededRandom } from '../src/tuning/random.js';

test('a Latin hypercube puts exactly one point in every stratum of every dimension', (t) => {
  const n = 12;
  const dims = 4;
  const points = latinHypercube(n, dims, new SeededRandom(3));
  for (let d = 0; d < dims; d++) {
    const strata = Array.from({ length: n }, (_, i) => Math.floor(points[i * dims + d]! * n)).sort((a, b) => a - b);
    t.deepEqual(strata, Array.from({ length: n }, (_, i) => i));
  }
});

test('normal distribution and expected improvement match known values', (t) => {
  t.true(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  t.true(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  t.true(Math.abs(normalCdf(-3) - 0.0013499) < 1e-6);
  t.true(Math.abs(expectedImprovement(1, 1, 1) - normalPdf(0)) < 1e-7, 'at the best mean: sigma * phi(0)');
  t.true(Math.abs(expectedImprovement(0.5, 1e-30, 1) - 0.5) < 1e-12, 'no uncertainty: the plain gain');
  t.is(expectedImprovement(2, 1e-30, 1), 0);
  t.true(expectedImprovement(1.5, 4, 1) > expectedImprovement(1.5, 0.25, 1), 'more uncertainty, more hope');
});

test('the random forest learns a smooth function and reports spread', (t) => {
  const f = (x: number, y: number) => (x - 0.3) ** 2 + 0.2 * y;
  const random = new SeededRandom(11);
  const n = 80;
  const x = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i * 2] = random.next();
    x[i * 2 + 1] = random.next();
    y[i] = f(x[i * 2]!, x[i * 2 + 1]!);
  }
  const forest = new RandomForest({ ...DEFAULT_FOREST, seed: 5 }).fit(x, y, 2);
  const probes = new Float64Array(200 * 2);
  const truth: number[] = [];
  for (let i = 0; i < 200; i++) {
    probes[i * 2] = random.next();
    probes[i * 2 + 1] = random.next();
    truth.push(f(probes[i * 2]!, probes[i * 2 + 1]!));
  }
  const { mean, variance } = forest.predict(probes);
  const r = correlation(truth, Array.from(mean));
  t.log(`correlation of predictions with the truth: ${r.toFixed(3)}`);
  t.true(r > 0.9);
  t.true(variance.every((v) => v > 0));
  const [low, high] = Array.from(forest.predict(Float64Array.of(0.3, 0, 0.95, 0.95)).mean);
  t.true(low! < high!);
});

/** A 5-dimensional bowl with its minimum away from the centre. */
const CENTRE = [0.2, 0.7, 0.5, 0.9, 0.1];
const bowl = (p: ArrayLike<number>) => CENTRE.reduce((s, c, i) => s + (p[i]! - c) ** 2, 0);

function bestAfter(optimizer: BayesianOptimizer, evaluations: number): number {
  let best = Infinity;
  for (let i = 0; i < evaluations; i++) {
    const { point } = optimizer.ask();
    const value = bowl(point);
    best = Math.min(best, value);
    optimizer.tell(point, Math.log(value)); // as the tuner does: costs are modelled on a log scale
  }
  return best;
}

test('Bayesian optimization finds a better point than random search with the same budget', (t) => {
  const bo: number[] = [];
  const rs: number[] = [];
  for (let seed = 1; seed <= 9; seed++) {
    bo.push(bestAfter(new BayesianOptimizer({ dims: 5, seed, candidates: 500 }), 30));
    const random = new SeededRandom(seed);
    let best = Infinity;
    for (let i = 0; i < 30; i++) best = Math.min(best, bowl(Array.from({ length: 5 }, () => random.next())));
    rs.push(best);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[4]!;
  t.log(`best after 30 evaluations, median of 9 seeds: Bayesian ${median(bo).toFixed(4)}, random ${median(rs).toFixed(4)}`);
  t.true(median(bo) < 0.6 * median(rs));
});

test('the same seed gives the same suggestions', (t) => {
  const run = (seed: number) => {
    const optimizer = new BayesianOptimizer({ dims: 3, seed, candidates: 200 });
    const seen: number[][] = [];
    for (let i = 0; i < 12; i++) {
      const { point } = optimizer.ask();
      seen.push(Array.from(point));
      optimizer.tell(point, bowl([...point, 0.5, 0.5]));
    }
    return seen;
  };
  t.deepEqual(run(9), run(9));
  t.notDeepEqual(run(9), run(10));
});

test('failed evaluations steer the model away from where they happened', (t) => {
  // The optimum sits next to a region where every evaluation fails.
  const fails = (p: ArrayLike<number>) => p[0]! > 0.6;
  const optimizer = new BayesianOptimizer({ dims: 2, seed: 4, initialPoints: 8, randomProbability: 0, candidates: 300 });
  let modelInFailing = 0;
  let model = 0;
  for (let i = 0; i < 30; i++) {
    const { point, source } = optimizer.ask();
    if (source === 'model') {
      model++;
      if (fails(point)) modelInFailing++;
    }
    optimizer.tell(point, fails(point) ? null : Math.log((point[0]! - 0.55) ** 2 + (point[1]! - 0.5) ** 2));
  }
  t.log(`${modelInFailing} of ${model} model suggestions fell in the failing region (40% of the square)`);
  t.true(model >= 20);
  t.true(modelInFailing / model < 0.25);
});

test('ask skips points the caller turns down', (t) => {
  const optimizer = new BayesianOptimizer({ dims: 1, seed: 1, initialPoints: 4, quantization: 3 });
  const taken = new Set<number>();
  const accepted: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { point } = optimizer.ask((p) => !taken.has(p[0]!));
    taken.add(point[0]!);
    accepted.push(point[0]!);
    optimizer.tell(point, point[0]!);
  }
  t.deepEqual([...accepted].sort(), [0, 0.5, 1], 'three levels, each offered once');
});

test('the HesBO embedding ties knobs of one bucket together, mirrored by their sign', (t) => {
  const projection = hesboProjection(40, 4, 7);
  t.is(projection.dims, 4);
  const random = new SeededRandom(1);
  const z = Float64Array.from({ length: 4 }, () => random.next());
  const u = projection.project(z);
  t.is(u.length, 40);
  t.true(u.every((v) => v >= 0 && v <= 1));
  const values = new Set(Array.from(u, (v) => v.toFixed(12)));
  t.true(values.size <= 8, 'at most two values (sign +/-) per low dimension');
  for (const v of u) t.true(Array.from(z).some((zi) => Math.abs(v - zi) < 1e-12 || Math.abs(v - (1 - zi)) < 1e-12));
  t.deepEqual(Array.from(hesboProjection(40, 4, 7).project(z)), Array.from(u), 'the same seed gives the same embedding');
  t.deepEqual(Array.from(quantize(Float64Array.of(0.12, 0.5, 0.88), 5)), [0, 0.5, 1]);
});

function correlation(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    cov += (a[i]! - ma) * (b[i]! - mb);
    va += (a[i]! - ma) ** 2;
    vb += (b[i]! - mb) ** 2;
  }
  return cov / Math.sqrt(va * vb);
}

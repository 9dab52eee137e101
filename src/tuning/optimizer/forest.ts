/**
 * A random-forest regressor for the optimizer's surrogate (as SMAC's): bootstrapped regression
 * trees with best variance-reduction splits over a random subset of features, predicting a mean
 * and a variance (spread between trees plus spread inside the leaves: the law of total
 * variance). Points are row-major Float64Arrays; everything stays in typed arrays.
 */
import { SeededRandom } from '../random.js';

export interface ForestOptions {
  trees: number;
  /** A node with fewer samples is a leaf. */
  minSamplesSplit: number;
  /** Every leaf keeps at least this many samples. */
  minSamplesLeaf: number;
  maxDepth: number;
  /** Share of the features each split looks at. */
  featureRatio: number;
  seed: number;
}

export const DEFAULT_FOREST: Omit<ForestOptions, 'seed'> = { trees: 50, minSamplesSplit: 3, minSamplesLeaf: 1, maxDepth: 20, featureRatio: 5 / 6 };

interface Tree {
  /** -1 for a leaf. */
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  mean: Float64Array;
  variance: Float64Array;
}

export interface Prediction {
  mean: Float64Array;
  variance: Float64Array;
}

export class RandomForest {
  private trees: Tree[] = [];
  private dims = 0;

  constructor(private readonly options: ForestOptions) {}

  /** Fits on n points (x: n * dims, row-major) with targets y. */
  fit(x: Float64Array, y: Float64Array, dims: number): this {
    const n = y.length;
    if (n === 0 || x.length !== n * dims) throw new RangeError(`fit needs n * dims = ${n} * ${dims} coordinates, got ${x.length}`);
    this.dims = dims;
    const random = new SeededRandom(this.options.seed);
    this.trees = [];
    for (let t = 0; t < this.options.trees; t++) {
      const sample = new Int32Array(n);
      for (let i = 0; i < n; i++) sample[i] = random.int(n);
      this.trees.push(buildTree(x, y, dims, sample, this.options, random));
    }
    return this;
  }

  predict(x: Float64Array): Prediction {
    const m = x.length / this.dims;
    const mean = new Float64Array(m);
    const variance = new Float64Array(m);
    const count = this.trees.length;
    for (let p = 0; p < m; p++) {
      let sum = 0;
      let sumSecondMoment = 0;
      const offset = p * this.dims;
      for (const tree of this.trees) {
        let node = 0;
        while (tree.feature[node]! >= 0) node = x[offset + tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
        const value = tree.mean[node]!;
        sum += value;
        sumSecondMoment += tree.variance[node]! + value * value;
      }
      const mu = sum / count;
      mean[p] = mu;
      variance[p] = Math.max(1e-12, sumSecondMoment / count - mu * mu);
    }
    return { mean, variance };
  }
}

function buildTree(x: Float64Array, y: Float64Array, dims: number, sample: Int32Array, options: ForestOptions, random: SeededRandom): Tree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const mean: number[] = [];
  const variance: number[] = [];
  const featuresPerSplit = Math.max(1, Math.round(options.featureRatio * dims));

  const newNode = (): number => {
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    mean.push(0);
    variance.push(0);
    return feature.length - 1;
  };

  const stack: Array<{ node: number; rows: Int32Array; depth: number }> = [{ node: newNode(), rows: sample, depth: 0 }];
  while (stack.length > 0) {
    const { node, rows, depth } = stack.pop()!;
    const stats = moments(y, rows);
    mean[node] = stats.mean;
    variance[node] = stats.variance;
    if (rows.length < options.minSamplesSplit || depth >= options.maxDepth || stats.variance <= 1e-14) continue;
    const split = bestSplit(x, y, dims, rows, options.minSamplesLeaf, random.sample(range(dims), featuresPerSplit));
    if (!split || split.sse >= stats.variance * rows.length - 1e-12) continue;
    const leftRows: number[] = [];
    const rightRows: number[] = [];
    for (const r of rows) (x[r * dims + split.feature]! <= split.threshold ? leftRows : rightRows).push(r);
    feature[node] = split.feature;
    threshold[node] = split.threshold;
    const l = newNode();
    const r = newNode();
    left[node] = l;
    right[node] = r;
    stack.push({ node: l, rows: Int32Array.from(leftRows), depth: depth + 1 }, { node: r, rows: Int32Array.from(rightRows), depth: depth + 1 });
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    mean: Float64Array.from(mean),
    variance: Float64Array.from(variance),
  };
}

function moments(y: Float64Array, rows: Int32Array): { mean: number; variance: number } {
  let sum = 0;
  let sumSq = 0;
  for (const r of rows) {
    sum += y[r]!;
    sumSq += y[r]! * y[r]!;
  }
  const mean = sum / rows.length;
  return { mean, variance: Math.max(0, sumSq / rows.length - mean * mean) };
}

/** The split (feature, threshold) with the smallest summed squared error of the two sides. */
function bestSplit(x: Float64Array, y: Float64Array, dims: number, rows: Int32Array, minLeaf: number, features: number[]): { feature: number; threshold: number; sse: number } | undefined {
  const n = rows.length;
  let best: { feature: number; threshold: number; sse: number } | undefined;
  const order = new Int32Array(n);
  let totalSum = 0;
  let totalSq = 0;
  for (const r of rows) {
    totalSum += y[r]!;
    totalSq += y[r]! * y[r]!;
  }
  for (const f of features) {
    order.set(rows);
    order.sort((a, b) => x[a * dims + f]! - x[b * dims + f]!);
    let sumLeft = 0;
    let sqLeft = 0;
    for (let k = 1; k < n; k++) {
      const prev = order[k - 1]!;
      sumLeft += y[prev]!;
      sqLeft += y[prev]! * y[prev]!;
      if (k < minLeaf || n - k < minLeaf) continue;
      const a = x[prev * dims + f]!;
      const b = x[order[k]! * dims + f]!;
      if (a === b) continue;
      const sumRight = totalSum - sumLeft;
      const sqRight = totalSq - sqLeft;
      const sse = sqLeft - (sumLeft * sumLeft) / k + (sqRight - (sumRight * sumRight) / (n - k));
      if (!best || sse < best.sse) best = { feature: f, threshold: (a + b) / 2, sse };
    }
  }
  return best;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

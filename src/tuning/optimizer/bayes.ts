/**
 * Bayesian optimization in the unit cube, ask/tell style (SMAC's loop): a Latin-hypercube initial
 * design, then points that maximize expected improvement under a random-forest surrogate (random
 * candidates plus local search from the best points), with an occasional random point. Failed
 * evaluations are modelled as worse than the worst success. Deterministic given the seed.
 */
import { SeededRandom } from '../random.js';
import { expectedImprovement } from './acquisition.js';
import { latinHypercube } from './design.js';
import { quantize } from './embedding.js';
import { DEFAULT_FOREST, RandomForest, type ForestOptions } from './forest.js';

export interface OptimizerOptions {
  dims: number;
  seed: number;
  /** Size of the initial Latin-hypercube design. */
  initialPoints: number;
  /** Chance of a random point instead of the model's choice (exploration). */
  randomProbability: number;
  /** Random candidates scored per suggestion (before local search). */
  candidates: number;
  /** Local searches per suggestion, from the best observed and the best random candidates. */
  localSearchStarts: number;
  /** Levels per coordinate (0: continuous). */
  quantization: number;
  forest: Omit<ForestOptions, 'seed'>;
}

export const DEFAULT_OPTIMIZER: Omit<OptimizerOptions, 'dims' | 'seed'> = {
  initialPoints: 5,
  randomProbability: 0.1,
  candidates: 1000,
  localSearchStarts: 10,
  quantization: 0,
  forest: DEFAULT_FOREST,
};

export type SuggestionSource = 'initial' | 'model' | 'random';

export interface Suggestion {
  point: Float64Array;
  source: SuggestionSource;
  /** Expected improvement of a model suggestion (in the cost scale). */
  expectedImprovement?: number;
}

/** How much worse than the worst success a failure is modelled (in the cost scale). */
const FAILURE_MARGIN = Math.log(2);
const MAX_DRAWS = 200;
/** Standard deviations of the perturbations around the best points. */
const LOCAL_SPREADS = [0.02, 0.05, 0.1, 0.2];

export class BayesianOptimizer {
  readonly options: OptimizerOptions;
  private readonly random: SeededRandom;
  private readonly initial: Float64Array;
  private nextInitial = 0;
  private readonly points: Float64Array[] = [];
  private readonly costs: Array<number | null> = [];
  private fits = 0;

  constructor(options: Pick<OptimizerOptions, 'dims' | 'seed'> & Partial<OptimizerOptions>) {
    this.options = { ...DEFAULT_OPTIMIZER, ...options };
    if (!Number.isInteger(this.options.dims) || this.options.dims < 1) throw new RangeError(`dims must be a positive integer, got ${this.options.dims}`);
    this.random = new SeededRandom(this.options.seed);
    this.initial = latinHypercube(this.options.initialPoints, this.options.dims, this.random);
  }

  get observations(): number {
    return this.points.length;
  }

  /** Records the cost of a point (smaller is better), or null when its evaluation failed. */
  tell(point: ArrayLike<number>, cost: number | null): void {
    if (point.length !== this.options.dims) throw new RangeError(`a point has ${this.options.dims} coordinates, got ${point.length}`);
    if (cost !== null && !Number.isFinite(cost)) throw new RangeError(`cost must be finite or null, got ${cost}`);
    this.points.push(Float64Array.from(point));
    this.costs.push(cost);
  }

  /**
   * The next point to evaluate. `accept` may turn points down (e.g. ones that decode to a
   * configuration already evaluated); the next best is offered then.
   */
  ask(accept: (point: Float64Array) => boolean = () => true): Suggestion {
    const { dims } = this.options;
    while (this.nextInitial < this.options.initialPoints) {
      const point = this.q(this.initial.slice(this.nextInitial * dims, (this.nextInitial + 1) * dims));
      this.nextInitial++;
      if (accept(point)) return { point, source: 'initial' };
    }
    const successes = this.costs.filter((c) => c !== null).length;
    if (successes >= 2 && this.random.next() >= this.options.randomProbability) {
      const suggestion = this.modelSuggestion(accept);
      if (suggestion) return suggestion;
    }
    return { point: this.randomPoint(accept), source: 'random' };
  }

  private modelSuggestion(accept: (point: Float64Array) => boolean): Suggestion | undefined {
    const { dims } = this.options;
    const { x, y, best } = this.trainingData();
    const forest = new RandomForest({ ...this.options.forest, seed: (this.options.seed + 7919 * ++this.fits) >>> 0 }).fit(x, y, dims);
    const score = (candidates: Float64Array): Float64Array => {
      const { mean, variance } = forest.predict(candidates);
      const ei = new Float64Array(mean.length);
      for (let i = 0; i < ei.length; i++) ei[i] = expectedImprovement(mean[i]!, variance[i]!, best);
      return ei;
    };

    // Candidates: uniform ones for exploration, and perturbations of the best points so far
    // (a piecewise-constant surrogate gives hill climbing flat plateaus to cross).
    const count = this.options.candidates;
    const candidates = new Float64Array(count * dims);
    const incumbents = this.bestObserved(3);
    for (let i = 0; i < count; i++) {
      const point = candidates.subarray(i * dims, (i + 1) * dims);
      if (i % 2 === 0 || incumbents.length === 0) {
        for (let d = 0; d < dims; d++) point[d] = this.random.next();
      } else {
        const centre = incumbents[this.random.int(incumbents.length)]!;
        const spread = LOCAL_SPREADS[this.random.int(LOCAL_SPREADS.length)]!;
        for (let d = 0; d < dims; d++) point[d] = Math.min(1, Math.max(0, centre[d]! + spread * this.random.normal()));
      }
      this.q(point);
    }
    const candidateEi = score(candidates);
    const pool: Array<{ point: Float64Array; ei: number }> = [];
    for (let i = 0; i < count; i++) pool.push({ point: candidates.slice(i * dims, (i + 1) * dims), ei: candidateEi[i]! });

    const starts = [...this.bestObserved(Math.ceil(this.options.localSearchStarts / 2)), ...[...pool].sort((a, b) => b.ei - a.ei).slice(0, Math.floor(this.options.localSearchStarts / 2)).map((c) => c.point)];
    for (const start of starts) pool.push(this.localSearch(start, score));

    pool.sort((a, b) => b.ei - a.ei);
    for (const candidate of pool) {
      if (accept(candidate.point)) return { point: candidate.point, source: 'model', expectedImprovement: candidate.ei };
    }
    return undefined;
  }

  /** Hill climbing on expected improvement: move one coordinate at a time while it helps. */
  private localSearch(start: Float64Array, score: (c: Float64Array) => Float64Array): { point: Float64Array; ei: number } {
    const { dims } = this.options;
    let current = Float64Array.from(start);
    let currentEi = score(current)[0]!;
    for (let step = 0; step < 10; step++) {
      const neighbours = new Float64Array(dims * dims);
      for (let d = 0; d < dims; d++) {
        const neighbour = neighbours.subarray(d * dims, (d + 1) * dims);
        neighbour.set(current);
        neighbour[d] = Math.min(1, Math.max(0, current[d]! + 0.1 * this.random.normal()));
        this.q(neighbour);
      }
      const ei = score(neighbours);
      let bestIndex = -1;
      for (let d = 0; d < dims; d++) if (ei[d]! > currentEi && (bestIndex < 0 || ei[d]! > ei[bestIndex]!)) bestIndex = d;
      if (bestIndex < 0) break;
      current = neighbours.slice(bestIndex * dims, (bestIndex + 1) * dims);
      currentEi = ei[bestIndex]!;
    }
    return { point: current, ei: currentEi };
  }

  private trainingData(): { x: Float64Array; y: Float64Array; best: number } {
    const { dims } = this.options;
    const ok = this.costs.filter((c): c is number => c !== null);
    const best = Math.min(...ok);
    const penalty = Math.max(...ok) + FAILURE_MARGIN;
    const x = new Float64Array(this.points.length * dims);
    const y = new Float64Array(this.points.length);
    this.points.forEach((p, i) => {
      x.set(p, i * dims);
      y[i] = this.costs[i] ?? penalty;
    });
    return { x, y, best };
  }

  private bestObserved(k: number): Float64Array[] {
    return this.points
      .map((p, i) => ({ p, c: this.costs[i] }))
      .filter((o): o is { p: Float64Array; c: number } => o.c !== null && o.c !== undefined)
      .sort((a, b) => a.c - b.c)
      .slice(0, k)
      .map((o) => o.p);
  }

  private randomPoint(accept: (point: Float64Array) => boolean): Float64Array {
    let point = new Float64Array(this.options.dims);
    for (let attempt = 0; attempt < MAX_DRAWS; attempt++) {
      point = new Float64Array(this.options.dims);
      for (let d = 0; d < point.length; d++) point[d] = this.random.next();
      this.q(point);
      if (accept(point)) return point;
    }
    return point; // the space is (nearly) exhausted: a repeat is better than no suggestion
  }

  private q(point: Float64Array): Float64Array {
    return quantize(point, this.options.quantization);
  }
}

/**
 * HesBO's random low-dimensional embedding (as in LlamaTune): each knob i gets a fixed random
 * bucket h[i] among the `low` dimensions and a sign s[i]; the knob's coordinate is
 * (s[i] * z[h[i]] + 1) / 2 for z in [-1, 1]^low. The optimizer searches z (scaled to [0, 1]).
 */
import { SeededRandom } from '../random.js';

export interface Projection {
  /** Dimensions the optimizer searches. */
  readonly dims: number;
  /** Knob coordinates (length = knob count) from a point of the search space. */
  project(point: ArrayLike<number>): Float64Array;
}

export function identityProjection(knobs: number): Projection {
  return { dims: knobs, project: (point) => Float64Array.from(point as ArrayLike<number>) };
}

export function hesboProjection(knobs: number, low: number, seed: number): Projection {
  const random = new SeededRandom(seed ^ 0x5bd1e995);
  const bucket = new Int32Array(knobs);
  const sign = new Int8Array(knobs);
  for (let i = 0; i < knobs; i++) {
    bucket[i] = random.int(low);
    sign[i] = random.next() < 0.5 ? -1 : 1;
  }
  return {
    dims: low,
    project(point) {
      const out = new Float64Array(knobs);
      for (let i = 0; i < knobs; i++) {
        const z = 2 * point[bucket[i]!]! - 1;
        out[i] = (sign[i]! * z + 1) / 2;
      }
      return out;
    },
  };
}

/** Rounds each coordinate to one of `levels` evenly spaced values (no rounding when levels < 2). */
export function quantize(point: Float64Array, levels: number): Float64Array {
  if (levels < 2) return point;
  for (let i = 0; i < point.length; i++) point[i] = Math.round(point[i]! * (levels - 1)) / (levels - 1);
  return point;
}

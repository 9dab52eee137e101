/** Space-filling initial designs in the unit cube. */
import type { SeededRandom } from '../random.js';

/**
 * A Latin hypercube of `n` points in `dims` dimensions (row-major): every dimension is cut into n
 * equal strata and each stratum holds exactly one point, placed at random inside it.
 */
export function latinHypercube(n: number, dims: number, random: SeededRandom): Float64Array {
  const points = new Float64Array(n * dims);
  for (let d = 0; d < dims; d++) {
    const strata = random.permutation(n);
    for (let i = 0; i < n; i++) points[i * dims + d] = (strata[i]! + random.next()) / n;
  }
  return points;
}

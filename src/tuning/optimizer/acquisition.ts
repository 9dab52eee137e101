/** Expected improvement for minimization, with the normal distribution it needs. */

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Standard normal distribution function, through erfc (Chebyshev fit, relative error < 1.2e-7). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * E[max(0, best - xi - f)] for f ~ N(mean, variance): how much a point is expected to improve on
 * the best cost seen so far.
 */
export function expectedImprovement(mean: number, variance: number, best: number, xi = 0): number {
  const sigma = Math.sqrt(Math.max(0, variance));
  const gain = best - mean - xi;
  if (sigma < 1e-12) return Math.max(0, gain);
  const z = gain / sigma;
  return gain * normalCdf(z) + sigma * normalPdf(z);
}

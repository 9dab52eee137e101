/**
 * Quantile featurization of numeric filter literals. Min-max scaling squeezes a skewed column
 * (log-normal reputations, Zipf-like counts, dates clustered in recent years) into a sliver of
 * [0, 1], so most predicates look alike to the model. Mapping a literal through the column's
 * empirical distribution (its position among 200 quantiles of the training database) spreads
 * them evenly: the model then sees roughly the selectivity of each bound.
 *
 * The quantiles are computed on the training database for the columns the training filters use,
 * kept with the model (registry metadata) and applied to training and test literals alike.
 */
import type { Engine } from '../../engine/types.js';
import type { RelSetPredicate, RelSetSpec, SqlLiteral } from '../../native/index.js';
import { quoteIdent } from '../../sql/index.js';

export const QUANTILE_STEPS = 200;
/** Where literals outside the observed range land (the native core clips to [-0.25, 1.25]). */
const BELOW = -0.05;
const ABOVE = 1.05;

export type QuantileTable = Record<string, number[]>;

export class QuantileTransform {
  /**
   * `boundsAtRunEdges`: place bounds at the edges of a frequent value's run (see RunSide). Models
   * saved before this existed placed every literal mid-run and are featurized as they were trained.
   */
  constructor(readonly quantiles: Readonly<QuantileTable>, readonly boundsAtRunEdges = true) {}

  static empty(): QuantileTransform {
    return new QuantileTransform({});
  }

  has(column: string): boolean {
    return this.quantiles[column] !== undefined;
  }

  /** A literal's position in [0, 1] among the column's quantiles (numbers only; others unchanged). */
  position(column: string, value: SqlLiteral, side: RunSide = 'mid'): SqlLiteral {
    const q = this.quantiles[column];
    if (!q || typeof value !== 'number') return value;
    return cdfPosition(q, value, side);
  }

  apply(spec: RelSetSpec): RelSetSpec {
    let changed = false;
    const predicates = spec.predicates.map((p): RelSetPredicate => {
      if (!this.has(p.column) || p.values.length === 0 || p.operator.includes('LIKE')) return p;
      changed = true;
      return { ...p, values: p.values.map((v, i) => this.position(p.column, v, this.boundsAtRunEdges ? runSide(p.operator, i) : 'mid')) };
    });
    return changed ? { ...spec, predicates } : spec;
  }
}

/**
 * Where in a run of a frequent value its literal sits: a lower bound (`>=`, `<`, BETWEEN's low)
 * at the run's start, the share of rows below it; an upper bound (`<=`, `>`, BETWEEN's high) at
 * its end, the share up to and including it; equality and lists in the middle. So `x >= 0` on a
 * column that is 0 in 60% of rows reads as "everything", not as "the upper 70%".
 */
export type RunSide = 'below' | 'upto' | 'mid';

export function runSide(operator: string, valueIndex: number): RunSide {
  switch (operator) {
    case '>=':
    case '<':
      return 'below';
    case '<=':
    case '>':
      return 'upto';
    case 'BETWEEN':
    case 'NOT BETWEEN':
      return valueIndex === 0 ? 'below' : 'upto';
    default:
      return 'mid';
  }
}

/**
 * Piecewise-linear position of v among sorted boundaries b[0..n]: b[i] sits at i/n. A value equal
 * to a run of identical boundaries (a frequent value) sits at the run's start, end or middle
 * (`side`).
 */
export function cdfPosition(b: readonly number[], v: number, side: RunSide = 'mid'): number {
  const n = b.length - 1;
  if (n <= 0) return 0.5;
  if (v < b[0]!) return BELOW;
  if (v > b[n]!) return ABOVE;
  // first index with b[i] >= v
  let lo = 0;
  let hi = n + 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (b[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  if (b[lo] === v) {
    let end = lo;
    while (end < n && b[end + 1] === v) end++;
    if (side === 'below') return lo / n;
    if (side === 'upto') return end / n;
    return (lo + end) / 2 / n;
  }
  const left = b[lo - 1]!;
  const right = b[lo]!;
  return (lo - 1 + (v - left) / (right - left)) / n;
}

/** The column's QUANTILE_STEPS-quantiles on the training database (empty for an empty column). */
export async function columnQuantiles(engine: Engine, table: string, column: string, temporal: boolean): Promise<number[]> {
  const fractions = Array.from({ length: QUANTILE_STEPS + 1 }, (_, i) => (i / QUANTILE_STEPS).toFixed(4)).join(',');
  const col = quoteIdent(column, 'postgresql');
  // Dates and timestamps as epoch seconds, as the SQL analysis gives their literals.
  const value = temporal ? `extract(epoch FROM ${col})::float8` : `${col}::float8`;
  const sql = `SELECT percentile_disc(ARRAY[${fractions}]::float8[]) WITHIN GROUP (ORDER BY ${value}) AS q FROM ${quoteIdent(table, 'postgresql')} WHERE ${col} IS NOT NULL`;
  const data = await engine.run({ sql, pull: { records: true } });
  const raw = data.records?.[0]?.q;
  if (!Array.isArray(raw)) return [];
  return raw.map(Number).filter((x) => Number.isFinite(x));
}

/**
 * What-if costing: the planner's estimated total cost of the workload with a set of hypothetical
 * indexes (plus the real ones). A query's cost is cached under (query, the indexes of the set that
 * can matter to it), so a step that changes one table's indexes re-plans only the queries that
 * use that table. The hypothetical set is applied once per configuration, not per query.
 */
import type { Engine, IndexSpec } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';
import { indexKey, relevantIndexes, type QueryColumns } from './candidates.js';

export interface WhatIfStats {
  /** Workload costings asked for. */
  requests: number;
  /** Hypothetical index sets applied. */
  configurations: number;
  /** EXPLAINs run. */
  explains: number;
  /** Query costs served from the cache. */
  cacheHits: number;
  /** Index sizes estimated. */
  sizeEstimates: number;
}

export class WhatIfCosts {
  readonly stats: WhatIfStats = { requests: 0, configurations: 0, explains: 0, cacheHits: 0, sizeEstimates: 0 };
  private readonly costs = new Map<string, number>();
  private readonly sizes = new Map<string, number>();

  constructor(
    private readonly engine: Engine,
    private readonly queries: readonly QueryColumns[],
    /** EXPLAINs run at once. */
    private readonly parallelism: number,
  ) {
    if (!engine.capabilities.hypotheticalIndexes || !engine.indexSizes) {
      throw new PilotScopeError('DB_EXTENSION_MISSING', `Index advice needs hypothetical indexes, which ${engine.name} does not offer (PostgreSQL: install the hypopg extension, \`npm run setup\`).`);
    }
  }

  /** Estimated total cost of the workload with `indexes` (hypothetical) on top of the real indexes. */
  async workloadCost(indexes: readonly IndexSpec[]): Promise<number> {
    this.stats.requests++;
    let total = 0;
    const missing: Array<{ query: number; key: string }> = [];
    this.queries.forEach((query, i) => {
      const key = `${i}|${relevantIndexes(query, indexes).map(indexKey).sort().join(';')}`;
      const cached = this.costs.get(key);
      if (cached === undefined) missing.push({ query: i, key });
      else {
        total += cached;
        this.stats.cacheHits++;
      }
    });
    if (missing.length === 0) return total;
    await this.engine.setIndexes(indexes, { hypothetical: true });
    this.stats.configurations++;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < missing.length) {
        const item = missing[next++]!;
        const data = await this.engine.run({ sql: this.queries[item.query]!.sql, pull: { estimatedCost: true } });
        this.stats.explains++;
        if (data.estimatedCost === undefined) throw new PilotScopeError('INTERNAL', `The engine returned no estimated cost for: ${this.queries[item.query]!.sql}`);
        this.costs.set(item.key, data.estimatedCost);
        total += data.estimatedCost;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.parallelism, missing.length)) }, worker));
    return total;
  }

  /** Estimated size in bytes of an index if it were built. */
  async size(index: IndexSpec): Promise<number> {
    return (await this.sizesOf([index]))[0]!;
  }

  /** Sizes of several indexes, estimating the unknown ones in one call. */
  async sizesOf(indexes: readonly IndexSpec[]): Promise<number[]> {
    const unknown = indexes.filter((i) => !this.sizes.has(indexKey(i)));
    if (unknown.length) {
      const estimated = await this.engine.indexSizes!(unknown);
      unknown.forEach((index, i) => this.sizes.set(indexKey(index), estimated[i]!));
      this.stats.sizeEstimates += unknown.length;
    }
    return indexes.map((i) => this.sizes.get(indexKey(i))!);
  }

  /** Drops the hypothetical indexes from the planner's view. */
  async clear(): Promise<void> {
    await this.engine.setIndexes([], { hypothetical: true });
  }
}

/**
 * Index advice for a workload: candidates from the queries' filter and join columns, chosen by
 * Extend with what-if (hypothetical) costs, existing indexes kept. The result names each index
 * and gives its CREATE INDEX statement; building it is a separate step (index-journal.ts).
 */
import type { Engine, IndexSpec } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';
import { quoteIdent } from '../../sql/index.js';
import { workloadColumns } from './candidates.js';
import { extend, type ExtendStep } from './extend.js';
import { WhatIfCosts, type WhatIfStats } from './what-if.js';

export interface IndexAdviceOptions {
  engine: Engine;
  /** The training workload. */
  queries: readonly string[];
  /** Storage budget for new indexes, MB (10^6 bytes, as upstream). */
  budgetMb: number;
  maxWidth: number;
  /** Cost ratio a step must achieve (1.003: 0.3% cheaper). */
  minImprovement: number;
  /** At most this many steps (0: no limit). */
  maxSteps: number;
  /** Consider dropping existing indexes (not supported: see below). */
  dropExisting?: boolean;
  /** EXPLAINs run at once. */
  parallelism: number;
  onStep?(step: ExtendStep): void;
}

export interface AdvisedIndex extends IndexSpec {
  name: string;
  /** Estimated size, bytes. */
  bytes: number;
  statement: string;
}

export interface IndexAdvice {
  indexes: AdvisedIndex[];
  /** Estimated workload cost with the existing indexes only, and with the advised ones too. */
  baseCost: number;
  finalCost: number;
  /** baseCost / finalCost. */
  improvement: number;
  steps: ExtendStep[];
  stoppedBy: 'no-improvement' | 'max-steps';
  queries: number;
  /** Indexable columns found (single-column candidates before removing those existing indexes serve). */
  candidates: number;
  whatIf: WhatIfStats;
  seconds: number;
  notices: string[];
}

export async function adviseIndexes(options: IndexAdviceOptions): Promise<IndexAdvice> {
  const started = performance.now();
  const { engine } = options;
  if (options.queries.length === 0) throw new PilotScopeError('USAGE', 'Index advice needs a training workload with at least one query.');
  if (options.dropExisting) {
    throw new PilotScopeError(
      'USAGE',
      'Considering drops of existing indexes is not supported: costing a configuration without an existing index needs hypopg_hide_index (hypopg 1.4 or later), ' +
        "and this project's hypopg 1.3.1 lacks it; dropping real indexes to cost the alternative would lock the tables. Existing indexes are kept; leave drop_existing off.",
    );
  }
  if (!engine.listIndexes) throw new PilotScopeError('ENGINE_UNSUPPORTED_OPERATOR', `Index advice needs an engine with indexes; ${engine.name} has none.`);
  const dialect = engine.capabilities.dialect;
  const columns = workloadColumns(options.queries, await engine.schema(), dialect);
  const existing = await engine.listIndexes();
  const costs = new WhatIfCosts(engine, columns.queries, options.parallelism);
  let result;
  try {
    result = await extend(columns.indexable, existing, costs, {
      budgetBytes: options.budgetMb * 1e6,
      maxWidth: options.maxWidth,
      minImprovement: options.minImprovement,
      maxSteps: options.maxSteps,
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
  } finally {
    await costs.clear(); // the planner sees real indexes only again, also after a failure
  }
  const indexes = result.indexes.map(({ index, bytes }): AdvisedIndex => {
    const name = advisedIndexName(index);
    const statement = `CREATE INDEX ${quoteIdent(name, dialect)} ON ${quoteIdent(index.table, dialect)} (${index.columns.map((c) => quoteIdent(c, dialect)).join(', ')});`;
    return { table: index.table, columns: index.columns, name, bytes, statement };
  });
  return {
    indexes,
    baseCost: result.baseCost,
    finalCost: result.finalCost,
    improvement: result.baseCost / result.finalCost,
    steps: result.steps,
    stoppedBy: result.stoppedBy,
    queries: options.queries.length,
    candidates: columns.indexable.length,
    whatIf: costs.stats,
    seconds: (performance.now() - started) / 1000,
    notices: columns.notices,
  };
}

/** pilotscope_<table>_<columns>, cut to PostgreSQL's 63-byte identifier limit. */
export function advisedIndexName(index: IndexSpec): string {
  return `pilotscope_${index.table}_${index.columns.join('_')}`.slice(0, 63);
}

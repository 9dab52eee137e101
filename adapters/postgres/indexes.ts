/**
 * The set of indexes the planner sees: real indexes (CREATE/DROP, dropped definitions kept so they
 * can be restored) or hypothetical ones (hypopg, which is per connection: every pooled connection
 * is brought to the current hypothetical set before it runs a statement).
 */
import type pg from 'pg';
import type { ExistingIndex, IndexOptions, IndexSpec } from '../../src/engine/types.js';
import { PilotScopeError } from '../../src/errors.js';
import { quoteIdent } from './connection.js';

export interface IndexHost {
  withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

interface HypotheticalState {
  version: number;
  indexes: readonly IndexSpec[];
  hideOthers: boolean;
}

/** Indexes that back a constraint (primary key, unique, exclusion) are never dropped or hidden. */
const DROPPABLE_INDEXES = `
SELECT i.indexrelid::regclass::text AS name, i.indexrelid AS oid, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = ANY (current_schemas(false))
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`;

export class IndexManager {
  private hypothetical: HypotheticalState = { version: 0, indexes: [], hideOthers: false };
  private readonly appliedVersion = new WeakMap<pg.PoolClient, number>();
  /** Definitions of real indexes this process dropped, to restore them. */
  private readonly dropped = new Map<string, string>();
  private hideSupported?: boolean;

  constructor(private readonly host: IndexHost) {}

  async set(indexes: readonly IndexSpec[], options: IndexOptions): Promise<void> {
    for (const index of indexes) validate(index);
    if (options.hypothetical) {
      if (options.dropOthers && !(await this.host.withClient((client) => this.canHide(client)))) {
        throw new PilotScopeError(
          'DB_EXTENSION_MISSING',
          'Hiding existing indexes behind hypothetical ones needs hypopg 1.4 or later (hypopg_hide_index); this server has an older hypopg. ' +
            'Keep the existing indexes (dropOthers: false) or install a newer hypopg.',
        );
      }
      this.hypothetical = { version: this.hypothetical.version + 1, indexes: [...indexes], hideOthers: Boolean(options.dropOthers) };
      return;
    }
    this.hypothetical = { version: this.hypothetical.version + 1, indexes: [], hideOthers: false };
    await this.host.withClient(async (client) => {
      const wanted = new Set(indexes.map(indexName));
      if (options.dropOthers) {
        for (const row of (await client.query<{ name: string; definition: string }>(DROPPABLE_INDEXES)).rows) {
          if (wanted.has(row.name)) continue;
          await client.query(`DROP INDEX ${row.name}`);
          this.dropped.set(row.name, row.definition);
        }
      }
      for (const index of indexes) {
        await client.query(`CREATE INDEX IF NOT EXISTS ${quoteIdent(indexName(index))} ON ${quoteIdent(index.table)} (${index.columns.map(quoteIdent).join(', ')})`);
      }
    });
  }

  /** Recreates the real indexes this process dropped. */
  async restoreDropped(): Promise<string[]> {
    const restored: string[] = [];
    await this.host.withClient(async (client) => {
      for (const [name, definition] of this.dropped) {
        await client.query(definition.replace(/^CREATE (UNIQUE )?INDEX /, (m) => `${m}IF NOT EXISTS `));
        restored.push(name);
      }
    });
    this.dropped.clear();
    return restored;
  }

  /** Brings a connection's hypopg state to the current hypothetical set. */
  async syncHypothetical(client: pg.PoolClient): Promise<void> {
    const state = this.hypothetical;
    if ((this.appliedVersion.get(client) ?? 0) === state.version) return;
    if (state.version > 0) {
      await client.query('SELECT hypopg_reset()');
      if (await this.canHide(client)) {
        await client.query('SELECT hypopg_unhide_all_indexes()');
        if (state.hideOthers) await client.query(`SELECT hypopg_hide_index(oid) FROM (${DROPPABLE_INDEXES}) d`);
      }
      for (const index of state.indexes) {
        await client.query('SELECT * FROM hypopg_create_index($1)', [createStatement(index)]);
      }
    }
    this.appliedVersion.set(client, state.version);
  }

  private async canHide(client: pg.PoolClient): Promise<boolean> {
    this.hideSupported ??= (await client.query("SELECT 1 FROM pg_proc WHERE proname = 'hypopg_hide_index'")).rowCount === 1;
    return this.hideSupported;
  }

  /**
   * Estimated size in bytes of each index if it were built (hypopg_relation_size). Each index is
   * created hypothetically and dropped again on one connection, leaving its hypothetical set as it was.
   */
  async estimateSizes(indexes: readonly IndexSpec[]): Promise<number[]> {
    for (const index of indexes) validate(index);
    return this.host.withClient(async (client) => {
      const sizes: number[] = [];
      for (const index of indexes) {
        const created = await client.query<{ indexrelid: number }>('SELECT indexrelid FROM hypopg_create_index($1)', [createStatement(index)]);
        const oid = created.rows[0]!.indexrelid;
        try {
          sizes.push(Number((await client.query<{ size: string }>('SELECT hypopg_relation_size($1) AS size', [oid])).rows[0]!.size));
        } finally {
          await client.query('SELECT hypopg_drop_index($1)', [oid]);
        }
      }
      return sizes;
    });
  }

  /** The real indexes on tables of the search path, with their key columns (expression keys as null). */
  async list(): Promise<ExistingIndex[]> {
    return this.host.withClient((client) => listIndexes(client));
  }

  /** Drops real indexes by name; indexes that back a constraint are refused, missing ones ignored. */
  async drop(indexes: readonly IndexSpec[]): Promise<string[]> {
    for (const index of indexes) validate(index);
    const names = indexes.map(indexName);
    return this.host.withClient(async (client) => {
      const existing = new Map((await listIndexes(client)).map((i) => [i.name, i]));
      const refused = names.filter((n) => existing.get(n)?.constraint);
      if (refused.length) {
        throw new PilotScopeError('USAGE', `${refused.join(', ')} back(s) a primary key, unique or exclusion constraint and cannot be dropped as an index; drop the constraint instead.`);
      }
      const dropped: string[] = [];
      for (const name of names) {
        if (!existing.has(name)) continue;
        await client.query(`DROP INDEX IF EXISTS ${quoteIdent(name)}`);
        dropped.push(name);
      }
      return dropped;
    });
  }

  /** Estimated sizes in bytes of the current hypothetical indexes, in the order given to set(). */
  async hypotheticalSizes(): Promise<number[]> {
    return this.host.withClient(async (client) => {
      const rows = (await client.query<{ size: string }>('SELECT hypopg_relation_size(indexrelid) AS size FROM hypopg_list_indexes ORDER BY indexrelid')).rows;
      return rows.map((r) => Number(r.size));
    });
  }
}

/** Every index on a table of the search path; key columns in order (null for an expression key). */
const EXISTING_INDEXES = `
SELECT ic.relname AS name, t.relname AS table, i.indisunique AS is_unique,
       EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) AS is_constraint,
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
             LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0
             ORDER BY k.ord) AS columns
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = ANY (current_schemas(false)) AND t.relkind IN ('r', 'p', 'm')
ORDER BY t.relname, ic.relname`;

async function listIndexes(client: pg.PoolClient): Promise<ExistingIndex[]> {
  const rows = (await client.query<{ name: string; table: string; columns: Array<string | null>; is_unique: boolean; is_constraint: boolean }>(EXISTING_INDEXES)).rows;
  return rows.map((r) => ({
    name: r.name,
    table: r.table,
    columns: r.columns.filter((c): c is string => c !== null),
    expression: r.columns.includes(null),
    unique: r.is_unique,
    constraint: r.is_constraint,
  }));
}

function createStatement(index: IndexSpec): string {
  return `CREATE INDEX ON ${quoteIdent(index.table)} (${index.columns.map(quoteIdent).join(', ')})`;
}

export function indexName(index: IndexSpec): string {
  return index.name ?? `pilotscope_${index.table}_${index.columns.join('_')}`.slice(0, 63);
}

function validate(index: IndexSpec): void {
  if (!index.table || index.columns.length === 0 || index.columns.some((c) => !c)) {
    throw new PilotScopeError('USAGE', `An index needs a table and at least one column; got ${JSON.stringify(index)}.`);
  }
}

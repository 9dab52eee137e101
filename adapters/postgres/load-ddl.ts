/** PostgreSQL DDL for engine-neutral table schemas (generated datasets). */
import type { ColumnType, TableSchema } from '../../src/datasets/types.js';
import { quoteIdent } from './connection.js';

const PG_TYPES: Record<ColumnType, string> = {
  smallint: 'smallint',
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  numeric: 'numeric',
  boolean: 'boolean',
  text: 'text',
  date: 'date',
  timestamp: 'timestamp',
};

/** CREATE TABLE without keys: keys and indexes are added after the rows (much faster). */
export function createTableSql(table: TableSchema): string {
  const columns = table.columns.map((c) => `${quoteIdent(c.name)} ${PG_TYPES[c.type]}${c.nullable === false ? ' NOT NULL' : ''}`);
  return `CREATE TABLE ${quoteIdent(table.name)} (${columns.join(', ')})`;
}

const list = (names: readonly string[]) => names.map(quoteIdent).join(', ');

/** Primary keys, then indexes, then foreign keys (validated against the loaded rows). */
export function constraintSql(tables: readonly TableSchema[]): string[] {
  const statements: string[] = [];
  for (const t of tables) {
    if (t.primaryKey?.length) statements.push(`ALTER TABLE ${quoteIdent(t.name)} ADD PRIMARY KEY (${list(t.primaryKey)})`);
  }
  for (const t of tables) {
    for (const index of t.indexes ?? []) statements.push(`CREATE INDEX ${quoteIdent(index.name)} ON ${quoteIdent(t.name)} (${list(index.columns)})`);
  }
  for (const t of tables) {
    for (const [i, fk] of (t.foreignKeys ?? []).entries()) {
      statements.push(
        `ALTER TABLE ${quoteIdent(t.name)} ADD CONSTRAINT ${quoteIdent(`${t.name}_fk${i + 1}_${fk.columns.join('_')}`)} ` +
          `FOREIGN KEY (${list(fk.columns)}) REFERENCES ${quoteIdent(fk.table)} (${list(fk.references)})`,
      );
    }
  }
  return statements;
}

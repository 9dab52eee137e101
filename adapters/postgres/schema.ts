/** schema(): tables, columns, kinds, exact row counts and numeric ranges, from the catalog and one scan per table. */
import type pg from 'pg';
import type { ColumnInfo, ColumnKind, SchemaInfo, TableInfo } from '../../src/engine/types.js';
import { quoteIdent } from './connection.js';

interface ColumnRow {
  table: string;
  column: string;
  type: string;
  category: string;
  n_distinct: number | null;
  null_frac: number | null;
  reltuples: number;
}

const COLUMNS_QUERY = `
SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category,
       s.n_distinct, s.null_frac, c.reltuples
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname AND s.attname = a.attname
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (current_schemas(false)) AND c.relname NOT LIKE 'pilotscope\\_%'
ORDER BY c.relname, a.attnum`;

export async function readSchema(client: pg.ClientBase): Promise<SchemaInfo> {
  const rows = (await client.query<ColumnRow>(COLUMNS_QUERY)).rows;
  const byTable = new Map<string, ColumnRow[]>();
  for (const row of rows) byTable.set(row.table, [...(byTable.get(row.table) ?? []), row]);
  const tables: TableInfo[] = [];
  for (const [name, columns] of byTable) tables.push(await describeTable(client, name, columns));
  return { tables };
}

async function describeTable(client: pg.ClientBase, name: string, rows: ColumnRow[]): Promise<TableInfo> {
  const columns: ColumnInfo[] = rows.map((r) => {
    const info: ColumnInfo = { name: r.column, kind: columnKind(r.type, r.category), nativeType: r.type };
    if (r.null_frac !== null) info.nullFraction = Number(r.null_frac);
    if (r.n_distinct !== null) {
      const nd = Number(r.n_distinct);
      info.distinct = nd >= 0 ? nd : Math.round(-nd * Math.max(0, Number(r.reltuples)));
    }
    return info;
  });
  const ranged = columns.filter((c) => c.kind === 'integer' || c.kind === 'float' || c.kind === 'date' || c.kind === 'timestamp');
  const aggregates = ['count(*)::float8 AS n', ...ranged.flatMap((c, i) => [`${asNumber(c, 'min')} AS min${i}`, `${asNumber(c, 'max')} AS max${i}`])];
  const result = (await client.query(`SELECT ${aggregates.join(', ')} FROM ${quoteIdent(name)}`)).rows[0] as Record<string, number | null>;
  ranged.forEach((c, i) => {
    if (result[`min${i}`] !== null) c.min = Number(result[`min${i}`]);
    if (result[`max${i}`] !== null) c.max = Number(result[`max${i}`]);
  });
  return { name, rowCount: Number(result.n), columns };
}

/** min/max of a column as a number: dates and timestamps as epoch seconds. */
function asNumber(column: ColumnInfo, aggregate: 'min' | 'max'): string {
  const value = `${aggregate}(${quoteIdent(column.name)})`;
  return column.kind === 'date' || column.kind === 'timestamp' ? `extract(epoch FROM ${value})::float8` : `${value}::float8`;
}

export function columnKind(type: string, category: string): ColumnKind {
  if (/^(smallint|integer|bigint)$/.test(type)) return 'integer';
  if (category === 'N') return 'float';
  if (type === 'date') return 'date';
  if (type.startsWith('timestamp')) return 'timestamp';
  if (category === 'S') return 'text';
  if (category === 'B') return 'boolean';
  return 'other';
}

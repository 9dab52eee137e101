/** schema(): tables and column types from the catalog, exact row counts, ranges and distinct counts from one scan per table. */
import type { ColumnInfo, ColumnKind, TableInfo } from '../../src/engine/types.js';
import { quoteIdentifier, type SparkConnection } from './client.js';

/** The database's permanent tables. */
export async function listTables(connection: SparkConnection): Promise<string[]> {
  const { rows } = await connection.execute('SHOW TABLES', { fetch: true });
  return rows.filter((r) => r.isTemporary !== true).map((r) => String(r.tableName)).sort();
}

export async function describeTable(connection: SparkConnection, table: string): Promise<TableInfo> {
  const { rows } = await connection.execute(`DESCRIBE TABLE ${quoteIdentifier(table)}`, { fetch: true });
  const columns: ColumnInfo[] = [];
  for (const row of rows) {
    const name = String(row.col_name ?? '');
    if (name === '' || name.startsWith('#')) break; // partition and detail sections follow
    const nativeType = String(row.data_type);
    columns.push({ name, kind: columnKind(nativeType), nativeType });
  }
  const ranged = columns.filter((c) => c.kind === 'integer' || c.kind === 'float' || c.kind === 'date' || c.kind === 'timestamp');
  const aggregates = [
    'count(*) AS n',
    ...columns.flatMap((c, i) => [`count(${quoteIdentifier(c.name)}) AS nn${i}`, `approx_count_distinct(${quoteIdentifier(c.name)}) AS d${i}`]),
    ...ranged.flatMap((c, i) => [`${asNumber(c, 'min')} AS min${i}`, `${asNumber(c, 'max')} AS max${i}`]),
  ];
  const result = (await connection.execute(`SELECT ${aggregates.join(', ')} FROM ${quoteIdentifier(table)}`, { fetch: true })).rows[0] ?? {};
  const rowCount = Number(result.n ?? 0);
  columns.forEach((c, i) => {
    c.distinct = Number(result[`d${i}`] ?? 0);
    c.nullFraction = rowCount > 0 ? 1 - Number(result[`nn${i}`] ?? 0) / rowCount : 0;
  });
  ranged.forEach((c, i) => {
    if (result[`min${i}`] !== null && result[`min${i}`] !== undefined) c.min = Number(result[`min${i}`]);
    if (result[`max${i}`] !== null && result[`max${i}`] !== undefined) c.max = Number(result[`max${i}`]);
  });
  return { name: table, rowCount, columns };
}

/** min/max as a number: dates and timestamps as epoch seconds. */
function asNumber(column: ColumnInfo, aggregate: 'min' | 'max'): string {
  const value = `${aggregate}(${quoteIdentifier(column.name)})`;
  if (column.kind === 'date') return `CAST(unix_date(${value}) AS DOUBLE) * 86400`;
  if (column.kind === 'timestamp') return `CAST(unix_micros(CAST(${value} AS TIMESTAMP)) AS DOUBLE) / 1e6`;
  return `CAST(${value} AS DOUBLE)`;
}

export function columnKind(type: string): ColumnKind {
  const t = type.toLowerCase();
  if (/^(tinyint|smallint|int|integer|bigint|byte|short|long)$/.test(t)) return 'integer';
  if (/^(float|double|real|decimal|numeric)/.test(t)) return 'float';
  if (/^(string|varchar|char)/.test(t)) return 'text';
  if (t === 'date') return 'date';
  if (t.startsWith('timestamp')) return 'timestamp';
  if (t === 'boolean') return 'boolean';
  return 'other';
}

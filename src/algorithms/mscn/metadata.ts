/**
 * The MSCN model's vocabularies and column domains, from the training relation sets and the
 * training database: only the columns the training filters use are looked at (upstream counted
 * distinct values of every column of every table). Numeric, date and timestamp columns take
 * their range from the engine's schema; text columns get a sorted dictionary of (at most
 * DICTIONARY_LIMIT, a deterministic sample beyond that) distinct values, so a string literal
 * becomes its rank.
 */
import type { ColumnInfo, Engine, SchemaInfo } from '../../engine/types.js';
import type { MscnColumnMetadata, MscnMetadataInput, RelSetSpec } from '../../native/index.js';
import { quoteIdent } from '../../sql/index.js';
import { MSCN_OPERATORS, vocabularyOf } from './features.js';

export const DICTIONARY_LIMIT = 20000;

export interface MetadataOptions {
  hidden: number;
  seed: number;
}

export async function buildMscnMetadata(specs: readonly RelSetSpec[], engine: Engine, options: MetadataOptions): Promise<MscnMetadataInput> {
  const vocabulary = vocabularyOf(specs);
  const schema = await engine.schema();
  const columns: MscnColumnMetadata[] = [];
  for (const name of [...vocabulary.columns].sort()) columns.push(await columnMetadata(name, schema, engine));
  return {
    tables: [...vocabulary.tables].sort(),
    columns,
    joins: [...vocabulary.joins].sort(),
    operators: [...MSCN_OPERATORS],
    hidden: options.hidden,
    seed: options.seed,
  };
}

function findColumn(schema: SchemaInfo, table: string, column: string): ColumnInfo | undefined {
  return schema.tables.find((t) => t.name === table)?.columns.find((c) => c.name === column);
}

async function columnMetadata(name: string, schema: SchemaInfo, engine: Engine): Promise<MscnColumnMetadata> {
  const dot = name.indexOf('.');
  const table = name.slice(0, dot);
  const column = name.slice(dot + 1);
  const info = findColumn(schema, table, column);
  if (info && info.kind !== 'text' && info.min !== undefined && info.max !== undefined && info.min <= info.max) {
    return { name, min: info.min, max: info.max };
  }
  if (info?.kind === 'text') {
    const strings = await textDictionary(engine, table, column);
    if (strings.length > 0) return { name, min: 0, max: strings.length - 1, strings };
  }
  // Unknown column, empty table, or a kind without a numeric view: a neutral range.
  return { name, min: 0, max: 1 };
}

/** Sorted distinct values (code-unit order, as the encoder's binary search expects). */
async function textDictionary(engine: Engine, table: string, column: string): Promise<string[]> {
  const dialect = engine.capabilities.dialect;
  const col = quoteIdent(column, dialect);
  const sql =
    `SELECT v FROM (SELECT DISTINCT ${col} AS v FROM ${quoteIdent(table, dialect)} WHERE ${col} IS NOT NULL) d ` +
    `ORDER BY md5(v) LIMIT ${DICTIONARY_LIMIT}`;
  const data = await engine.run({ sql, pull: { records: true } });
  const values = (data.records ?? []).map((r) => String(r.v));
  return values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

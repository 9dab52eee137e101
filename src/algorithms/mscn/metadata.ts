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
import { columnQuantiles, QuantileTransform, type QuantileTable } from './quantiles.js';

export const DICTIONARY_LIMIT = 20000;

export interface MetadataOptions {
  hidden: number;
  seed: number;
}

export interface MscnFeaturization {
  metadata: MscnMetadataInput;
  /** Numeric columns featurized by quantile position (their metadata range is then [0, 1]). */
  transform: QuantileTransform;
}

export async function buildMscnMetadata(specs: readonly RelSetSpec[], engine: Engine, options: MetadataOptions): Promise<MscnFeaturization> {
  const vocabulary = vocabularyOf(specs);
  const schema = await engine.schema();
  const columns: MscnColumnMetadata[] = [];
  const quantiles: QuantileTable = {};
  for (const name of [...vocabulary.columns].sort()) {
    const column = await columnMetadata(name, schema, engine);
    const kind = kindOf(name, schema);
    const numeric = kind === 'integer' || kind === 'float' || kind === 'date' || kind === 'timestamp';
    if (column.strings === undefined && numeric && engine.capabilities.dialect === 'postgresql') {
      const dot = name.indexOf('.');
      const q = await columnQuantiles(engine, name.slice(0, dot), name.slice(dot + 1), kind === 'date' || kind === 'timestamp');
      if (q.length > 1) {
        quantiles[name] = q;
        columns.push({ name, min: 0, max: 1 });
        continue;
      }
    }
    columns.push(column);
  }
  return {
    metadata: {
      tables: [...vocabulary.tables].sort(),
      columns,
      joins: [...vocabulary.joins].sort(),
      operators: [...MSCN_OPERATORS],
      hidden: options.hidden,
      seed: options.seed,
    },
    transform: new QuantileTransform(quantiles),
  };
}

function kindOf(name: string, schema: SchemaInfo): ColumnInfo['kind'] | undefined {
  const dot = name.indexOf('.');
  return findColumn(schema, name.slice(0, dot), name.slice(dot + 1))?.kind;
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

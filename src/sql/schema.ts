/**
 * The optional schema used to resolve unqualified columns (and, when it has types, to accept
 * harmless casts of columns): either `{ table: [columns] }` or an engine's SchemaInfo.
 */
import type { ColumnKind, SchemaInfo } from '../engine/types.js';
import { PilotScopeError } from '../errors.js';

export type SchemaColumns = Readonly<Record<string, readonly string[]>>;
export type AnalysisSchema = SchemaColumns | SchemaInfo;

/** table -> column -> kind ('other' when only names are known). */
export type ResolvedSchema = ReadonlyMap<string, ReadonlyMap<string, ColumnKind | undefined>>;

const resolved = new WeakMap<object, ResolvedSchema>();

function isSchemaInfo(schema: AnalysisSchema): schema is SchemaInfo {
  return Array.isArray((schema as SchemaInfo).tables);
}

export function resolveSchema(schema: AnalysisSchema): ResolvedSchema {
  const cached = resolved.get(schema);
  if (cached) return cached;
  const out = new Map<string, Map<string, ColumnKind | undefined>>();
  if (isSchemaInfo(schema)) {
    for (const t of schema.tables) {
      if (typeof t?.name !== 'string' || !Array.isArray(t.columns)) {
        throw new PilotScopeError('USAGE', 'schema.tables must hold { name, columns: [{ name, kind }] } entries', { table: t?.name });
      }
      out.set(t.name, new Map(t.columns.map((c) => [c.name, c.kind])));
    }
  } else {
    for (const [table, columns] of Object.entries(schema)) {
      if (!Array.isArray(columns) || columns.some((c) => typeof c !== 'string')) {
        throw new PilotScopeError('USAGE', `schema entry "${table}" must be an array of column names`, { table });
      }
      out.set(table, new Map(columns.map((c) => [c, undefined])));
    }
  }
  resolved.set(schema, out);
  return out;
}

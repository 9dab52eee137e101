/**
 * One analysis per query for the learned presets: the query graph and its relation sets, or the
 * reason the analysis cannot represent the query (the preset then steps aside for it).
 */
import type { SchemaInfo } from '../../engine/types.js';
import { isPilotScopeError } from '../../errors.js';
import { analyze, enumerateRelationSets, type QueryGraph, type RelationSet } from '../../sql/index.js';

export type QueryAnalysis =
  | { ok: true; graph: QueryGraph; sets: RelationSet[] }
  | { ok: false; reason: string; /** A short category for counting ("unsupported: outer-join", "parse error", ...). */ category: string };

export function analyzeQuery(sql: string, dialect: 'postgresql' | 'spark', schema?: SchemaInfo): QueryAnalysis {
  let graph: QueryGraph;
  try {
    graph = analyze(sql, { dialect, ...(schema ? { schema } : {}) });
  } catch (err) {
    if (isPilotScopeError(err, 'SQL_PARSE_ERROR')) return { ok: false, category: 'parse error', reason: `the SQL analysis cannot parse it: ${err.message}` };
    throw err;
  }
  if (!graph.supported) {
    const first = graph.unsupported[0]!;
    const all = graph.unsupported.map((u) => `${u.construct}: ${u.reason}`).join('; ');
    return { ok: false, category: `unsupported: ${first.construct}`, reason: `the SQL analysis cannot represent it (${all})` };
  }
  try {
    const enumeration = enumerateRelationSets(graph);
    if (!enumeration.complete) return { ok: false, category: 'too many relation sets', reason: enumeration.warnings.join('; ') };
    return { ok: true, graph, sets: enumeration.sets };
  } catch (err) {
    if (isPilotScopeError(err, 'SQL_UNSUPPORTED')) return { ok: false, category: 'too many relations', reason: err.message };
    throw err;
  }
}

/** Table name of each alias of a graph. */
export function tablesByAlias(graph: QueryGraph): Map<string, string> {
  return new Map(graph.relations.map((r) => [r.alias, r.table]));
}

/**
 * The entry point: parse once, build the query graph, and keep it in a small LRU cache keyed by
 * the SQL text, so featurizers and engines asking about the same query never parse it again.
 */
import { PilotScopeError } from '../errors.js';
import { buildGraph, statementGraph, tooDeepGraph } from './build-graph.js';
import type { QueryGraph } from './graph.js';
import { tokenize, type Dialect } from './lexer.js';
import { parseTokens } from './parser.js';
import { resolveSchema, type AnalysisSchema } from './schema.js';

export interface AnalyzeOptions {
  /** How to read the SQL text (default 'postgresql'). */
  dialect?: Dialect;
  /** Table columns, to resolve unqualified columns in multi-table queries (and typed: casts). */
  schema?: AnalysisSchema;
}

/** Graphs are shared between callers: treat them as read-only. */
export function analyze(sql: string, options: AnalyzeOptions = {}): QueryGraph {
  if (typeof sql !== 'string') throw new PilotScopeError('USAGE', `analyze() needs the SQL text as a string, got ${typeof sql}`);
  const dialect = options.dialect ?? 'postgresql';
  const cache = cacheFor(options.schema);
  const key = `${dialect}\u0000${sql}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const graph = analyzeUncached(sql, options);
  cache.set(key, graph);
  return graph;
}

/** Parses and builds the graph every time (for benchmarks and one-off use). */
export function analyzeUncached(sql: string, options: AnalyzeOptions = {}): QueryGraph {
  const dialect = options.dialect ?? 'postgresql';
  if (dialect !== 'postgresql' && dialect !== 'spark') {
    throw new PilotScopeError('USAGE', `dialect must be 'postgresql' or 'spark', got ${JSON.stringify(dialect)}`);
  }
  const schema = options.schema ? resolveSchema(options.schema) : undefined;
  const tokens = tokenize(sql, dialect);
  const first = tokens[0]!;
  if (first.kind === 'word' && !['select', 'with', 'values'].includes(first.value)) {
    return statementGraph(sql, dialect, first.value, first.start);
  }
  let stmt;
  try {
    stmt = parseTokens(sql, tokens, dialect);
  } catch (err) {
    if (err instanceof RangeError) {
      throw new PilotScopeError('SQL_PARSE_ERROR', 'The statement nests too deeply to parse; simplify it.', {}, { cause: err });
    }
    throw err;
  }
  try {
    return buildGraph(sql, stmt, dialect, schema);
  } catch (err) {
    // Parsing bounds nesting, but a chain of 100,000 joins or casts is still a very deep tree.
    if (err instanceof RangeError) return tooDeepGraph(sql, dialect);
    throw err;
  }
}

/** Graphs kept (a workload of ~1000 queries fits; each memoized relation set costs about 1 KB). */
const CAPACITY = 1024;

/** A least-recently-used map (Map keeps insertion order; a hit re-inserts). */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  clear(): void {
    this.map.clear();
  }
}

const plainCache = new Lru<QueryGraph>(CAPACITY);
const schemaCaches = new WeakMap<object, Lru<QueryGraph>>();

function cacheFor(schema: AnalysisSchema | undefined): Lru<QueryGraph> {
  if (!schema) return plainCache;
  let cache = schemaCaches.get(schema);
  if (!cache) schemaCaches.set(schema, (cache = new Lru<QueryGraph>(CAPACITY)));
  return cache;
}

/** Empties the cache of graphs analyzed without a schema. */
export function clearAnalysisCache(): void {
  plainCache.clear();
}

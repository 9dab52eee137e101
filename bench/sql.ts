/**
 * SQL analysis speed on stats_tiny's 1000 training queries, without the analysis cache: parse
 * (lex, parse, build the graph), enumerate the relation sets, render every set's sub-query SQL
 * (postgresql dialect). Each query is timed over several rounds; its time is the median of its
 * rounds, and the figures are the median and p95 over queries.
 *
 *   npm run bench -- sql [rounds]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze, analyzeUncached } from '../src/sql/analyze.js';
import { enumerateRelationSets, enumerateUncached } from '../src/sql/enumerate.js';
import { subquerySql } from '../src/sql/subquery.js';
import { median, quantile, type BenchContext } from './harness.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function now(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

export default async function (ctx: BenchContext): Promise<void> {
  const file = path.resolve(repoRoot, '..', 'shared', 'datasets', 'stats_tiny', 'train.sql');
  const queries = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const rounds = Number(ctx.args[0] ?? 15);
  const stages = ['parse', 'enumerate', 'subquery', 'total'] as const;
  const samples = stages.map(() => queries.map(() => [] as number[]));
  const setsPerQuery = queries.map(() => 0);
  let chars = 0;

  const warmup = 3;
  for (let round = 0; round < warmup + rounds; round++) {
    for (let q = 0; q < queries.length; q++) {
      const t0 = now();
      const graph = analyzeUncached(queries[q]!);
      const t1 = now();
      const enumeration = enumerateUncached(graph);
      const t2 = now();
      for (const s of enumeration.sets) chars += subquerySql(graph, s, 'postgresql').length;
      const t3 = now();
      if (round < warmup) continue;
      samples[0]![q]!.push(t1 - t0);
      samples[1]![q]!.push(t2 - t1);
      samples[2]![q]!.push(t3 - t2);
      samples[3]![q]!.push(t3 - t0);
      setsPerQuery[q] = enumeration.sets.length;
    }
  }

  // Side by side: the cached path callers normally take (analyze() hit + memoized enumeration).
  const cachedSamples = queries.map(() => [] as number[]);
  for (const q of queries) enumerateRelationSets(analyze(q));
  for (let round = 0; round < rounds; round++) {
    for (let q = 0; q < queries.length; q++) {
      const t0 = now();
      enumerateRelationSets(analyze(queries[q]!));
      cachedSamples[q]!.push(now() - t0);
    }
  }
  const cached = cachedSamples.map((s) => median(s));

  const perQuery = samples.map((stage) => stage.map((s) => median(s)));
  const [parse, enumerate, subquery, total] = perQuery as [number[], number[], number[], number[]];
  const sets = setsPerQuery.reduce((a, b) => a + b, 0);
  ctx.note(`${queries.length} queries, ${sets} relation sets, ${rounds} timed rounds after ${warmup} warm-up rounds; ${chars} characters of SQL rendered`);
  ctx.note(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  ctx.figure('sql_analyze_us_per_query', median(total), 'us', 'median over queries of parse + enumerate + sub-query SQL');
  ctx.figure('sql_analyze_us_per_query_p95', quantile(total, 0.95), 'us');
  ctx.figure('sql_parse_us_per_query', median(parse), 'us', 'lex + parse + query graph');
  ctx.figure('sql_enumerate_us_per_query', median(enumerate), 'us');
  ctx.figure('sql_subquery_sql_us_per_query', median(subquery), 'us', 'all relation sets of the query');
  ctx.figure('sql_analyze_cached_us_per_query', median(cached), 'us', 'analyze() cache hit + memoized enumeration (no SQL rendering)');
  ctx.figure('sql_uncached_over_cached', median(total) / median(cached), 'x');
  ctx.figure('sql_subquery_sql_us_per_set', median(subquery.map((us, q) => us / setsPerQuery[q]!)), 'us');
}

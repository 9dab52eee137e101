/**
 * Parsers of Spark's plan text, on EXPLAIN output captured from a real Spark 3.5.9 Thrift Server
 * with the stats_tiny tables (test/fixtures/spark; the SQL of each is in queries.sql).
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { countBatchRows, estimatedCost, parseExplainCost, parseExplainFormatted, type LogicalNode } from '../adapters/spark/explain.js';
import { parseSize, parseStatistics, parseTextTree } from '../adapters/spark/plan-text.js';
import { formatJoinTree, joinTreeOf, joinTreeTables, toPlanTree } from '../adapters/spark/plan-tree.js';
import type { PlanNode } from '../src/engine/types.js';
import { REPO_ROOT } from './helpers/paths.js';

const fixture = (name: string) => fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'spark', name), 'utf8');

test('statistics: sizes with binary units and row counts in scientific notation', (t) => {
  t.deepEqual(parseStatistics('Project, Statistics(sizeInBytes=9.4 KiB, rowCount=1.20E+3)'), { sizeInBytes: 9.4 * 1024, rowCount: 1200 });
  t.deepEqual(parseStatistics('Aggregate [count(1)], Statistics(sizeInBytes=16.0 B, rowCount=1)'), { sizeInBytes: 16, rowCount: 1 });
  t.deepEqual(parseStatistics('Relation t[a#1] parquet, Statistics(sizeInBytes=7.99E+4 MiB, rowCount=7.99E+4)'), { sizeInBytes: 7.99e4 * 2 ** 20, rowCount: 79900 });
  t.deepEqual(parseStatistics('Relation t[a#1] parquet, Statistics(sizeInBytes=1.2 KiB)'), { sizeInBytes: 1.2 * 1024 });
  t.is(parseStatistics('Project [a#1]'), undefined);
  t.is(parseSize('8.0 EiB'), 8 * 2 ** 60);
  t.is(parseSize('1584.0 B'), 1584);
  t.true(Number.isNaN(parseSize('lots')));
});

test('text trees: ":- " and "+- " markers give the nesting', (t) => {
  const tree = parseTextTree(['A', '+- B', '   :- C', '   :  +- D', '   +- E', '      +- F', '', 'ignored'])!;
  const shape = (n: { text: string; children: Array<{ text: string; children: unknown[] }> }): unknown =>
    n.children.length ? [n.text, ...n.children.map((c) => shape(c as never))] : n.text;
  t.deepEqual(shape(tree), ['A', ['B', ['C', 'D'], ['E', 'F']]]);
});

test('EXPLAIN COST: operators, tables and statistics of the optimized logical plan', (t) => {
  const plan = parseExplainCost(fixture('q1-cost.txt'));
  t.is(plan.operator, 'Aggregate');
  t.is(plan.stats?.rowCount, 1);
  const joins: LogicalNode[] = [];
  const tables: string[] = [];
  const walk = (n: LogicalNode) => {
    if (n.operator === 'Join') joins.push(n);
    if (n.table) tables.push(n.table);
    n.children.forEach(walk);
  };
  walk(plan);
  t.is(joins.length, 4);
  t.deepEqual(joins.map((j) => j.stats?.rowCount), [1200, 1140, 1050, 569]);
  t.deepEqual(tables, ['comments', 'votes', 'posthistory', 'badges', 'users']);
  t.is(joins[0]!.stats!.sizeInBytes, Math.round(18.8 * 1024 * 10) / 10);
});

test('estimated cost is the sum of join and filtered base-relation rows', (t) => {
  const plan = parseExplainCost(fixture('q1-cost.txt'));
  // joins 1200 + 1140 + 1050 + 569; base outputs comments 132, votes 250, posthistory 136, badges 798, users 403
  t.is(estimatedCost(plan), 1200 + 1140 + 1050 + 569 + 132 + 250 + 136 + 798 + 403);
});

test('count(*) batches: one row estimate per UNION ALL branch, in order', (t) => {
  const rows = countBatchRows(parseExplainCost(fixture('union-cost.txt')));
  t.deepEqual(rows, [135, 770, 263, 0]);
});

test('EXPLAIN FORMATTED: operators, ids, codegen, scan tables and detail blocks', (t) => {
  const plan = parseExplainFormatted(fixture('q1-formatted.txt'));
  t.is(plan.operator, 'HashAggregate');
  t.is(plan.id, 34);
  t.true(plan.codegen);
  const join = plan.children[0]!.children[0]!.children[0]!.children[0]!;
  t.is(join.name, 'BroadcastHashJoin Inner BuildRight');
  t.is(join.details['Join type'], 'Inner');
  t.regex(join.details['Left keys']!, /^\[userid#\d+\]$/);
  const scans: string[] = [];
  const walk = (n: typeof plan) => {
    if (n.table) scans.push(n.table);
    n.children.forEach(walk);
  };
  walk(plan);
  t.deepEqual(scans, ['comments', 'votes', 'posthistory', 'badges', 'users']);
  const byId = (n: typeof plan, id: number): typeof plan | undefined => (n.id === id ? n : n.children.map((c) => byId(c, id)).find(Boolean));
  const filter = byId(plan, 3)!;
  t.is(filter.operator, 'Filter');
  t.regex(filter.details.Condition!, /score#\d+ = 0/);
});

test('join trees: order and methods as Spark will run them', (t) => {
  const q1 = joinTreeOf(parseExplainFormatted(fixture('q1-formatted.txt')))!;
  t.is(formatJoinTree(q1), '((((comments ⋈broadcast votes) ⋈broadcast posthistory) ⋈broadcast badges) ⋈broadcast users)');
  t.is(formatJoinTree(joinTreeOf(parseExplainFormatted(fixture('q2-formatted.txt')))!), '(users ⋈merge posts)');
  t.is(formatJoinTree(joinTreeOf(parseExplainFormatted(fixture('q3-formatted.txt')))!), '((users ⋈hash badges) ⋈nestloop tags)');
  t.deepEqual(joinTreeTables(joinTreeOf(parseExplainFormatted(fixture('q4-formatted.txt')))!), ['posts', 'posts']);
});

test('engine-neutral plan: pass-through operators dropped, filters folded into scans, rows and widths matched', (t) => {
  const tree = toPlanTree(parseExplainFormatted(fixture('q1-formatted.txt')), parseExplainCost(fixture('q1-cost.txt')));
  const types: string[] = [];
  const walk = (n: PlanNode, depth: number) => {
    types.push(`${' '.repeat(depth)}${n.nodeType}${n.relationName ? ` ${n.relationName}` : ''} ${n.rows}`);
    n.children.forEach((c) => walk(c, depth + 1));
  };
  walk(tree, 0);
  t.deepEqual(types, [
    'Aggregate 1',
    ' Exchange 1',
    '  Aggregate 1',
    '   Hash Join 1200',
    '    Hash Join 1140',
    '     Hash Join 1050',
    '      Hash Join 569',
    '       Broadcast 132',
    '        Seq Scan comments 132',
    '       Seq Scan votes 250',
    '      Broadcast 136',
    '       Seq Scan posthistory 136',
    '     Broadcast 798',
    '      Seq Scan badges 798',
    '    Broadcast 403',
    '     Seq Scan users 403',
  ]);
  // Width from the projection above the scan (one int column of 12 bytes incl. row overhead).
  const comments = tree.children[0]!.children[0]!.children[0]!.children[0]!.children[0]!.children[0]!.children[0]!.children[0]!;
  t.is(comments.relationName, 'comments');
  t.is(comments.width, 12);
});

test('engine-neutral plan of a self-join matches leaves by position', (t) => {
  const tree = toPlanTree(parseExplainFormatted(fixture('q4-formatted.txt')), parseExplainCost(fixture('q4-cost.txt')));
  const join = tree.children[0]!.children[0]!.children[0]!;
  t.is(join.nodeType, 'Hash Join');
  t.is(join.rows, 791);
  t.deepEqual(join.children.map((c) => c.rows), [785, 919]);
});

test('sort-merge plan with limit and grouped aggregate', (t) => {
  const tree = toPlanTree(parseExplainFormatted(fixture('q2-formatted.txt')), parseExplainCost(fixture('q2-cost.txt')));
  t.is(tree.nodeType, 'Limit');
  t.is(tree.rows, 5);
  const aggregate = tree.children[0]!;
  t.is(aggregate.nodeType, 'Aggregate');
  t.is(aggregate.rows, 372);
  const merge = aggregate.children[0]!.children[0]!;
  t.is(merge.nodeType, 'Merge Join');
  t.is(merge.rows, 494);
  t.deepEqual(merge.children.map((c) => c.nodeType), ['Sort', 'Sort']);
  t.deepEqual(merge.children.map((c) => c.rows), [390, 906]);
});

test('unreadable plan text is a clear error', (t) => {
  const err = t.throws(() => parseExplainCost('nothing here'));
  t.regex(err!.message, /Could not read the plan Spark printed for EXPLAIN COST/);
});

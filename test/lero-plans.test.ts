/** Unit tests of Lero's plan handling: signatures, row restoration over any node type, training labels. */
import test from 'ava';
import { planSignature, restoreRows } from '../src/algorithms/lero/plans.js';
import { groupLabels } from '../src/algorithms/lero/train.js';
import type { PlanNode } from '../src/engine/types.js';

const scan = (relationName: string, alias: string, rows: number): PlanNode => ({ nodeType: 'Seq Scan', relationName, alias, rows, width: 8, children: [] });
const node = (nodeType: string, rows: number, ...children: PlanNode[]): PlanNode => ({ nodeType, rows, width: 16, children });

test('restoring rows scales joins and row-preserving nodes over swung sets, through Gather, Append, CTE Scan and unknown nodes', (t) => {
  // A parallel plan: partial hash join rows are per worker (pushed 3000 over 3 participants = 1000).
  const plan = node(
    'Aggregate',
    1,
    node(
      'Gather',
      3000,
      node('Hash Join', 1000, scan('posts', 'p', 500), node('Hash', 40, node('Nested Loop', 40, scan('users', 'u', 20), scan('badges', 'b', 30)))),
    ),
    node('Append', 7, node('CTE Scan', 3), node('Some Future Node', 4)),
  );
  const pushed = { 'b,p,u': 3000, 'b,u': 40, p: 500, u: 20, b: 30 };
  const original = { 'b,p,u': 30, 'b,u': 4, p: 500, u: 20, b: 30 };
  const restored = restoreRows(plan, pushed, original);
  const gather = restored.children[0]!;
  t.is(gather.rows, 30, 'Gather: total rows restored');
  t.is(gather.children[0]!.rows, 10, 'partial join: per-worker rows restored in proportion');
  t.is(gather.children[0]!.children[1]!.rows, 4, 'Hash over the swung (b,u) join');
  t.is(gather.children[0]!.children[1]!.children[0]!.rows, 4);
  t.is(gather.children[0]!.children[0]!.rows, 500, 'scans are never swung');
  t.is(restored.rows, 1, 'aggregates keep their rows');
  t.is(restored.children[1]!.rows, 7, 'Append and unknown nodes pass through');
  t.is(restored.children[1]!.children[1]!.nodeType, 'Some Future Node');
  t.is(plan.children[0]!.rows, 3000, 'the input plan is not modified');
  t.deepEqual(restoreRows(plan, undefined, original), restoreRows(plan, original, original));
});

test('plan signatures see shape, operators and relations, not rows', (t) => {
  const a = node('Hash Join', 10, scan('posts', 'p', 5), node('Hash', 3, scan('users', 'u', 3)));
  const b = node('Hash Join', 99, scan('posts', 'p', 50), node('Hash', 30, scan('users', 'u', 30)));
  const swapped = node('Hash Join', 10, scan('users', 'u', 3), node('Hash', 5, scan('posts', 'p', 5)));
  const nested = node('Nested Loop', 10, scan('posts', 'p', 5), scan('users', 'u', 3));
  t.is(planSignature(a), planSignature(b));
  t.not(planSignature(a), planSignature(swapped));
  t.not(planSignature(a), planSignature(nested));
  t.is(planSignature(a), 'Hash Join(Seq Scan[posts p],Hash(Seq Scan[users u]))');
});

test('training labels: near-equal latencies tie, censored plans rank above every finished plan and tie with each other', (t) => {
  const labels = groupLabels({ query: 'q', plans: [], latencies: [0.1, 0.102, 0.2, 5, 0.3], censored: [false, false, false, true, true], defaultIndex: 0 }, 0.05);
  t.is(labels[0], labels[1], '2% apart: a tie');
  t.true(labels[2]! > labels[1]!);
  t.is(labels[3], labels[4], 'censored at different timeouts: unordered');
  t.true(labels[3]! > Math.max(labels[0]!, labels[1]!, labels[2]!));
  // A censored plan whose timeout is shorter than a finished plan's latency still ranks above it.
  const early = groupLabels({ query: 'q', plans: [], latencies: [2, 0.5], censored: [false, true], defaultIndex: 0 }, 0.05);
  t.true(early[1]! > early[0]!);
});

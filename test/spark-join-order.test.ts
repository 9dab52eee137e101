import test from 'ava';
import { chooseJoinOrder, costOfOrder, maskOf, type JoinGraph, type JoinOrderInput } from '../adapters/spark/join-order.js';
import type { JoinTree } from '../src/engine/types.js';
import { isPilotScopeError } from '../src/errors.js';

/** A graph from alias pairs. */
function graph(aliases: string[], edges: Array<[string, string]>): JoinGraph {
  const neighbours = aliases.map(() => 0);
  for (const [a, b] of edges) {
    const i = aliases.indexOf(a);
    const j = aliases.indexOf(b);
    neighbours[i]! |= 1 << j;
    neighbours[j]! |= 1 << i;
  }
  return { aliases, neighbours };
}

function leftDeepOrder(tree: JoinTree): string[] {
  if (typeof tree === 'string') return [tree];
  if (typeof tree.right !== 'string') throw new Error('not left-deep');
  return [...leftDeepOrder(tree.left), tree.right];
}

function methods(tree: JoinTree): string[] {
  return typeof tree === 'string' ? [] : [...methods(tree.left), ...methods(tree.right), tree.method ?? '?'];
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]));
}

/** Deterministic pseudo-random numbers for the randomized comparison. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('the DP finds the cheapest left-deep order (exhaustive check on random connected graphs)', (t) => {
  const random = lcg(42);
  for (let round = 0; round < 40; round++) {
    const n = 2 + Math.floor(random() * 5); // 2..6 relations
    const aliases = Array.from({ length: n }, (_, i) => `r${i}`);
    const edges: Array<[string, string]> = [];
    for (let i = 1; i < n; i++) edges.push([aliases[i]!, aliases[Math.floor(random() * i)]!]); // a random spanning tree
    for (let k = 0; k < n; k++) if (random() < 0.3) edges.push([aliases[Math.floor(random() * n)]!, aliases[Math.floor(random() * n)]!]);
    const g = graph(aliases, edges.filter(([a, b]) => a !== b));
    const cards = new Map<number, number>();
    const input: JoinOrderInput = {
      graph: g,
      widths: aliases.map(() => 4 + Math.floor(random() * 60)),
      rows: (mask) => {
        if (!cards.has(mask)) cards.set(mask, Math.floor(10 ** (1 + random() * 6)));
        return cards.get(mask)!;
      },
      model: { broadcastThreshold: 200_000, shufflePartitions: 4 },
    };
    const choice = chooseJoinOrder(input);
    const exhaustive = Math.min(...permutations(aliases).map((p) => costOfOrder(input, p) ?? Infinity));
    t.is(choice.search, 'dp');
    t.true(Math.abs(choice.cost - exhaustive) <= 1e-9 * exhaustive, `round ${round}: dp ${choice.cost} vs exhaustive ${exhaustive}`);
    t.is(costOfOrder(input, leftDeepOrder(choice.tree)), choice.cost);
  }
});

test('pushed cardinalities decide the order: a tiny join is done first', (t) => {
  // a - b - c chain; a,b joins explode, b,c is tiny.
  const g = graph(['a', 'b', 'c'], [['a', 'b'], ['b', 'c']]);
  const rows: Record<string, number> = { a: 1000, b: 1000, c: 1000, 'a,b': 1_000_000, 'b,c': 10, 'a,b,c': 10 };
  const input = (cards: Record<string, number>): JoinOrderInput => ({
    graph: g,
    widths: [8, 8, 8],
    rows: (mask) => cards[g.aliases.filter((_, i) => mask & (1 << i)).join(',')]!,
  });
  const order = leftDeepOrder(chooseJoinOrder(input(rows)).tree);
  t.deepEqual(order.slice(0, 2).sort(), ['b', 'c']);
  // Swap the estimates and the order follows.
  const swapped = leftDeepOrder(chooseJoinOrder(input({ ...rows, 'a,b': 10, 'b,c': 1_000_000 })).tree);
  t.deepEqual(swapped.slice(0, 2).sort(), ['a', 'b']);
});

test('methods follow the broadcast threshold: small build sides are broadcast, large ones merged', (t) => {
  const g = graph(['big', 'small'], [['big', 'small']]);
  const rows = (cards: [number, number, number]): JoinOrderInput['rows'] => (mask) => (mask === 1 ? cards[0] : mask === 2 ? cards[1] : cards[2]);
  const small = chooseJoinOrder({ graph: g, widths: [16, 16], rows: rows([1e6, 100, 1e6]), model: { broadcastThreshold: 10 * 1024 * 1024, shufflePartitions: 4 } });
  t.deepEqual(small.tree, { left: 'big', right: 'small', method: 'broadcast' });
  const noBroadcast = chooseJoinOrder({ graph: g, widths: [16, 16], rows: rows([1e6, 9e5, 1e6]), model: { broadcastThreshold: -1, shufflePartitions: 4 } });
  t.is(methods(noBroadcast.tree)[0], 'merge');
  const hashable = chooseJoinOrder({ graph: g, widths: [16, 16], rows: rows([1e7, 2e5, 1e7]), model: { broadcastThreshold: 1024 * 1024, shufflePartitions: 200 } });
  t.is(methods(hashable.tree)[0], 'hash');
});

test('relations without any join condition are joined by one cross join (nested loop)', (t) => {
  const g = graph(['a', 'b', 'c'], [['a', 'b']]);
  const choice = chooseJoinOrder({ graph: g, widths: [8, 8, 8], rows: (mask) => (mask === 4 ? 5 : 100) });
  t.deepEqual(leftDeepOrder(choice.tree).sort(), ['a', 'b', 'c']);
  t.is(methods(choice.tree).filter((m) => m === 'nestloop').length, 1);
});

test('wide joins fall back to a greedy order that still joins along conditions', (t) => {
  const aliases = Array.from({ length: 22 }, (_, i) => `t${i}`);
  const g = graph(aliases, aliases.slice(1).map((a, i) => [a, aliases[i]!] as [string, string])); // a chain
  const choice = chooseJoinOrder({ graph: g, widths: aliases.map(() => 8), rows: (mask) => 10 * popcount(mask) });
  t.is(choice.search, 'greedy');
  const order = leftDeepOrder(choice.tree);
  t.is(new Set(order).size, 22);
  t.false(methods(choice.tree).includes('nestloop'));
});

test('bad cardinalities and aliases are clear errors', (t) => {
  const g = graph(['a', 'b'], [['a', 'b']]);
  const err = t.throws(() => chooseJoinOrder({ graph: g, widths: [8, 8], rows: (mask) => (mask === 3 ? Number.NaN : 10) }));
  t.true(isPilotScopeError(err, 'USAGE'));
  t.regex(err!.message, /relation set a,b is NaN/);
  t.throws(() => maskOf(g, ['zz']), { message: /"zz" is not an alias of the query/ });
});

function popcount(mask: number): number {
  let c = 0;
  for (let m = mask; m; m &= m - 1) c++;
  return c;
}

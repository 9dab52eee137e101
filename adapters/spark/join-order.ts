/**
 * Choosing a join order and join methods for Spark from given cardinalities: a dynamic program
 * over the connected relation sets of the query (left-deep plans, DPsize-style over subsets in
 * increasing order), with a cost model of Spark's join strategies.
 *
 * Plans are left-deep so every join has a single relation on one side: Spark join hints name a
 * relation, so each join's method and build side can then be forced (BROADCAST(x), MERGE(x),
 * SHUFFLE_HASH(x) on the right-hand relation x), and a chain of hinted joins is never reordered.
 */
import type { JoinMethod, JoinTree } from '../../src/engine/types.js';
import { PilotScopeError } from '../../src/errors.js';

/** The join graph: relation i has alias aliases[i]; neighbours[i] is a bitmask of the relations it joins with. */
export interface JoinGraph {
  aliases: readonly string[];
  neighbours: readonly number[];
}

export interface SparkJoinCostModel {
  /** spark.sql.autoBroadcastJoinThreshold in bytes (-1: broadcast only when nothing else is possible). */
  broadcastThreshold: number;
  /** spark.sql.shuffle.partitions: a shuffled hash join builds one hash map per partition. */
  shufflePartitions: number;
}

export const DEFAULT_COST_MODEL: SparkJoinCostModel = { broadcastThreshold: 10 * 1024 * 1024, shufflePartitions: 200 };

/** Cost units: one unit per row touched; moving data over the network costs one unit per 64 bytes. */
const BYTES_PER_UNIT = 64;
const SHUFFLE_FACTOR = 2; // serialize, write, fetch, deserialize
const BUILD_PER_ROW = 2;
const PROBE_PER_ROW = 1;
const OUTPUT_PER_ROW = 1;
const COMPARE_PER_ROW_LOG = 0.5;
/** Past this many relations the DP's 2^n sets are too many; a greedy order is used instead. */
export const MAX_DP_RELATIONS = 18;

export interface JoinOrderInput {
  graph: JoinGraph;
  /** Estimated rows of a relation set given by its bitmask (pushed cardinalities, or the engine's own estimate). */
  rows(mask: number): number;
  /** Bytes per row of each relation (the columns the query reads). */
  widths: readonly number[];
  model?: SparkJoinCostModel;
}

export interface JoinOrderChoice {
  tree: JoinTree;
  /** Cost of the plan in the model's units. */
  cost: number;
  /** 'dp' (optimal under the model) or 'greedy' (too many relations for the DP). */
  search: 'dp' | 'greedy';
}

interface Plan {
  cost: number;
  tree: JoinTree;
  rows: number;
  width: number;
}

export function chooseJoinOrder(input: JoinOrderInput): JoinOrderChoice {
  const n = input.graph.aliases.length;
  if (n === 0) throw new PilotScopeError('USAGE', 'A join order needs at least one relation.');
  if (n > 30) throw new PilotScopeError('SQL_UNSUPPORTED', `A join order for ${n} relations is not supported (at most 30).`);
  const model = input.model ?? DEFAULT_COST_MODEL;
  if (n === 1) return { tree: input.graph.aliases[0]!, cost: 0, search: 'dp' };
  const coster = new Coster(input, model);
  if (n > MAX_DP_RELATIONS) return { ...greedy(input, coster), search: 'greedy' };
  let plans = dynamicProgram(input, coster, false);
  const full = (1 << n) - 1;
  // A query whose relations are not all connected by join conditions needs cross joins.
  if (plans[full] === undefined) plans = dynamicProgram(input, coster, true);
  const best = plans[full]!;
  return { tree: best.tree, cost: best.cost, search: 'dp' };
}

function dynamicProgram(input: JoinOrderInput, coster: Coster, allowCross: boolean): Array<Plan | undefined> {
  const n = input.graph.aliases.length;
  const full = (1 << n) - 1;
  const plans: Array<Plan | undefined> = new Array(full + 1);
  for (let i = 0; i < n; i++) plans[1 << i] = coster.leaf(i);
  // Every subset is numerically smaller than its superset, so ascending order visits parts first.
  for (let mask = 1; mask <= full; mask++) {
    if ((mask & (mask - 1)) === 0) continue; // a single relation
    let best: Plan | undefined;
    for (let i = 0; i < n; i++) {
      const bit = 1 << i;
      if (!(mask & bit)) continue;
      const rest = mask ^ bit;
      const left = plans[rest];
      if (left === undefined) continue;
      const connected = (input.graph.neighbours[i]! & rest) !== 0;
      if (!connected && !allowCross) continue;
      const candidate = coster.join(left, rest, i, mask, connected);
      if (best === undefined || candidate.cost < best.cost) best = candidate;
    }
    if (best !== undefined) plans[mask] = best;
  }
  return plans;
}

/** Greedy operator ordering for very wide joins: start from the cheapest pair, add the cheapest next relation. */
function greedy(input: JoinOrderInput, coster: Coster): { tree: JoinTree; cost: number } {
  const n = input.graph.aliases.length;
  let current: Plan | undefined;
  let mask = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const connected = (input.graph.neighbours[j]! & (1 << i)) !== 0;
      const candidate = coster.join(coster.leaf(i), 1 << i, j, (1 << i) | (1 << j), connected);
      const penalty = connected ? 0 : Number.MAX_VALUE / 4;
      if (current === undefined || candidate.cost + penalty < current.cost) {
        current = { ...candidate, cost: candidate.cost + penalty };
        mask = (1 << i) | (1 << j);
      }
    }
  }
  while (mask !== (1 << n) - 1) {
    let best: Plan | undefined;
    let bestBit = 0;
    for (let i = 0; i < n; i++) {
      const bit = 1 << i;
      if (mask & bit) continue;
      const connected = (input.graph.neighbours[i]! & mask) !== 0;
      const candidate = coster.join(current!, mask, i, mask | bit, connected);
      const score = candidate.cost + (connected ? 0 : Number.MAX_VALUE / 4);
      if (best === undefined || score < best.cost) {
        best = { ...candidate, cost: score };
        bestBit = bit;
      }
    }
    current = best!;
    mask |= bestBit;
  }
  return { tree: current!.tree, cost: current!.cost };
}

/** Costs of Spark's join strategies for joining a plan (left) with one relation (right, the build side). */
class Coster {
  constructor(private readonly input: JoinOrderInput, private readonly model: SparkJoinCostModel) {}

  leaf(i: number): Plan {
    return { cost: 0, tree: this.input.graph.aliases[i]!, rows: this.rowsOf(1 << i), width: this.input.widths[i] ?? 8 };
  }

  join(left: Plan, _leftMask: number, i: number, mask: number, connected: boolean): Plan {
    const right = this.leaf(i);
    const rows = this.rowsOf(mask);
    const width = left.width + right.width;
    const leftBytes = left.rows * left.width;
    const rightBytes = right.rows * right.width;
    const output = rows * OUTPUT_PER_ROW;
    const options: Array<{ method: JoinMethod; cost: number }> = [];
    if (!connected) {
      // Only nested loops join without a condition; broadcasting the right side avoids a shuffle.
      options.push({ method: 'nestloop', cost: (rightBytes / BYTES_PER_UNIT) + left.rows * right.rows + output });
    } else {
      const shuffle = ((leftBytes + rightBytes) / BYTES_PER_UNIT) * SHUFFLE_FACTOR;
      const build = right.rows * BUILD_PER_ROW + left.rows * PROBE_PER_ROW;
      if (this.model.broadcastThreshold >= 0 && rightBytes <= this.model.broadcastThreshold) {
        options.push({ method: 'broadcast', cost: rightBytes / BYTES_PER_UNIT + build + output });
      }
      // A shuffled hash join keeps one hash map per partition in memory; Spark picks it only for a much smaller build side.
      const perPartitionLimit = Math.max(this.model.broadcastThreshold, 0) * this.model.shufflePartitions;
      if (rightBytes * 3 <= leftBytes && rightBytes <= perPartitionLimit) {
        options.push({ method: 'hash', cost: shuffle + build + output });
      }
      const sort = COMPARE_PER_ROW_LOG * (left.rows * Math.log2(Math.max(left.rows, 2)) + right.rows * Math.log2(Math.max(right.rows, 2)));
      options.push({ method: 'merge', cost: shuffle + sort + left.rows + right.rows + output });
    }
    const best = options.reduce((a, b) => (b.cost < a.cost ? b : a));
    return { cost: left.cost + best.cost, tree: { left: left.tree, right: right.tree, method: best.method }, rows, width };
  }

  private rowsOf(mask: number): number {
    const rows = this.input.rows(mask);
    if (!Number.isFinite(rows) || rows < 0) {
      throw new PilotScopeError('USAGE', `The cardinality of relation set ${describe(this.input.graph, mask)} is ${rows}; cardinalities must be finite and non-negative.`);
    }
    return Math.max(rows, 1);
  }
}

function describe(graph: JoinGraph, mask: number): string {
  return graph.aliases.filter((_, i) => mask & (1 << i)).join(',');
}

/** Bitmask of a set of aliases in the graph. */
export function maskOf(graph: JoinGraph, aliases: Iterable<string>): number {
  let mask = 0;
  for (const alias of aliases) {
    const i = graph.aliases.indexOf(alias);
    if (i === -1) throw new PilotScopeError('USAGE', `"${alias}" is not an alias of the query (aliases: ${graph.aliases.join(', ')}).`);
    mask |= 1 << i;
  }
  return mask;
}

/**
 * The cost of the left-deep plan joining the relations in this order (each join with its
 * cheapest method), or undefined when the order needs a cross join the graph does not.
 */
export function costOfOrder(input: JoinOrderInput, order: readonly string[]): number | undefined {
  const model = input.model ?? DEFAULT_COST_MODEL;
  const coster = new Coster(input, model);
  const indexes = order.map((alias) => maskOf(input.graph, [alias]).toString(2).length - 1);
  let plan = coster.leaf(indexes[0]!);
  let mask = 1 << indexes[0]!;
  for (const i of indexes.slice(1)) {
    const connected = (input.graph.neighbours[i]! & mask) !== 0;
    if (!connected) return undefined;
    plan = coster.join(plan, mask, i, mask | (1 << i), connected);
    mask |= 1 << i;
  }
  return plan.cost;
}

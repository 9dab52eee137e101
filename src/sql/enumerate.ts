/**
 * Relation-set enumeration: the sets of relations PostgreSQL's planner builds for an inner-join
 * query (base relations plus every join relation of its standard join search), each with its key,
 * join conditions and filters.
 *
 * The simulation follows the planner: FROM is turned into join lists with from_collapse_limit and
 * join_collapse_limit (deconstruct_jointree), each list is planned by its own join search, and a
 * search joins two sets when an equivalence class connects them, falling back to clauseless
 * (cartesian) joins exactly where the planner does. For a connected join graph that is every
 * connected subset of the relations.
 */
import type { RelSetKey } from '../engine/types.js';
import { PilotScopeError } from '../errors.js';
import type { ColumnRef, FromNode, JoinEdge, Literal, Predicate, QueryGraph, Relation } from './graph.js';
import { makeEdge } from './build-graph.js';

export interface EnumerateOptions {
  /** Refuse queries with more relations than this (default 24; at most 30). */
  maxRelations?: number;
  /**
   * Stop before the number of sets exceeds this (default 4096 = 2^12). The result then holds
   * all sets up to some size, `complete` is false and a warning says where it stopped.
   */
  maxSets?: number;
  /** PostgreSQL's join_collapse_limit (default 8). */
  joinCollapseLimit?: number;
  /** PostgreSQL's from_collapse_limit (default 8). */
  fromCollapseLimit?: number;
  /** PostgreSQL's geqo_threshold, for the warning about GEQO (default 12; 0 = no warning). */
  geqoThreshold?: number;
}

export interface RelationSet {
  key: RelSetKey;
  /** Sorted, as in the key. */
  aliases: string[];
  /** In alias order. */
  relations: Relation[];
  /**
   * The equalities that join the set: per equivalence class a spanning set over its members in
   * the set (written edges preferred, derived ones marked), sorted by their columns.
   */
  joins: JoinEdge[];
  /** The filters of the set's relations, derived ones included: by alias, then in graph order. */
  predicates: Predicate[];
}

export interface Enumeration {
  /** Ordered by size, then key. */
  sets: RelationSet[];
  /** False when maxSets stopped the enumeration. */
  complete: boolean;
  warnings: string[];
}

const HARD_MAX_RELATIONS = 30;

type JoinList = Array<number | JoinList>;

interface ClassMember extends ColumnRef {
  bit: number;
}

/** Precomputed facts of a graph shared by every set: relation bits, neighbours, edges per class. */
export class SetIndex {
  readonly aliasIndex = new Map<string, number>();
  /** Per relation, the relations sharing an equivalence class with it (bitmask). */
  readonly neighbours: number[];
  /** Relation indexes in alias order. */
  private readonly byAlias: number[];
  private readonly classes: Array<{ members: ClassMember[]; mask: number; written: Array<{ edge: JoinEdge; a: number; b: number }> }>;
  /** Per relation, its filters in graph order. */
  private readonly predicatesOf: Predicate[][];

  constructor(readonly graph: QueryGraph) {
    graph.relations.forEach((r, i) => this.aliasIndex.set(r.alias, i));
    this.byAlias = graph.relations.map((_, i) => i).sort((a, b) => (graph.relations[a]!.alias < graph.relations[b]!.alias ? -1 : 1));
    this.neighbours = graph.relations.map(() => 0);
    const memberOf = new Map<string, [number, number]>();
    this.classes = graph.equivalences.map((members, c) => {
      const withBits: ClassMember[] = members.map((m) => ({ alias: m.alias, column: m.column, bit: 1 << this.aliasIndex.get(m.alias)! }));
      let mask = 0;
      for (const m of withBits) mask |= m.bit;
      withBits.forEach((m, i) => {
        this.neighbours[this.aliasIndex.get(m.alias)!]! |= mask & ~m.bit;
        memberOf.set(`${m.alias}\u0000${m.column}`, [c, i]);
      });
      return { members: withBits, mask, written: [] };
    });
    for (const edge of graph.joins) {
      const a = memberOf.get(`${edge.left.alias}\u0000${edge.left.column}`);
      const b = memberOf.get(`${edge.right.alias}\u0000${edge.right.column}`);
      if (a && b) this.classes[a[0]]!.written.push({ edge, a: a[1], b: b[1] });
    }
    this.predicatesOf = graph.relations.map(() => []);
    for (const p of graph.predicates) this.predicatesOf[this.aliasIndex.get(p.alias)!]!.push(p);
    this.linkThroughConstants();
  }

  /**
   * PostgreSQL puts `x = c` into an equivalence class with the constant, and two columns equated
   * to the same constant (`u.views = 0 AND c.score = 0`) share that class. The planner then treats
   * their relations as joinable (have_relevant_eclass_joinclause does not look at constants) and
   * builds their sets, although no join clause comes out of it. Constants are compared by type
   * and text; without column types this can link a pair PostgreSQL would keep apart (a float
   * column against an integer constant), which only adds a set the planner does not build.
   */
  private linkThroughConstants(): void {
    const byConstant = new Map<string, number>();
    const classMask = new Map<string, number>();
    this.classes.forEach((cls) => cls.members.forEach((m) => classMask.set(`${m.alias}\u0000${m.column}`, cls.mask)));
    for (const p of this.graph.predicates) {
      if (p.op !== '=') continue;
      const constant = constantKey(p.value);
      if (constant === undefined) continue;
      const mask = classMask.get(`${p.alias}\u0000${p.column}`) ?? 1 << this.aliasIndex.get(p.alias)!;
      byConstant.set(constant, (byConstant.get(constant) ?? 0) | mask);
    }
    for (const mask of byConstant.values()) {
      for (let m = mask, i = 0; m !== 0; m >>>= 1, i++) if (m & 1) this.neighbours[i]! |= mask & ~(1 << i);
    }
  }

  maskOf(aliases: Iterable<string>): number {
    let mask = 0;
    for (const a of aliases) {
      const i = this.aliasIndex.get(a);
      if (i === undefined) {
        throw new PilotScopeError('USAGE', `"${a}" is not an alias of this query (aliases: ${[...this.aliasIndex.keys()].join(', ')})`, { alias: a });
      }
      mask |= 1 << i;
    }
    return mask;
  }

  neighboursOf(mask: number): number {
    let out = 0;
    for (let m = mask, i = 0; m !== 0; m >>>= 1, i++) if (m & 1) out |= this.neighbours[i]!;
    return out;
  }

  relationSet(mask: number): RelationSet {
    const relations: Relation[] = [];
    const aliases: string[] = [];
    const predicates: Predicate[] = [];
    for (const i of this.byAlias) {
      if (mask & (1 << i)) {
        const r = this.graph.relations[i]!;
        relations.push(r);
        aliases.push(r.alias);
        for (const p of this.predicatesOf[i]!) predicates.push(p);
      }
    }
    // aliases are already sorted, so this equals relSetKey(aliases)
    return { key: aliases.join(','), aliases, relations, joins: this.joinsOf(mask), predicates };
  }

  /** Per class, edges that make all its members inside `mask` equal (a spanning forest). */
  joinsOf(mask: number): JoinEdge[] {
    const joins: JoinEdge[] = [];
    for (const cls of this.classes) {
      const shared = cls.mask & mask;
      if ((shared & (shared - 1)) === 0) continue; // fewer than two relations of the class
      const members = cls.members;
      // union-find over member positions; -1 marks members outside the set
      const parent: number[] = new Array(members.length);
      let inside = 0;
      for (let i = 0; i < members.length; i++) {
        parent[i] = mask & members[i]!.bit ? i : -1;
        if (parent[i]! >= 0) inside++;
      }
      let components = inside;
      for (const w of cls.written) {
        if (components === 1) break;
        if (parent[w.a]! < 0 || parent[w.b]! < 0) continue;
        const ra = root(parent, w.a);
        const rb = root(parent, w.b);
        if (ra === rb) continue;
        parent[ra] = rb;
        joins.push(w.edge);
        components--;
      }
      let first = -1;
      for (let i = 0; i < members.length && components > 1; i++) {
        if (parent[i]! < 0) continue;
        if (first < 0) {
          first = i;
          continue;
        }
        const r0 = root(parent, first);
        const ri = root(parent, i);
        if (r0 === ri) continue;
        parent[ri] = r0;
        joins.push(makeEdge(members[first]!, members[i]!, true));
        components--;
      }
    }
    return joins.length > 1 ? joins.sort(compareEdges) : joins;
  }
}

function compareEdges(x: JoinEdge, y: JoinEdge): number {
  const a = x.left.alias !== y.left.alias ? [x.left.alias, y.left.alias] : x.left.column !== y.left.column ? [x.left.column, y.left.column] : x.right.alias !== y.right.alias ? [x.right.alias, y.right.alias] : [x.right.column, y.right.column];
  return a[0]! < a[1]! ? -1 : a[0]! > a[1]! ? 1 : 0;
}

function root(parent: number[], i: number): number {
  while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
  return i;
}

const indexCache = new WeakMap<QueryGraph, SetIndex>();

export function setIndexOf(graph: QueryGraph): SetIndex {
  if (graph.relations.length > HARD_MAX_RELATIONS) {
    throw new PilotScopeError('SQL_UNSUPPORTED', `the query joins ${graph.relations.length} relations; relation sets are supported for at most ${HARD_MAX_RELATIONS}`, {
      relations: graph.relations.length,
    });
  }
  let index = indexCache.get(graph);
  if (!index) indexCache.set(graph, (index = new SetIndex(graph)));
  return index;
}

export function requireSupported(graph: QueryGraph, what: string): void {
  if (graph.supported) return;
  const reasons = graph.unsupported.map((u) => `${u.construct}: ${u.reason}${u.position ? ` (line ${u.position.line}, column ${u.position.column})` : ''}`);
  throw new PilotScopeError(
    'SQL_UNSUPPORTED',
    `${what} needs a query the analysis fully represents; this one has ${reasons.join('; ')}. Run it without this algorithm, or rewrite the query.`,
    { unsupported: graph.unsupported },
  );
}

const memo = new WeakMap<QueryGraph, Map<string, Enumeration>>();

/** The relation sets of a supported query graph (memoized per graph and options). */
export function enumerateRelationSets(graph: QueryGraph, options: EnumerateOptions = {}): Enumeration {
  const key = JSON.stringify(options);
  let byOptions = memo.get(graph);
  if (!byOptions) memo.set(graph, (byOptions = new Map()));
  let result = byOptions.get(key);
  if (!result) byOptions.set(key, (result = enumerateUncached(graph, options)));
  return result;
}

function positiveInt(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new PilotScopeError('USAGE', `${name} must be an integer from 1 to ${max}, got ${value}`, { [name]: value });
  }
  return value;
}

export function enumerateUncached(graph: QueryGraph, options: EnumerateOptions = {}): Enumeration {
  requireSupported(graph, 'Relation-set enumeration');
  const maxRelations = positiveInt('maxRelations', options.maxRelations, 24, HARD_MAX_RELATIONS);
  const maxSets = positiveInt('maxSets', options.maxSets, 4096);
  const n = graph.relations.length;
  if (n > maxRelations) {
    throw new PilotScopeError(
      'SQL_UNSUPPORTED',
      `the query joins ${n} relations; relation-set enumeration is limited to maxRelations=${maxRelations} (raise it up to ${HARD_MAX_RELATIONS})`,
      { relations: n, maxRelations },
    );
  }
  const index = setIndexOf(graph);
  const search = new JoinSearch(index, maxSets, options.geqoThreshold ?? 12);
  const joinList = deconstruct(graph.from, index, positiveInt('joinCollapseLimit', options.joinCollapseLimit, 8), positiveInt('fromCollapseLimit', options.fromCollapseLimit, 8));
  search.plan(joinList);
  const masks = [...search.built];
  const sets = masks.map((m) => index.relationSet(m));
  sets.sort((a, b) => a.aliases.length - b.aliases.length || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { sets, complete: !search.truncated, warnings: search.warnings };
}

/** PostgreSQL's deconstruct_jointree: which relations are planned together. */
function deconstruct(from: FromNode[], index: SetIndex, joinLimit: number, fromLimit: number): JoinList {
  const item = (node: FromNode): JoinList => {
    if (typeof node === 'string') return [index.aliasIndex.get(node)!];
    const left = item(node.join[0]);
    const right = item(node.join[1]);
    if (left.length + right.length <= joinLimit) return [...left, ...right];
    return [left.length === 1 ? left[0]! : left, right.length === 1 ? right[0]! : right];
  };
  const list: JoinList = [];
  let remaining = from.length;
  for (const node of from) {
    const sub = item(node);
    remaining--;
    if (sub.length <= 1 || list.length + sub.length + remaining <= fromLimit) list.push(...sub);
    else list.push(sub);
  }
  return list;
}

function constantKey(value: Literal): string | undefined {
  switch (value.type) {
    case 'number':
      return `n:${value.text}`;
    case 'string':
      return `s:${value.value}`;
    case 'date':
    case 'timestamp':
      return `${value.type}:${value.text}`;
    default:
      return undefined;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

class JoinSearch {
  /** Every relation set built, as relation bitmasks, in build order. */
  readonly built = new Set<number>();
  readonly warnings: string[] = [];
  truncated = false;

  constructor(
    private readonly index: SetIndex,
    private readonly maxSets: number,
    private readonly geqoThreshold: number,
  ) {
    index.graph.relations.forEach((_, i) => this.built.add(1 << i));
  }

  /** make_rel_from_joinlist: plans sub-lists first; returns the mask of the final relation. */
  plan(list: JoinList): number {
    const items = list.map((x) => (typeof x === 'number' ? 1 << x : this.plan(x)));
    if (items.length > 1) this.search(items);
    return items.reduce((a, b) => a | b, 0);
  }

  private isConnected(items: number[]): boolean {
    let reached = items[0]!;
    let grew = true;
    while (grew) {
      grew = false;
      const nb = this.index.neighboursOf(reached);
      for (const it of items) {
        if ((reached & it) === 0 && (nb & it) !== 0) {
          reached |= it;
          grew = true;
        }
      }
    }
    return items.every((it) => (reached & it) === it);
  }

  /** standard_join_search over `items` (level-1 relations, possibly results of sub-lists). */
  private search(items: number[]): void {
    if (this.truncated) return;
    if (this.geqoThreshold > 0 && items.length >= this.geqoThreshold) {
      this.warnings.push(
        `a join search over ${items.length} relations reaches geqo_threshold=${this.geqoThreshold}: with geqo on, PostgreSQL builds only the sets of the join order GEQO picks; run with geqo = off to get all of these`,
      );
    }
    const connected = this.isConnected(items);
    const levels: number[][] = [[], items];
    for (let level = 2; level <= items.length; level++) {
      const found = new Set<number>();
      const add = (mask: number): void => void found.add(mask);
      for (const old of levels[level - 1]!) {
        const nb = this.index.neighboursOf(old);
        if (connected || (nb & ~old) !== 0) {
          for (const other of items) if ((old & other) === 0 && (nb & other) !== 0) add(old | other);
        } else {
          for (const other of items) if ((old & other) === 0) add(old | other);
        }
      }
      if (!connected) {
        // Bushy joins of two multi-relation sets, then the planner's last resort: cartesian joins.
        for (let k = 2; k <= level - k; k++) {
          for (const old of levels[k]!) {
            const nb = this.index.neighboursOf(old);
            if ((nb & ~old) === 0) continue;
            for (const other of levels[level - k]!) if ((old & other) === 0 && (nb & other) !== 0) add(old | other);
          }
        }
        if (found.size === 0) {
          for (const old of levels[level - 1]!) for (const other of items) if ((old & other) === 0) add(old | other);
        }
      }
      const fresh = [...found].filter((m) => !this.built.has(m));
      if (this.built.size + fresh.length > this.maxSets) {
        this.truncated = true;
        const sizes = this.index.graph.relations.length;
        this.warnings.push(
          `stopped at ${this.built.size} relation sets (all sets of up to ${Math.max(...[...this.built].map(popcount))} of ${sizes} relations): the next level adds ${fresh.length} more, beyond maxSets=${this.maxSets}`,
        );
        return;
      }
      for (const m of fresh) this.built.add(m);
      levels.push([...found]);
    }
  }
}

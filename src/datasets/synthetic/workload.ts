/**
 * Training and test queries for the synthetic data, built the way the PilotScope paper built its
 * workloads: COUNT(*) queries over join templates (2 to 6 tables connected along foreign keys)
 * with random range and equality predicates on the correlated columns. Literals are drawn from
 * sampled column values, so predicates select real value ranges and most queries return rows.
 */
import { Random } from '../random.js';
import { SyntheticModel, type SyntheticParams } from './model.js';
import { TABLE_ALIASES } from './schema.js';
import { syntheticTables, type Row, type TableGenerator } from './tables.js';

export interface WorkloadParams extends SyntheticParams {
  trainQueries?: number;
  testQueries?: number;
}

export const DEFAULT_TRAIN_QUERIES = 1000;
export const DEFAULT_TEST_QUERIES = 100;

/** Foreign-key join edges: parent table and key, child table and referencing column. */
const JOIN_EDGES: readonly (readonly [parent: string, child: string, column: string])[] = [
  ['users', 'posts', 'owneruserid'],
  ['users', 'comments', 'userid'],
  ['users', 'votes', 'userid'],
  ['users', 'badges', 'userid'],
  ['users', 'posthistory', 'userid'],
  ['posts', 'comments', 'postid'],
  ['posts', 'votes', 'postid'],
  ['posts', 'posthistory', 'postid'],
  ['posts', 'postlinks', 'postid'],
  ['posts', 'tags', 'excerptpostid'],
];

type FilterKind = 'range' | 'category';

/** Filterable columns per table: column name, its position in the row, and the predicate kind. */
const FILTER_COLUMNS: Readonly<Record<string, readonly (readonly [column: string, position: number, kind: FilterKind])[]>> = {
  users: [['reputation', 1, 'range'], ['creationdate', 2, 'range'], ['views', 3, 'range'], ['upvotes', 4, 'range'], ['downvotes', 5, 'range']],
  posts: [
    ['posttypeid', 1, 'category'], ['creationdate', 2, 'range'], ['score', 3, 'range'], ['viewcount', 4, 'range'],
    ['answercount', 6, 'range'], ['commentcount', 7, 'range'], ['favoritecount', 8, 'range'],
  ],
  comments: [['score', 2, 'range'], ['creationdate', 3, 'range']],
  votes: [['votetypeid', 2, 'category'], ['creationdate', 3, 'range']],
  badges: [['date', 2, 'range']],
  posthistory: [['posthistorytypeid', 1, 'category'], ['creationdate', 3, 'range']],
  postlinks: [['creationdate', 1, 'range'], ['linktypeid', 4, 'category']],
  tags: [['count', 1, 'range']],
};

/** How many tables a template joins: 2 to 6, smaller ones more often. */
const SIZE_WEIGHTS: readonly [size: number, weight: number][] = [[2, 0.22], [3, 0.3], [4, 0.24], [5, 0.14], [6, 0.1]];

/**
 * At most this many child tables hang off one parent in a template: joining several child tables
 * through the same very active user multiplies their fan-outs, and such queries run for minutes.
 */
const MAX_CHILDREN: Readonly<Record<string, number>> = { users: 2, posts: 3 };

function childrenOf(parent: string, joins: readonly string[]): number {
  return joins.filter((j) => j.startsWith(`${TABLE_ALIASES[parent]}.id = `)).length;
}

interface Template {
  tables: string[];
  joins: string[];
}

export interface SyntheticWorkload {
  train: string[];
  test: string[];
}

export function generateSyntheticWorkload(params: WorkloadParams, model = new SyntheticModel(params)): SyntheticWorkload {
  const samples = sampleColumns(syntheticTables(model), new Random(params.seed, 'synthetic-workload:samples'));
  const seen = new Set<string>();
  const make = (count: number, label: string): string[] => {
    const rng = new Random(params.seed, `synthetic-workload:${label}`);
    const queries: string[] = [];
    for (let tries = 0; queries.length < count && tries < count * 20; tries++) {
      const query = randomQuery(rng, samples);
      if (seen.has(query)) continue;
      seen.add(query);
      queries.push(query);
    }
    return queries;
  };
  const train = make(params.trainQueries ?? DEFAULT_TRAIN_QUERIES, 'train');
  const test = make(params.testQueries ?? DEFAULT_TEST_QUERIES, 'test');
  return { train, test };
}

/** Sorted non-null values per table and column, from rows drawn like the real ones. */
function sampleColumns(tables: readonly TableGenerator[], rng: Random): Map<string, number[]> {
  const samples = new Map<string, number[]>();
  for (const table of tables) {
    const rows: Row[] = table.sample(rng, 3000);
    for (const [column, position] of FILTER_COLUMNS[table.name] ?? []) {
      const values = rows.map((r) => r[position]).filter((v): v is number => v !== null && v !== undefined);
      samples.set(`${table.name}.${column}`, values.sort((a, b) => a - b));
    }
  }
  return samples;
}

function randomTemplate(rng: Random): Template {
  let r = rng.next();
  let size = 2;
  for (const [s, w] of SIZE_WEIGHTS) {
    size = s;
    if ((r -= w) < 0) break;
  }
  const first = rng.pick(JOIN_EDGES);
  const tables = [first[0], first[1]];
  const joins = [joinText(first)];
  while (tables.length < size) {
    const frontier = JOIN_EDGES.filter(([a, b]) => tables.includes(a) !== tables.includes(b) && childrenOf(a, joins) < MAX_CHILDREN[a]!);
    if (frontier.length === 0) break;
    const edge = rng.pick(frontier);
    tables.push(tables.includes(edge[0]) ? edge[1] : edge[0]);
    joins.push(joinText(edge));
  }
  return { tables, joins };
}

function joinText([parent, child, column]: readonly [string, string, string]): string {
  return `${TABLE_ALIASES[parent]}.id = ${TABLE_ALIASES[child]}.${column}`;
}

function randomQuery(rng: Random, samples: Map<string, number[]>): string {
  const template = randomTemplate(rng);
  const predicates: string[] = [];
  for (const table of template.tables) {
    if (!rng.chance(0.6)) continue;
    predicates.push(...tablePredicates(rng, table, 1 + (rng.chance(0.4) ? 1 : 0), samples));
  }
  if (predicates.length === 0) {
    predicates.push(...tablePredicates(rng, rng.pick(template.tables), 1, samples));
  }
  const from = template.tables.map((t) => `${t} AS ${TABLE_ALIASES[t]}`).join(', ');
  return `SELECT COUNT(*) FROM ${from} WHERE ${[...template.joins, ...predicates].join(' AND ')}`;
}

function tablePredicates(rng: Random, table: string, count: number, samples: Map<string, number[]>): string[] {
  const columns = rng.shuffle([...(FILTER_COLUMNS[table] ?? [])]).slice(0, count);
  const alias = TABLE_ALIASES[table];
  const predicates: string[] = [];
  for (const [column, , kind] of columns) {
    const values = samples.get(`${table}.${column}`) ?? [];
    if (values.length === 0) continue;
    const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))]!;
    const ref = `${alias}.${column}`;
    if (kind === 'category') {
      predicates.push(`${ref} = ${rng.pick(values)}`);
      continue;
    }
    const form = rng.next();
    if (form < 0.35) {
      predicates.push(`${ref} >= ${at(rng.next() * 0.85)}`);
    } else if (form < 0.7) {
      predicates.push(`${ref} <= ${at(0.15 + rng.next() * 0.85)}`);
    } else {
      const lo = rng.next() * 0.7;
      const hi = Math.min(1, lo + 0.15 + rng.next() * (1 - lo));
      predicates.push(`${ref} >= ${at(lo)}`, `${ref} <= ${at(hi)}`);
    }
  }
  return predicates;
}

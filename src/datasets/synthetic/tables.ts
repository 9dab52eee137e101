/**
 * Row generators for the synthetic tables. Child tables are generated parent by parent (a post's
 * comments, votes and history; a user's badges), so counts stored on the parent match the child
 * rows exactly, and every foreign key points at an existing row. Rows stream out as COPY text.
 */
import { Readable } from 'node:stream';
import { Random } from '../random.js';
import { DAY, SyntheticModel, TIME_END, TIME_START, laterDate, scaledCount } from './model.js';
import { STATS_SIZES } from './schema.js';

/** A row: column values in schema order; null is SQL NULL. The id column comes first. */
export type Row = (number | null)[];

export interface TableGenerator {
  name: string;
  rowCount: number;
  /** Every row, in id order, from the table's own seeded stream. */
  rows(): Iterable<Row>;
  /** About `n` rows drawn from the same distribution with the caller's stream (ids are 0). */
  sample(rng: Random, n: number): Row[];
}

const nullable = (v: number): number | null => (v < 0 ? null : v);

/** A table whose rows are grouped by parent (post or user): `emit` produces one parent's rows. */
function perParent(
  model: SyntheticModel,
  name: string,
  parents: number,
  rowCount: number,
  emit: (parent: number, rng: Random, out: Row[]) => void,
): TableGenerator {
  return {
    name,
    rowCount,
    *rows() {
      const rng = new Random(model.params.seed, `synthetic:${name}`);
      const out: Row[] = [];
      let id = 0;
      for (let parent = 0; parent < parents; parent++) {
        out.length = 0;
        emit(parent, rng, out);
        for (const row of out) {
          row[0] = ++id;
          yield row;
        }
      }
    },
    sample(rng, n) {
      const rows: Row[] = [];
      const out: Row[] = [];
      for (let tries = 0; rows.length < n && tries < n * 50; tries++) {
        out.length = 0;
        emit(rng.int(parents), rng, out);
        rows.push(...out);
      }
      return rows.slice(0, n);
    },
  };
}

/** A table whose rows are independent draws. */
function independent(model: SyntheticModel, name: string, rowCount: number, draw: (rng: Random) => Row): TableGenerator {
  return {
    name,
    rowCount,
    *rows() {
      const rng = new Random(model.params.seed, `synthetic:${name}`);
      for (let id = 1; id <= rowCount; id++) {
        const row = draw(rng);
        row[0] = id;
        yield row;
      }
    },
    sample(rng, n) {
      return Array.from({ length: n }, () => draw(rng));
    },
  };
}

/** A table copied from the model's columns (users, posts). */
function fromModel(name: string, rowCount: number, rowAt: (i: number) => Row): TableGenerator {
  return {
    name,
    rowCount,
    *rows() {
      for (let i = 0; i < rowCount; i++) yield rowAt(i);
    },
    sample(rng, n) {
      return Array.from({ length: n }, () => rowAt(rng.int(rowCount)));
    },
  };
}

function votesFor(model: SyntheticModel, j: number): number {
  const p = model.posts;
  const accepted = p.posttypeid[j] === 2 && p.score[j]! > 0 ? 1 : 0;
  return p.upVotes[j]! + p.downVotes[j]! + Math.max(0, p.favoritecount[j]!) + accepted;
}

function historyFor(model: SyntheticModel, j: number): number {
  return (model.posts.posttypeid[j] === 1 ? 3 : 1) + model.posts.edits[j]!;
}

function badgesFor(model: SyntheticModel, u: number): number {
  return Math.floor(Math.pow(model.users.reputation[u]!, 0.45) * 0.7);
}

export function syntheticTables(model: SyntheticModel): TableGenerator[] {
  const { users, posts, userSampler } = model;
  const { scale } = model.params;
  let votes = 0;
  let history = 0;
  let comments = 0;
  for (let j = 0; j < posts.n; j++) {
    votes += votesFor(model, j);
    history += historyFor(model, j);
    comments += posts.commentcount[j]!;
  }
  let badges = 0;
  for (let u = 0; u < users.n; u++) badges += badgesFor(model, u);
  const userId = (u: number) => u + 1;
  const postId = (j: number) => j + 1;

  return [
    fromModel('users', users.n, (i) => [i + 1, users.reputation[i]!, users.creationdate[i]!, users.views[i]!, users.upvotes[i]!, users.downvotes[i]!]),
    fromModel('posts', posts.n, (j) => [
      j + 1,
      posts.posttypeid[j]!,
      posts.creationdate[j]!,
      posts.score[j]!,
      nullable(posts.viewcount[j]!),
      userId(posts.owner[j]!),
      nullable(posts.answercount[j]!),
      posts.commentcount[j]!,
      nullable(posts.favoritecount[j]!),
      posts.lasteditor[j]! < 0 ? null : userId(posts.lasteditor[j]!),
    ]),
    perParent(model, 'comments', posts.n, comments, (j, rng, out) => {
      for (let k = posts.commentcount[j]!; k > 0; k--) {
        // Comments come from active users; a quarter are the owner answering back.
        const user = rng.chance(0.25) ? posts.owner[j]! : userSampler.sample(rng);
        const score = Math.max(0, Math.min(300, Math.floor(Math.exp(0.3 * posts.quality[j]! - 1.3 + 0.8 * rng.normal()))));
        out.push([0, postId(j), score, laterDate(rng, posts.creationdate[j]!, 40), userId(user)]);
      }
    }),
    perParent(model, 'votes', posts.n, votes, (j, rng, out) => {
      const created = posts.creationdate[j]!;
      for (let k = posts.upVotes[j]!; k > 0; k--) out.push([0, postId(j), 2, laterDate(rng, created, 60), null, null]);
      for (let k = posts.downVotes[j]!; k > 0; k--) out.push([0, postId(j), 3, laterDate(rng, created, 30), null, null]);
      for (let k = posts.favoritecount[j]!; k > 0; k--) out.push([0, postId(j), 5, laterDate(rng, created, 120), userId(userSampler.sample(rng)), null]);
      if (posts.posttypeid[j] === 2 && posts.score[j]! > 0) out.push([0, postId(j), 1, laterDate(rng, created, 5), null, null]);
    }),
    perParent(model, 'badges', users.n, badges, (u, rng, out) => {
      for (let k = badgesFor(model, u); k > 0; k--) out.push([0, userId(u), laterDate(rng, users.creationdate[u]!, 200)]);
    }),
    perParent(model, 'posthistory', posts.n, history, (j, rng, out) => {
      const created = posts.creationdate[j]!;
      const owner = userId(posts.owner[j]!);
      if (posts.posttypeid[j] === 1) for (const type of [1, 2, 3]) out.push([0, type, postId(j), created, owner]);
      else out.push([0, 2, postId(j), created, owner]);
      for (let k = posts.edits[j]!; k > 0; k--) {
        const editor = rng.chance(0.5) ? owner : userId(userSampler.sample(rng));
        out.push([0, 4 + rng.int(3), postId(j), laterDate(rng, created, 90), editor]);
      }
    }),
    independent(model, 'postlinks', scaledCount(scale, STATS_SIZES.postlinks), (rng) => {
      const a = model.questionIndexes[model.questionSampler.sample(rng)]!;
      let b = model.questionIndexes[model.questionSampler.sample(rng)]!;
      if (b === a) b = (a + 1) % posts.n;
      const after = Math.max(posts.creationdate[a]!, posts.creationdate[b]!);
      return [0, laterDate(rng, after, 20), postId(a), postId(b), rng.chance(0.85) ? 1 : 3];
    }),
    independent(model, 'tags', scaledCount(scale, STATS_SIZES.tags, 10), (rng) => {
      const count = Math.max(1, Math.min(2_000_000, Math.floor(Math.exp(3 + 1.8 * rng.normal()))));
      const excerpt = rng.chance(0.7) ? postId(model.questionIndexes[rng.int(model.questionIndexes.length)]!) : null;
      return [0, count, excerpt];
    }),
  ];
}

const CHUNK_BYTES = 1 << 16;
const TAB = 9;
const NEWLINE = 10;
const MINUS = 45;

/**
 * Rows as COPY text (tab-separated, \N for NULL), encoded straight into 64 KiB buffers (no
 * intermediate strings), produced only when the consumer asks for more (backpressure).
 */
export function copyTextStream(rows: Iterable<Row>): Readable {
  const iterator = rows[Symbol.iterator]();
  return new Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      const buf = Buffer.allocUnsafe(CHUNK_BYTES);
      let at = 0;
      while (at < CHUNK_BYTES - 256) {
        const next = iterator.next();
        if (next.done) {
          if (at > 0) this.push(buf.subarray(0, at));
          this.push(null);
          return;
        }
        const row = next.value;
        for (let c = 0; c < row.length; c++) {
          if (c) buf[at++] = TAB;
          at = writeValue(buf, at, row[c]!);
        }
        buf[at++] = NEWLINE;
      }
      this.push(buf.subarray(0, at));
    },
  });
}

function writeValue(buf: Buffer, at: number, value: number | null): number {
  if (value === null) {
    buf[at] = 92; // backslash
    buf[at + 1] = 78; // N
    return at + 2;
  }
  if (!Number.isInteger(value) || Math.abs(value) > 2 ** 31) return at + buf.write(String(value), at, 'latin1');
  let v = value;
  if (v < 0) {
    buf[at++] = MINUS;
    v = -v;
  }
  let digits = 1;
  for (let p = 10; p <= v; p *= 10) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    buf[i] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return at + digits;
}

export { DAY, TIME_END, TIME_START };

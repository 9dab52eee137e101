/**
 * The latent model behind the synthetic data: users and posts with the attributes every other
 * table depends on. The point is correlation, within and across tables:
 *
 * - Each user has a heavy-tailed (log-normal) activity weight; older users are more active.
 *   Reputation, views and up/down votes follow the weight, and posts, comments, badges and
 *   edits pick their user by the same weight (Zipf-like foreign keys). A filter on
 *   users.reputation therefore changes the fan-out of every join through users.
 * - Each post has a latent quality driven by its owner's reputation. Score, view count, answer
 *   count, favourite count and comment count all follow it, and the child rows match the counts
 *   exactly (a post with commentcount 7 has 7 comments; score = up votes - down votes).
 * - Answers (posttypeid 2) have NULL view/answer/favourite counts, as in STATS.
 * - Dates are ordered along foreign keys: a post is created after its owner, a comment after
 *   its post.
 *
 * Everything comes from seeded streams, one per purpose, so the same (scale, seed) gives the
 * same data whichever tables are generated and in which order.
 */
import { AliasSampler, Random } from '../random.js';
import { STATS_SIZES } from './schema.js';

/** 2010-07-19 and 2014-09-13 as epoch seconds: the STATS time range. */
export const TIME_START = 1279568347;
export const TIME_END = 1410617938;
const SPAN = TIME_END - TIME_START;
export const DAY = 86400;

export interface SyntheticParams {
  /** Scale factor: 1 gives STATS sizes (about 1M rows); 0.01 about 10k rows. */
  scale: number;
  seed: number;
}

export interface UserColumns {
  n: number;
  creationdate: Int32Array;
  reputation: Int32Array;
  views: Int32Array;
  upvotes: Int32Array;
  downvotes: Int32Array;
  /** Activity weight (how likely the user is picked as a post owner, commenter, badge holder). */
  weight: Float64Array;
}

export interface PostColumns {
  n: number;
  posttypeid: Int8Array;
  creationdate: Int32Array;
  owner: Int32Array;
  score: Int32Array;
  /** -1 stands for NULL in the nullable columns. */
  viewcount: Int32Array;
  answercount: Int32Array;
  commentcount: Int32Array;
  favoritecount: Int32Array;
  lasteditor: Int32Array;
  upVotes: Int32Array;
  downVotes: Int32Array;
  edits: Int32Array;
  quality: Float64Array;
}

export class SyntheticModel {
  readonly users: UserColumns;
  readonly posts: PostColumns;
  readonly userSampler: AliasSampler;
  /** Questions weighted by views (for post links and tag excerpts); indexes into posts. */
  readonly questionSampler: AliasSampler;
  readonly questionIndexes: Int32Array;

  constructor(readonly params: SyntheticParams) {
    this.users = generateUsers(params);
    this.userSampler = new AliasSampler(this.users.weight);
    this.posts = generatePosts(params, this.users, this.userSampler);
    const questions: number[] = [];
    const weights: number[] = [];
    for (let j = 0; j < this.posts.n; j++) {
      if (this.posts.posttypeid[j] === 1) {
        questions.push(j);
        weights.push(this.posts.viewcount[j]! + 1);
      }
    }
    if (questions.length === 0) {
      questions.push(0);
      weights.push(1);
    }
    this.questionIndexes = Int32Array.from(questions);
    this.questionSampler = new AliasSampler(weights);
  }
}

export function scaledCount(scale: number, base: number, min = 1): number {
  return Math.max(min, Math.round(base * scale));
}

function clampInt(value: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.floor(value)));
}

function generateUsers({ scale, seed }: SyntheticParams): UserColumns {
  const n = scaledCount(scale, STATS_SIZES.users, 10);
  const rng = new Random(seed, 'synthetic:users');
  const users: UserColumns = {
    n,
    creationdate: new Int32Array(n),
    reputation: new Int32Array(n),
    views: new Int32Array(n),
    upvotes: new Int32Array(n),
    downvotes: new Int32Array(n),
    weight: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    // Ids are chronological, with more sign-ups later (the site grows).
    const t = Math.pow((i + rng.next()) / n, 0.75);
    users.creationdate[i] = TIME_START + Math.floor(t * SPAN * 0.97);
    const age = 1 - t;
    const weight = Math.exp(2.0 * rng.normal()) * Math.pow(0.15 + age, 1.5);
    users.weight[i] = weight;
    const reputation = clampInt(Math.pow(weight * 6, 1.3) * Math.exp(0.35 * rng.normal()), 1, 2_000_000);
    users.reputation[i] = reputation;
    users.views[i] = clampInt(Math.pow(reputation, 0.8) * Math.exp(0.6 * rng.normal()) - 1, 0, 2_000_000_000);
    users.upvotes[i] = clampInt(Math.pow(reputation, 0.9) * 0.15 * Math.exp(0.6 * rng.normal()), 0, 2_000_000_000);
    users.downvotes[i] = clampInt(Math.pow(reputation, 0.7) * 0.01 * Math.exp(rng.normal()), 0, 2_000_000_000);
  }
  return users;
}

function generatePosts({ scale, seed }: SyntheticParams, users: UserColumns, userSampler: AliasSampler): PostColumns {
  const n = scaledCount(scale, STATS_SIZES.posts, 10);
  const rng = new Random(seed, 'synthetic:posts');
  const posts: PostColumns = {
    n,
    posttypeid: new Int8Array(n),
    creationdate: new Int32Array(n),
    owner: new Int32Array(n),
    score: new Int32Array(n),
    viewcount: new Int32Array(n),
    answercount: new Int32Array(n),
    commentcount: new Int32Array(n),
    favoritecount: new Int32Array(n),
    lasteditor: new Int32Array(n),
    upVotes: new Int32Array(n),
    downVotes: new Int32Array(n),
    edits: new Int32Array(n),
    quality: new Float64Array(n),
  };
  for (let j = 0; j < n; j++) {
    const u = userSampler.sample(rng);
    posts.owner[j] = u;
    const reputation = users.reputation[u]!;
    const since = users.creationdate[u]!;
    posts.creationdate[j] = since + Math.floor(Math.pow(rng.next(), 0.7) * (TIME_END - since));

    // Experienced users answer more than they ask.
    const pAnswer = 0.3 + 0.45 * Math.min(1, Math.log10(reputation + 1) / 4);
    const r = rng.next();
    const type = r < 0.03 ? 3 + rng.int(5) : r < 0.03 + 0.97 * pAnswer ? 2 : 1;
    posts.posttypeid[j] = type;

    const quality = 0.35 * Math.log(reputation) + 0.9 * rng.normal();
    posts.quality[j] = quality;
    const up = clampInt(Math.exp(0.8 * quality - 1.3 + 0.4 * rng.normal()), 0, 30_000);
    const down = clampInt(Math.exp(-1.6 - 0.3 * quality + 0.8 * rng.normal()), 0, 5_000);
    posts.upVotes[j] = up;
    posts.downVotes[j] = down;
    posts.score[j] = up - down;
    posts.commentcount[j] = clampInt(Math.exp(0.35 * quality - 0.25 + 0.7 * rng.normal()) - 0.3, 0, 500);
    posts.edits[j] = clampInt(Math.exp(0.25 * quality - 0.3 + 0.8 * rng.normal()), 0, 200);
    if (type === 1) {
      posts.viewcount[j] = clampInt(Math.exp(4 + 0.7 * quality + 0.6 * rng.normal()), 1, 2_000_000_000);
      posts.answercount[j] = clampInt(Math.exp(0.3 * quality + 0.5 * rng.normal()) - 0.4, 0, 500);
      const favorites = clampInt(Math.exp(0.7 * quality - 1.4 + 0.7 * rng.normal()), 0, 20_000);
      posts.favoritecount[j] = favorites > 0 ? favorites : -1;
    } else {
      posts.viewcount[j] = -1;
      posts.answercount[j] = -1;
      posts.favoritecount[j] = -1;
    }
    posts.lasteditor[j] = posts.edits[j]! > 0 ? (rng.chance(0.6) ? u : userSampler.sample(rng)) : -1;
  }
  return posts;
}

/** A date after `from`, an exponential delay with the given mean (days), clamped to the range. */
export function laterDate(rng: Random, from: number, meanDays: number): number {
  return Math.min(TIME_END, from + Math.floor(rng.exponential(meanDays * DAY)));
}

/**
 * The synthetic dataset's schema: the STATS (Stack Exchange) tables and columns that PilotScope's
 * stats_tiny uses (timestamps as integer epoch seconds, so every column is numeric), with primary
 * keys, foreign keys and an index on every foreign-key column.
 */
import type { ColumnSpec, TableSchema } from '../types.js';

const int = (name: string, nullable = false): ColumnSpec => ({ name, type: 'integer', nullable });
const small = (name: string, nullable = false): ColumnSpec => ({ name, type: 'smallint', nullable });

function withKeys(name: string, columns: ColumnSpec[], refs: [column: string, target: string][]): TableSchema {
  return {
    name,
    columns,
    primaryKey: ['id'],
    foreignKeys: refs.map(([column, target]) => ({ columns: [column], table: target, references: ['id'] })),
    indexes: refs.map(([column]) => ({ name: `idx_${name}_${column}`, columns: [column] })),
  };
}

/** Tables in load order (referenced tables first). */
export const SYNTHETIC_SCHEMA: readonly TableSchema[] = [
  withKeys('users', [int('id'), int('reputation'), int('creationdate'), int('views'), int('upvotes'), int('downvotes')], []),
  withKeys(
    'posts',
    [
      int('id'), small('posttypeid'), int('creationdate'), int('score'), int('viewcount', true), int('owneruserid'),
      int('answercount', true), int('commentcount'), int('favoritecount', true), int('lasteditoruserid', true),
    ],
    [['owneruserid', 'users'], ['lasteditoruserid', 'users']],
  ),
  withKeys('comments', [int('id'), int('postid'), small('score'), int('creationdate'), int('userid')], [['postid', 'posts'], ['userid', 'users']]),
  withKeys(
    'votes',
    [int('id'), int('postid'), small('votetypeid'), int('creationdate'), int('userid', true), small('bountyamount', true)],
    [['postid', 'posts'], ['userid', 'users']],
  ),
  withKeys('badges', [int('id'), int('userid'), int('date')], [['userid', 'users']]),
  withKeys(
    'posthistory',
    [int('id'), small('posthistorytypeid'), int('postid'), int('creationdate'), int('userid')],
    [['postid', 'posts'], ['userid', 'users']],
  ),
  withKeys(
    'postlinks',
    [int('id'), int('creationdate'), int('postid'), int('relatedpostid'), small('linktypeid')],
    [['postid', 'posts'], ['relatedpostid', 'posts']],
  ),
  withKeys('tags', [int('id'), int('count'), int('excerptpostid', true)], [['excerptpostid', 'posts']]),
];

/** Rows per table at scale factor 1 (the sizes of the STATS dataset). */
export const STATS_SIZES = {
  users: 40325,
  posts: 91976,
  comments: 174305,
  votes: 328064,
  badges: 79851,
  posthistory: 303187,
  postlinks: 11102,
  tags: 1032,
} as const;

/** Aliases used in generated queries (as in STATS-CEB / stats_tiny). */
export const TABLE_ALIASES: Readonly<Record<string, string>> = {
  users: 'u',
  posts: 'p',
  comments: 'c',
  votes: 'v',
  badges: 'b',
  posthistory: 'ph',
  postlinks: 'pl',
  tags: 't',
};

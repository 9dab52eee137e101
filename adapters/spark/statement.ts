/**
 * Placing a pushed comment into a Spark statement. Spark reads hints only right after SELECT
 * (`SELECT /*+ BROADCAST(b) *\/ ...`), so a hint block goes there; any other comment goes before
 * the statement, as on PostgreSQL.
 */
import { PilotScopeError } from '../../src/errors.js';


const HINT_BLOCK = /^\s*\/\*\+[\s\S]*\*\/\s*$/;

export function withComment(sql: string, comment: string | undefined): string {
  if (comment === undefined || comment.trim() === '') return sql;
  if (HINT_BLOCK.test(comment)) return insertAfterSelect(sql, comment.trim());
  const block = /^\s*(\/\*[\s\S]*\*\/|--[^\n]*)\s*$/.test(comment) ? comment.trim() : `/* ${comment.replace(/\*\//g, '* /')} */`;
  return block.startsWith('--') ? `${block}\n${sql}` : `${block} ${sql}`;
}

/** Inserts text right after the statement's first SELECT keyword (after leading comments and parentheses). */
function insertAfterSelect(sql: string, text: string): string {
  let i = 0;
  for (;;) {
    while (i < sql.length && /[\s(]/.test(sql[i]!)) i++;
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i) && !sql.startsWith('/*+', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else {
      break;
    }
  }
  if (!/^select\b/i.test(sql.slice(i))) {
    throw new PilotScopeError('USAGE', 'A hint comment (/*+ ... */) needs a statement that starts with SELECT: Spark reads hints only right after SELECT. Put the hint inside the statement instead.');
  }
  const at = i + 'select'.length;
  return `${sql.slice(0, at)} ${text}${sql.slice(at)}`;
}


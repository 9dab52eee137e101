import { PilotScopeError } from '../errors.js';

/** A place in the SQL text: 0-based offset, 1-based line and column. */
export interface SourcePosition {
  offset: number;
  line: number;
  column: number;
}

export function positionAt(sql: string, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, sql.length);
  for (let i = 0; i < end; i++) {
    if (sql.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, line, column: end - lineStart + 1 };
}

/** What the user sees of the text at an offset, for "found ..." in messages. */
function excerpt(sql: string, offset: number): string {
  if (offset >= sql.length) return 'end of input';
  const rest = sql.slice(offset, offset + 24).split('\n')[0]!;
  return `"${rest}${offset + 24 < sql.length && rest.length === 24 ? '...' : ''}"`;
}

/**
 * A syntax error: SQL_PARSE_ERROR with line:column, what was expected and what was found.
 * `found` overrides the excerpt of the text at the offset.
 */
export function syntaxError(sql: string, offset: number, expected: string, found?: string): PilotScopeError {
  const pos = positionAt(sql, offset);
  const what = found ?? excerpt(sql, offset);
  return new PilotScopeError(
    'SQL_PARSE_ERROR',
    `SQL syntax error at line ${pos.line}, column ${pos.column}: expected ${expected}, found ${what}. ` +
      'Fix the statement text (it must be one SELECT statement).',
    { ...pos, expected, found: what },
  );
}

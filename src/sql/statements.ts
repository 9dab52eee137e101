/** Splitting SQL text into statements at `;` tokens (never inside strings, comments or dollar quotes). */
import { PilotScopeError, isPilotScopeError } from '../errors.js';
import { tokenize, type Dialect } from './lexer.js';

/** The statements of a script, trimmed, without their terminating `;`; empty statements dropped. */
export function splitStatements(sql: string, dialect: Dialect = 'postgresql'): string[] {
  const statements: string[] = [];
  let start = 0;
  for (const token of tokenize(sql, dialect)) {
    if (token.kind === 'punct' && token.value === ';') {
      pushTrimmed(statements, sql.slice(start, token.start));
      start = token.end;
    }
  }
  pushTrimmed(statements, sql.slice(start));
  return statements;
}

function pushTrimmed(out: string[], text: string): void {
  const trimmed = text.trim();
  if (trimmed !== '' && !isOnlyComments(trimmed)) out.push(trimmed);
}

function isOnlyComments(text: string): boolean {
  return text.replace(/--[^\n]*(\n|$)|\/\*[\s\S]*?\*\//g, '').trim() === '';
}

/**
 * A request's one statement without its trailing `;`. Several statements in one request are
 * refused: each request is one statement with its own pushes and pulls. Text the lexer cannot
 * read (an unterminated string, say) goes to the server as is, which reports the error.
 */
export function singleStatement(sql: string, dialect: Dialect = 'postgresql'): string {
  let statements: string[];
  try {
    statements = splitStatements(sql, dialect);
  } catch (err) {
    if (isPilotScopeError(err, 'SQL_PARSE_ERROR')) return sql.trim();
    throw err;
  }
  if (statements.length === 0) throw new PilotScopeError('QUERY_ERROR', 'The SQL statement is empty.');
  if (statements.length > 1) {
    throw new PilotScopeError('QUERY_ERROR', `A request runs one statement, but this SQL holds ${statements.length}. Send them one at a time (executeBatch runs a list).`);
  }
  return statements[0]!;
}

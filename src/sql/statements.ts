/** Splitting SQL text into statements at `;` tokens (never inside strings, comments or dollar quotes). */
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

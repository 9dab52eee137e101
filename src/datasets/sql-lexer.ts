/**
 * A PostgreSQL-aware SQL lexer, just deep enough for workload files and server logs: it knows
 * where string literals ('…', E'…', B'…', X'…', U&'…'), dollar-quoted strings, quoted identifiers
 * and comments (nested block comments included) begin and end, so that `;`, `--` or `$1` inside
 * them are never mistaken for syntax. It does not parse SQL.
 */

export type TokenKind =
  | 'space'
  | 'comment'
  | 'string'
  | 'dollar-string'
  | 'quoted-ident'
  | 'word'
  | 'number'
  | 'param'
  | 'operator'
  | 'punct';

export interface Token {
  kind: TokenKind;
  text: string;
}

const OPERATOR_CHARS = new Set('+-*/<>=~!@#%^&|`?'.split('').map((c) => c.charCodeAt(0)));
const PUNCT_CHARS = new Set('(),;[].:'.split('').map((c) => c.charCodeAt(0)));

function isIdentStartCode(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c > 127;
}

function isIdentCode(c: number): boolean {
  return isIdentStartCode(c) || (c >= 48 && c <= 57) || c === 36;
}

function isIdentStart(c: string): boolean {
  return c !== '' && isIdentStartCode(c.charCodeAt(0));
}

function isIdentChar(c: string): boolean {
  return isIdentCode(c.charCodeAt(0));
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function isSpaceCode(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** End index (exclusive) of a quoted run opened at `start` by `quote`; doubled quotes escape. */
function endOfQuoted(sql: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === '\\') {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length; // unterminated: runs to the end
}

/** The `$tag$` opening a dollar-quoted string at `start`, or undefined when `$` starts no such quote. */
function dollarTagAt(sql: string, start: number): string | undefined {
  let i = start + 1;
  if (sql[i] === '$') return '$$';
  if (!isIdentStart(sql[i] ?? '')) return undefined;
  while (i < sql.length && isIdentChar(sql[i]!) && sql[i] !== '$') i++;
  return sql[i] === '$' ? sql.slice(start, i + 1) : undefined;
}

function endOfBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** Length of the token starting at `i`, and its kind. */
function scanToken(sql: string, i: number): { kind: TokenKind; end: number } {
  const code = sql.charCodeAt(i);
  if (isSpaceCode(code)) {
    let j = i + 1;
    while (j < sql.length && isSpaceCode(sql.charCodeAt(j))) j++;
    return { kind: 'space', end: j };
  }
  const c = sql[i]!;
  const next = sql[i + 1];
  // Plain words (the common case) unless they prefix a string literal: E'', B'', X'', N'', U&''.
  if (isIdentStartCode(code) && next !== "'" && next !== '&') {
    let j = i + 1;
    while (j < sql.length && isIdentCode(sql.charCodeAt(j))) j++;
    return { kind: 'word', end: j };
  }
  if (c === '-' && next === '-') {
    const nl = sql.indexOf('\n', i);
    return { kind: 'comment', end: nl === -1 ? sql.length : nl };
  }
  if (c === '/' && next === '*') return { kind: 'comment', end: endOfBlockComment(sql, i) };
  if (c === "'") return { kind: 'string', end: endOfQuoted(sql, i, "'", false) };
  if ((c === 'e' || c === 'E') && next === "'") return { kind: 'string', end: endOfQuoted(sql, i + 1, "'", true) };
  if ((c === 'b' || c === 'B' || c === 'x' || c === 'X' || c === 'n' || c === 'N') && next === "'") {
    return { kind: 'string', end: endOfQuoted(sql, i + 1, "'", false) };
  }
  if ((c === 'u' || c === 'U') && next === '&' && (sql[i + 2] === "'" || sql[i + 2] === '"')) {
    const quote = sql[i + 2]!;
    return { kind: quote === "'" ? 'string' : 'quoted-ident', end: endOfQuoted(sql, i + 2, quote, false) };
  }
  if (c === '"') return { kind: 'quoted-ident', end: endOfQuoted(sql, i, '"', false) };
  if (c === '$') {
    if (isDigit(next)) {
      let j = i + 1;
      while (isDigit(sql[j])) j++;
      return { kind: 'param', end: j };
    }
    const tag = dollarTagAt(sql, i);
    if (tag) {
      const close = sql.indexOf(tag, i + tag.length);
      return { kind: 'dollar-string', end: close === -1 ? sql.length : close + tag.length };
    }
    return { kind: 'operator', end: i + 1 };
  }
  if (isIdentStartCode(code)) {
    let j = i + 1;
    while (j < sql.length && isIdentCode(sql.charCodeAt(j))) j++;
    return { kind: 'word', end: j };
  }
  if (isDigit(c) || (c === '.' && isDigit(next))) return { kind: 'number', end: endOfNumber(sql, i) };
  if (PUNCT_CHARS.has(code)) {
    if (c === ':' && next === ':') return { kind: 'operator', end: i + 2 };
    return { kind: 'punct', end: i + 1 };
  }
  if (OPERATOR_CHARS.has(code)) {
    let j = i + 1;
    // An operator ends where a comment starts (`a+-- x` is `a +` then a comment).
    while (j < sql.length && OPERATOR_CHARS.has(sql.charCodeAt(j)) && !(sql[j] === '-' && sql[j + 1] === '-') && !(sql[j] === '/' && sql[j + 1] === '*')) j++;
    return { kind: 'operator', end: j };
  }
  return { kind: 'operator', end: i + 1 };
}

function endOfNumber(sql: string, i: number): number {
  let j = i;
  while (isDigit(sql[j])) j++;
  if (j > i && sql[j] !== '.' && sql[j] !== 'e' && sql[j] !== 'E' && sql[j] !== '_' && !(sql[i] === '0' && j === i + 1)) return j;
  j = i;
  if (sql[j] === '0' && /[xXoObB]/.test(sql[j + 1] ?? '') && /[0-9a-fA-F_]/.test(sql[j + 2] ?? '')) {
    j += 2;
    while (j < sql.length && /[0-9a-fA-F_]/.test(sql[j]!)) j++;
    return j;
  }
  while (isDigit(sql[j]) || sql[j] === '_') j++;
  if (sql[j] === '.' && sql[j + 1] !== '.') {
    j++;
    while (isDigit(sql[j]) || sql[j] === '_') j++;
  }
  if ((sql[j] === 'e' || sql[j] === 'E') && (isDigit(sql[j + 1]) || ((sql[j + 1] === '+' || sql[j + 1] === '-') && isDigit(sql[j + 2])))) {
    j += 2;
    while (isDigit(sql[j])) j++;
  }
  return j;
}

/** Splits SQL text into tokens; concatenating their texts gives the input back. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const { kind, end } = scanToken(sql, i);
    tokens.push({ kind, text: sql.slice(i, end) });
    i = end;
  }
  return tokens;
}

/**
 * Splits a script into statements at top-level `;`. Each statement is returned as written
 * (without its `;`), leading/trailing whitespace trimmed; statements holding only whitespace and
 * comments are dropped.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let meaningful = false;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === ';') {
      if (meaningful) statements.push(sql.slice(start, i).trim());
      start = i + 1;
      meaningful = false;
      i++;
      continue;
    }
    const { kind, end } = scanToken(sql, i);
    if (kind !== 'space' && kind !== 'comment') meaningful = true;
    i = end;
  }
  if (meaningful) statements.push(sql.slice(start).trim());
  return statements;
}

/** True for tokens that carry no meaning (whitespace, comments). */
export function isTrivia(token: Token): boolean {
  return token.kind === 'space' || token.kind === 'comment';
}

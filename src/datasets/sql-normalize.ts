/**
 * Normalizing, classifying and templating SQL statements with the SQL lexer (src/sql): comments
 * stripped, whitespace collapsed (literals untouched), the statement's main verb found (through
 * WITH and parentheses), and literals replaced by `?` to group statements into query templates.
 *
 * Tokens carry offsets into the text; whitespace and comments are the gaps between them.
 */
import crypto from 'node:crypto';
import { isPilotScopeError } from '../errors.js';
import { tokenize, type Token } from '../sql/lexer.js';

/** SQL text with its tokens (end-of-input marker removed). */
export interface LexedSql {
  sql: string;
  tokens: Token[];
  /** Where this statement's text begins in `sql` (after the previous `;`), for a statement of a script. */
  from?: number;
}

/** Lexes SQL; throws PilotScopeError('SQL_PARSE_ERROR') for text the lexer cannot read. */
export function lex(sql: string): LexedSql {
  const tokens = tokenize(sql);
  tokens.pop();
  return { sql, tokens };
}

/** Like lex(), but undefined for text the lexer cannot read (an unterminated string in a truncated log line, say). */
export function tryLex(sql: string): LexedSql | undefined {
  try {
    return lex(sql);
  } catch (err) {
    if (isPilotScopeError(err, 'SQL_PARSE_ERROR')) return undefined;
    throw err;
  }
}

export function tokenText(lexed: LexedSql, token: Token): string {
  return lexed.sql.slice(token.start, token.end);
}

/** Comments removed, whitespace runs outside literals collapsed to one space, trailing `;` dropped. */
export function normalizeStatement(sql: string): string {
  return normalizeLexed(lex(sql));
}

export function normalizeLexed(lexed: LexedSql): string {
  const { tokens } = lexed;
  let end = tokens.length;
  while (end > 0 && isSemicolon(tokens[end - 1]!)) end--;
  let out = '';
  for (let i = 0; i < end; i++) {
    const token = tokens[i]!;
    if (i > 0 && token.start > tokens[i - 1]!.end) out += ' ';
    out += tokenText(lexed, token);
  }
  return out;
}

/** The statements of lexed text, split at `;` tokens (offsets stay those of the whole text). */
export function splitLexed(lexed: LexedSql): LexedSql[] {
  const statements: LexedSql[] = [];
  let current: Token[] = [];
  let from = lexed.from ?? 0;
  for (const token of lexed.tokens) {
    if (isSemicolon(token)) {
      if (current.length) statements.push({ sql: lexed.sql, tokens: current, from });
      current = [];
      from = token.end;
    } else {
      current.push(token);
    }
  }
  if (current.length) statements.push({ sql: lexed.sql, tokens: current, from });
  return statements;
}

/** The comments and whitespace of a statement: before its first token and between its tokens. */
export function gapsOf(lexed: LexedSql): string[] {
  const gaps: string[] = [];
  let previousEnd = lexed.from ?? 0;
  for (const token of lexed.tokens) {
    if (token.start > previousEnd) gaps.push(lexed.sql.slice(previousEnd, token.start));
    previousEnd = token.end;
  }
  return gaps;
}

const KEYWORDS_BEFORE_VALUE = new Set([
  'select', 'where', 'and', 'or', 'not', 'between', 'when', 'then', 'else', 'in', 'like', 'ilike', 'by', 'having', 'on',
  'limit', 'offset', 'values', 'is', 'return', 'set', 'case', 'any', 'all', 'some', 'array',
]);

const LITERAL_KINDS = new Set(['string', 'bits', 'number', 'param']);

/**
 * The statement with every literal (numbers, strings, dollar strings, bind parameters, signed
 * numbers) replaced by `?`, unquoted words lower-cased, and `IN (?, ?, …)` / `ARRAY[?, …]`
 * collapsed, so statements differing only in constants share one template.
 */
export function templateOf(sql: string): string {
  return templateOfLexed(lex(sql));
}

export function templateOfLexed(lexed: LexedSql): string {
  const { tokens } = lexed;
  const out: Array<{ text: string; gap: boolean }> = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (isSemicolon(token)) continue;
    const gap = out.length > 0 && i > 0 && token.start > tokens[i - 1]!.end;
    let text: string;
    if (LITERAL_KINDS.has(token.kind)) {
      text = '?';
    } else if (token.kind === 'op' && (token.value === '-' || token.value === '+') && isSignPosition(out) && tokens[i + 1]?.kind === 'number') {
      i++; // a sign in front of a number is part of the literal
      text = '?';
    } else if (token.kind === 'word') {
      text = token.value;
    } else {
      text = tokenText(lexed, token);
    }
    out.push({ text, gap });
  }
  return collapseLists(out).map((p, i) => (i > 0 && p.gap ? ' ' : '') + p.text).join('');
}

function isSignPosition(out: ReadonlyArray<{ text: string }>): boolean {
  const prev = out[out.length - 1]?.text;
  if (prev === undefined) return true;
  if (prev === '(' || prev === ',' || prev === '[') return true;
  if (/^[+\-*/<>=~!@#%^&|`?]+$/.test(prev) && prev !== '?') return true;
  return KEYWORDS_BEFORE_VALUE.has(prev);
}

/** `( ? , ? , ? )` after IN, and `[ ? , ? ]`, become `(?)` and `[?]`. */
function collapseLists(parts: Array<{ text: string; gap: boolean }>): Array<{ text: string; gap: boolean }> {
  const result: Array<{ text: string; gap: boolean }> = [];
  for (let i = 0; i < parts.length; i++) {
    const open = parts[i]!.text;
    const close = open === '(' ? ')' : open === '[' ? ']' : undefined;
    const listContext = open === '[' || (open === '(' && result[result.length - 1]?.text === 'in');
    if (close && listContext) {
      let j = i + 1;
      let only = true;
      while (j < parts.length && parts[j]!.text !== close) {
        const expect = (j - i) % 2 === 1 ? '?' : ',';
        if (parts[j]!.text !== expect) {
          only = false;
          break;
        }
        j++;
      }
      if (only && j < parts.length && j > i + 1 && parts[j - 1]!.text === '?') {
        result.push(parts[i]!, { text: '?', gap: false }, { text: close, gap: false });
        i = j;
        continue;
      }
    }
    result.push(parts[i]!);
  }
  return result;
}

/** A short stable id for a template. */
export function templateId(template: string): string {
  return crypto.createHash('sha1').update(template).digest('hex').slice(0, 12);
}

const VERBS = new Set(['select', 'insert', 'update', 'delete', 'merge', 'values', 'table']);

/**
 * The statement's main verb in lower case: `select` for SELECT, `(SELECT …) UNION …` and
 * `WITH … SELECT`; `insert` for `WITH … INSERT`; `select into` for SELECT … INTO (which writes a
 * table); the first word otherwise ('' for none).
 */
export function mainVerb(sql: string): string {
  return mainVerbOfLexed(lex(sql));
}

export function mainVerbOfLexed(lexed: LexedSql): string {
  const { tokens } = lexed;
  let i = 0;
  while (isPunct(tokens[i], '(')) i++;
  const first = tokens[i]?.kind === 'word' ? tokens[i]!.value : '';
  if (first === 'select') return selectsInto(tokens, i) ? 'select into' : 'select';
  if (first !== 'with') return first;
  let depth = 0;
  for (let j = i + 1; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0 && t.kind === 'word' && VERBS.has(t.value)) {
      return t.value === 'select' && selectsInto(tokens, j) ? 'select into' : t.value;
    }
  }
  return 'with';
}

/** SELECT … INTO target creates a table; INTO inside parentheses (PL/pgSQL bodies) does not count. */
function selectsInto(tokens: readonly Token[], selectIndex: number): boolean {
  let depth = 0;
  for (let j = selectIndex + 1; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) {
      if (depth === 0) return false;
      depth--;
    } else if (depth === 0 && t.kind === 'word') {
      if (t.value === 'into') return true;
      if (t.value === 'from') return false;
    }
  }
  return false;
}

/** Unquoted words (lower-cased) and quoted identifiers (as written) of the statement. */
export function identifiers(sql: string): string[] {
  return identifiersOfLexed(lex(sql));
}

export function identifiersOfLexed(lexed: LexedSql): string[] {
  return lexed.tokens.filter((t) => t.kind === 'word' || t.kind === 'ident').map((t) => t.value);
}

function isSemicolon(token: Token): boolean {
  return token.kind === 'punct' && token.value === ';';
}

function isPunct(token: Token | undefined, value: string): boolean {
  return token !== undefined && token.kind === 'punct' && token.value === value;
}

/**
 * Normalizing, classifying and templating SQL statements with the lexer: comments stripped,
 * whitespace collapsed (literals untouched), the statement's main verb found (through WITH and
 * parentheses), and literals replaced by `?` to group statements into query templates.
 */
import crypto from 'node:crypto';
import { isTrivia, tokenize, type Token } from './sql-lexer.js';

/** Comments removed, whitespace runs outside literals collapsed to one space, trailing `;` dropped. */
export function normalizeStatement(sql: string): string {
  return normalizeTokens(tokenize(sql));
}

export function normalizeTokens(tokens: readonly Token[]): string {
  let end = tokens.length;
  while (end > 0 && (isTrivia(tokens[end - 1]!) || tokens[end - 1]!.text === ';')) end--;
  return joinSignificant(end === tokens.length ? tokens : tokens.slice(0, end), (t) => t.text);
}

/** Splits a token list into statements at `;` (literals and comments are single tokens, so never split). */
export function splitTokens(tokens: readonly Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === ';') {
      if (current.some((x) => !isTrivia(x))) statements.push(current);
      current = [];
    } else {
      current.push(t);
    }
  }
  if (current.some((x) => !isTrivia(x))) statements.push(current);
  return statements;
}

/** Joins the significant tokens, one space where the original had whitespace or a comment. */
function joinSignificant(tokens: readonly Token[], render: (t: Token, index: number) => string): string {
  let out = '';
  let gap = false;
  tokens.forEach((t, index) => {
    if (isTrivia(t)) {
      gap = true;
      return;
    }
    if (gap && out.length > 0) out += ' ';
    out += render(t, index);
    gap = false;
  });
  return out;
}

const KEYWORDS_BEFORE_VALUE = new Set([
  'select', 'where', 'and', 'or', 'not', 'between', 'when', 'then', 'else', 'in', 'like', 'ilike', 'by', 'having', 'on',
  'limit', 'offset', 'values', 'is', 'return', 'set', 'case', 'any', 'all', 'some', 'array',
]);

/**
 * The statement with every literal (numbers, strings, dollar strings, bind parameters, signed
 * numbers) replaced by `?`, unquoted words lower-cased, and `IN (?, ?, …)` / `ARRAY[?, …]`
 * collapsed, so statements differing only in constants share one template.
 */
export function templateOf(sql: string): string {
  const tokens = tokenize(sql).filter((t) => !isTrivia(t) || t.kind === 'space');
  const out: { text: string; gap: boolean }[] = [];
  let gap = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'space') {
      gap = true;
      continue;
    }
    let text: string;
    if (t.kind === 'string' || t.kind === 'dollar-string' || t.kind === 'number' || t.kind === 'param') {
      text = '?';
    } else if ((t.text === '-' || t.text === '+') && isSignPosition(out) && nextSignificant(tokens, i)?.kind === 'number') {
      // A sign in front of a number is part of the literal: skip to the number.
      i = tokens.indexOf(nextSignificant(tokens, i)!, i);
      text = '?';
    } else if (t.kind === 'word') {
      text = t.text.toLowerCase();
    } else {
      text = t.text;
    }
    if (text === ';') continue;
    out.push({ text, gap: gap && out.length > 0 });
    gap = false;
  }
  return collapseLists(out).map((p, i) => (i > 0 && p.gap ? ' ' : '') + p.text).join('');
}

function nextSignificant(tokens: readonly Token[], i: number): Token | undefined {
  for (let j = i + 1; j < tokens.length; j++) if (tokens[j]!.kind !== 'space') return tokens[j];
  return undefined;
}

function isSignPosition(out: readonly { text: string }[]): boolean {
  const prev = out[out.length - 1]?.text;
  if (prev === undefined) return true;
  if (prev === '(' || prev === ',' || prev === '[') return true;
  if (/^[+\-*/<>=~!@#%^&|`?]+$/.test(prev) && prev !== '?') return true;
  return KEYWORDS_BEFORE_VALUE.has(prev);
}

/** `( ? , ? , ? )` after IN, and `[ ? , ? ]`, become `(?)` and `[?]`. */
function collapseLists(parts: { text: string; gap: boolean }[]): { text: string; gap: boolean }[] {
  const result: { text: string; gap: boolean }[] = [];
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
  return mainVerbOfTokens(tokenize(sql));
}

export function mainVerbOfTokens(all: readonly Token[]): string {
  const tokens = all.filter((t) => !isTrivia(t));
  let i = 0;
  while (tokens[i]?.text === '(') i++;
  const first = tokens[i]?.kind === 'word' ? tokens[i]!.text.toLowerCase() : '';
  if (first === 'select') return selectsInto(tokens, i) ? 'select into' : 'select';
  if (first !== 'with') return first;
  let depth = 0;
  for (let j = i + 1; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.text === '(') depth++;
    else if (t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'word' && VERBS.has(t.text.toLowerCase())) {
      const verb = t.text.toLowerCase();
      return verb === 'select' && selectsInto(tokens, j) ? 'select into' : verb;
    }
  }
  return 'with';
}

/** SELECT … INTO target creates a table; INTO inside parentheses (PL/pgSQL bodies) does not count. */
function selectsInto(tokens: readonly Token[], selectIndex: number): boolean {
  let depth = 0;
  for (let j = selectIndex + 1; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.text === '(') depth++;
    else if (t.text === ')') {
      if (depth === 0) return false;
      depth--;
    } else if (depth === 0 && t.kind === 'word') {
      const w = t.text.toLowerCase();
      if (w === 'into') return true;
      if (w === 'from') return false;
    }
  }
  return false;
}

/** Unquoted words and quoted identifiers of the statement, lower-cased (quoted ones as written). */
export function identifiers(sql: string): string[] {
  return identifiersOf(tokenize(sql));
}

export function identifiersOf(tokens: readonly Token[]): string[] {
  const names: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'word') names.push(t.text.toLowerCase());
    else if (t.kind === 'quoted-ident') names.push(t.text.slice(1, -1).replace(/""/g, '"'));
  }
  return names;
}

/** Every comment of the statement, as written. */
export function comments(sql: string): string[] {
  return tokenize(sql).filter((t) => t.kind === 'comment').map((t) => t.text);
}

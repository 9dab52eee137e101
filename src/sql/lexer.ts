/**
 * A hand-written SQL lexer following PostgreSQL's lexical rules (scan.l), with a Spark mode for
 * the few places where Spark SQL differs (double-quoted and backslash-escaped strings, backtick
 * identifiers, numeric type suffixes).
 */
import { syntaxError } from './position.js';

export type Dialect = 'postgresql' | 'spark';

export type TokenKind =
  /** An unquoted identifier or keyword; `value` is folded to lower case. */
  | 'word'
  /** A quoted identifier ("x" or `x`); `value` keeps its case. */
  | 'ident'
  /** A string constant; `value` is the decoded content. */
  | 'string'
  /** A bit-string constant B'0101' or X'1F'; `value` is the content as written. */
  | 'bits'
  | 'number'
  /** A positional parameter $n; `value` is n. */
  | 'param'
  /** An operator (maximal munch by PostgreSQL's rules); `!=` is reported as `<>`. */
  | 'op'
  /** One of , ( ) [ ] ; . : :: := => .. */
  | 'punct'
  | 'eof';

export interface Token {
  kind: TokenKind;
  value: string;
  /** Offset of the first character in the SQL text. */
  start: number;
  /** Offset just past the last character. */
  end: number;
  /** For strings: how it was written (E'', N'', $$, ...); for bits: 'B' or 'X'. */
  prefix?: string;
}

const enum C {
  Tab = 9,
  LF = 10,
  VT = 11,
  FF = 12,
  CR = 13,
  Space = 32,
  Bang = 33,
  DQuote = 34,
  Hash = 35,
  Dollar = 36,
  Percent = 37,
  Amp = 38,
  Quote = 39,
  LParen = 40,
  RParen = 41,
  Star = 42,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  D0 = 48,
  D7 = 55,
  D9 = 57,
  Colon = 58,
  Semi = 59,
  Lt = 60,
  Eq = 61,
  Gt = 62,
  Question = 63,
  At = 64,
  UpperA = 65,
  UpperE = 69,
  UpperZ = 90,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
  Caret = 94,
  Underscore = 95,
  Backtick = 96,
  LowerA = 97,
  LowerE = 101,
  LowerZ = 122,
  Pipe = 124,
  Tilde = 126,
}

function isSpace(c: number): boolean {
  return c === C.Space || c === C.Tab || c === C.LF || c === C.CR || c === C.FF || c === C.VT;
}
function isDigit(c: number): boolean {
  return c >= C.D0 && c <= C.D9;
}
function isIdentStart(c: number): boolean {
  return (c >= C.LowerA && c <= C.LowerZ) || (c >= C.UpperA && c <= C.UpperZ) || c === C.Underscore || c >= 0x80;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === C.Dollar;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** PostgreSQL's op_chars; the backtick is an identifier quote in Spark mode instead. */
function isOpChar(c: number, dialect: Dialect): boolean {
  switch (c) {
    case C.Tilde:
    case C.Bang:
    case C.At:
    case C.Hash:
    case C.Caret:
    case C.Amp:
    case C.Pipe:
    case C.Question:
    case C.Plus:
    case C.Minus:
    case C.Star:
    case C.Slash:
    case C.Percent:
    case C.Lt:
    case C.Gt:
    case C.Eq:
      return true;
    case C.Backtick:
      return dialect === 'postgresql';
    default:
      return false;
  }
}

/** Characters that let a multi-character operator end in + or - (scan.l). */
function allowsTrailingSign(c: number): boolean {
  return (
    c === C.Tilde ||
    c === C.Bang ||
    c === C.At ||
    c === C.Hash ||
    c === C.Caret ||
    c === C.Amp ||
    c === C.Pipe ||
    c === C.Backtick ||
    c === C.Question ||
    c === C.Percent
  );
}

/** ASCII-only lower-casing, as PostgreSQL's downcase_identifier does in UTF-8 databases. */
function foldCase(text: string): string {
  let hasUpper = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= C.UpperA && c <= C.UpperZ) {
      hasUpper = true;
      break;
    }
  }
  if (!hasUpper) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c >= C.UpperA && c <= C.UpperZ ? String.fromCharCode(c + 32) : text[i];
  }
  return out;
}

export function tokenize(sql: string, dialect: Dialect = 'postgresql'): Token[] {
  return new Lexer(sql, dialect).run();
}

class Lexer {
  private pos = 0;
  private readonly tokens: Token[] = [];

  constructor(
    private readonly sql: string,
    private readonly dialect: Dialect,
  ) {}

  run(): Token[] {
    const sql = this.sql;
    const n = sql.length;
    for (;;) {
      this.skipSpaceAndComments();
      if (this.pos >= n) break;
      const start = this.pos;
      const c = sql.charCodeAt(start);
      const next = start + 1 < n ? sql.charCodeAt(start + 1) : -1;

      if (c === C.Quote) {
        this.readString(start, start, this.dialect === 'spark' ? 'spark' : '');
      } else if (isIdentStart(c)) {
        this.readWordOrPrefixedString(start);
      } else if (isDigit(c) || (c === C.Dot && isDigit(next))) {
        this.readNumber(start);
      } else if (c === C.DQuote) {
        if (this.dialect === 'spark') this.readString(start, start, 'spark');
        else this.readQuotedIdent(start, start, C.DQuote, false);
      } else if (c === C.Backtick && this.dialect === 'spark') {
        this.readQuotedIdent(start, start, C.Backtick, false);
      } else if (c === C.Dollar) {
        this.readDollar(start);
      } else if (c === C.Colon) {
        if (next === C.Colon) this.push('punct', '::', start, start + 2);
        else if (next === C.Eq) this.push('punct', ':=', start, start + 2);
        else this.push('punct', ':', start, start + 1);
      } else if (c === C.Dot) {
        if (next === C.Dot) this.push('punct', '..', start, start + 2);
        else this.push('punct', '.', start, start + 1);
      } else if (c === C.Comma || c === C.LParen || c === C.RParen || c === C.LBracket || c === C.RBracket || c === C.Semi) {
        this.push('punct', sql[start]!, start, start + 1);
      } else if (isOpChar(c, this.dialect)) {
        this.readOperator(start);
      } else {
        throw syntaxError(sql, start, 'a SQL token', `the character ${JSON.stringify(sql[start])}`);
      }
    }
    this.tokens.push({ kind: 'eof', value: '', start: n, end: n });
    return this.tokens;
  }

  private push(kind: TokenKind, value: string, start: number, end: number, prefix?: string): void {
    const token: Token = { kind, value, start, end };
    if (prefix !== undefined) token.prefix = prefix;
    this.tokens.push(token);
    this.pos = end;
  }

  private skipSpaceAndComments(): void {
    const sql = this.sql;
    const n = sql.length;
    while (this.pos < n) {
      const c = sql.charCodeAt(this.pos);
      if (isSpace(c)) {
        this.pos++;
      } else if (c === C.Minus && sql.charCodeAt(this.pos + 1) === C.Minus) {
        const eol = sql.indexOf('\n', this.pos);
        this.pos = eol < 0 ? n : eol + 1;
      } else if (c === C.Slash && sql.charCodeAt(this.pos + 1) === C.Star) {
        this.skipBlockComment();
      } else {
        return;
      }
    }
  }

  /** Block comments nest, as in PostgreSQL. */
  private skipBlockComment(): void {
    const sql = this.sql;
    const start = this.pos;
    let depth = 0;
    let i = this.pos;
    while (i < sql.length) {
      const c = sql.charCodeAt(i);
      if (c === C.Slash && sql.charCodeAt(i + 1) === C.Star) {
        depth++;
        i += 2;
      } else if (c === C.Star && sql.charCodeAt(i + 1) === C.Slash) {
        depth--;
        i += 2;
        if (depth === 0) {
          this.pos = i;
          return;
        }
      } else {
        i++;
      }
    }
    throw syntaxError(sql, start, 'the end of this /* comment (*/)', 'end of input');
  }

  private readWordOrPrefixedString(start: number): void {
    const sql = this.sql;
    const c = sql.charCodeAt(start);
    const next = sql.charCodeAt(start + 1);
    if (next === C.Quote) {
      const upper = c & ~32;
      if (upper === C.UpperE) return this.readString(start, start + 1, 'E');
      if (upper === 78 /* N */) return this.readString(start, start + 1, 'N');
      if (upper === 66 /* B */ || upper === 88 /* X */) return this.readBits(start, upper === 66 ? 'B' : 'X');
      if (this.dialect === 'spark' && upper === 82 /* R: raw string */) return this.readString(start, start + 1, 'R');
    }
    if (this.dialect === 'spark' && next === C.DQuote && (c & ~32) === 82) return this.readString(start, start + 1, 'R');
    if ((c & ~32) === 85 /* U */ && next === C.Amp) {
      const q = sql.charCodeAt(start + 2);
      if (q === C.Quote) return this.readUnicode(start, 'string');
      if (q === C.DQuote) return this.readUnicode(start, 'ident');
    }
    let i = start + 1;
    while (i < sql.length && isIdentPart(sql.charCodeAt(i))) i++;
    this.push('word', foldCase(sql.slice(start, i)), start, i);
  }

  private readNumber(start: number): void {
    const sql = this.sql;
    let i = start;
    while (isDigit(sql.charCodeAt(i))) i++;
    // "1..5" is the integer 1 followed by "..".
    if (sql.charCodeAt(i) === C.Dot && sql.charCodeAt(i + 1) !== C.Dot) {
      i++;
      while (isDigit(sql.charCodeAt(i))) i++;
    }
    const e = sql.charCodeAt(i);
    if (e === C.LowerE || e === C.UpperE) {
      let j = i + 1;
      const sign = sql.charCodeAt(j);
      if (sign === C.Plus || sign === C.Minus) j++;
      // Without exponent digits, "1e" is the number 1 followed by the word e (as in scan.l).
      if (isDigit(sql.charCodeAt(j))) {
        while (isDigit(sql.charCodeAt(j))) j++;
        i = j;
      }
    }
    let end = i;
    if (this.dialect === 'spark') end = this.skipSparkNumberSuffix(i);
    this.push('number', sql.slice(start, i), start, end);
  }

  /** Spark's typed numeric suffixes: 10L, 1S, 1Y, 1.5D, 1.5F, 1.5BD. The value keeps no suffix. */
  private skipSparkNumberSuffix(i: number): number {
    const sql = this.sql;
    const c = sql.charCodeAt(i) & ~32;
    const after = (j: number): number => (isIdentPart(sql.charCodeAt(j)) ? i : j);
    if (c === 66 /* B */ && (sql.charCodeAt(i + 1) & ~32) === 68 /* D */) return after(i + 2);
    if (c === 76 || c === 83 || c === 89 || c === 68 || c === 70) return after(i + 1);
    return i;
  }

  private readOperator(start: number): void {
    const sql = this.sql;
    let end = start;
    while (end < sql.length && isOpChar(sql.charCodeAt(end), this.dialect)) end++;
    // A comment start inside an operator run ends the operator.
    for (let k = start; k + 1 < end; k++) {
      const c = sql.charCodeAt(k);
      const d = sql.charCodeAt(k + 1);
      if ((c === C.Minus && d === C.Minus) || (c === C.Slash && d === C.Star)) {
        end = k;
        break;
      }
    }
    let len = end - start;
    if (len > 1) {
      const last = sql.charCodeAt(start + len - 1);
      if (last === C.Plus || last === C.Minus) {
        let special = false;
        for (let k = start; k < start + len - 1; k++) {
          if (allowsTrailingSign(sql.charCodeAt(k))) {
            special = true;
            break;
          }
        }
        if (!special) {
          do len--;
          while (len > 1 && (sql.charCodeAt(start + len - 1) === C.Plus || sql.charCodeAt(start + len - 1) === C.Minus));
        }
      }
    }
    let text = sql.slice(start, start + len);
    if (this.dialect === 'spark' && text === '<=' && sql.charCodeAt(start + len) === C.Gt) {
      text = '<=>';
      len = 3;
    }
    if (text === '=>') return this.push('punct', '=>', start, start + len);
    if (text === '!=') text = '<>';
    this.push('op', text, start, start + len);
  }

  private readDollar(start: number): void {
    const sql = this.sql;
    const next = sql.charCodeAt(start + 1);
    if (isDigit(next)) {
      let i = start + 1;
      while (isDigit(sql.charCodeAt(i))) i++;
      return this.push('param', sql.slice(start + 1, i), start, i);
    }
    // $tag$ ... $tag$ (the tag may be empty).
    let i = start + 1;
    if (isIdentStart(next)) {
      i++;
      while (i < sql.length && isIdentStart(sql.charCodeAt(i))) i++;
      while (i < sql.length && (isIdentStart(sql.charCodeAt(i)) || isDigit(sql.charCodeAt(i)))) i++;
    }
    if (sql.charCodeAt(i) !== C.Dollar) {
      throw syntaxError(sql, start, 'a parameter like $1 or a dollar-quoted string like $$text$$');
    }
    const delimiter = sql.slice(start, i + 1);
    const close = sql.indexOf(delimiter, i + 1);
    if (close < 0) throw syntaxError(sql, start, `the closing ${delimiter} of this dollar-quoted string`, 'end of input');
    this.push('string', sql.slice(i + 1, close), start, close + delimiter.length, '$');
  }

  /**
   * A quoted string starting at `quote` (the opening quote). Mode '' is standard ('' escapes),
   * 'E' adds backslash escapes, 'N' is a national string, 'spark' and 'R' follow Spark.
   */
  private readString(start: number, quote: number, mode: string): void {
    if (mode === 'spark' || mode === 'R') return this.readSparkString(start, quote, mode === 'R');
    const sql = this.sql;
    let value = '';
    let i = quote;
    for (;;) {
      i++; // past the opening quote
      let chunkStart = i;
      for (;;) {
        if (i >= sql.length) throw syntaxError(sql, start, 'the closing quote of this string', 'end of input');
        const c = sql.charCodeAt(i);
        if (c === C.Quote) {
          if (sql.charCodeAt(i + 1) === C.Quote) {
            value += sql.slice(chunkStart, i + 1);
            i += 2;
            chunkStart = i;
            continue;
          }
          value += sql.slice(chunkStart, i);
          i++;
          break;
        }
        if (c === C.Backslash && mode === 'E') {
          value += sql.slice(chunkStart, i);
          const [decoded, used] = this.decodeBackslash(i, start);
          value += decoded;
          i += used;
          chunkStart = i;
          continue;
        }
        i++;
      }
      // 'a'<newline>'b' continues the same constant (SQL standard, scan.l quotecontinue).
      const continued = this.stringContinuation(i);
      if (continued < 0) break;
      i = continued;
    }
    this.push('string', value, start, i, mode);
  }

  /** If a newline-separated quote continues the string after `i`, the offset of that quote. */
  private stringContinuation(i: number): number {
    const sql = this.sql;
    let j = i;
    while (sql.charCodeAt(j) === C.Space || sql.charCodeAt(j) === C.Tab || sql.charCodeAt(j) === C.FF) j++;
    if (sql.charCodeAt(j) !== C.LF && sql.charCodeAt(j) !== C.CR) return -1;
    for (;;) {
      const c = sql.charCodeAt(j);
      if (isSpace(c)) j++;
      else if (c === C.Minus && sql.charCodeAt(j + 1) === C.Minus) {
        const eol = sql.indexOf('\n', j);
        if (eol < 0) return -1;
        j = eol + 1;
      } else break;
    }
    return sql.charCodeAt(j) === C.Quote ? j : -1;
  }

  /** Decodes one E'' backslash escape at `i`; returns [text, characters consumed]. */
  private decodeBackslash(i: number, stringStart: number): [string, number] {
    const sql = this.sql;
    const c = sql[i + 1];
    if (c === undefined) throw syntaxError(sql, stringStart, 'the closing quote of this string', 'end of input');
    switch (c) {
      case 'b':
        return ['\b', 2];
      case 'f':
        return ['\f', 2];
      case 'n':
        return ['\n', 2];
      case 'r':
        return ['\r', 2];
      case 't':
        return ['\t', 2];
      case 'x': {
        let j = i + 2;
        while (j < i + 4 && isHexDigit(sql.charCodeAt(j))) j++;
        if (j === i + 2) return ['x', 2];
        return [String.fromCharCode(parseInt(sql.slice(i + 2, j), 16)), j - i];
      }
      case 'u':
      case 'U': {
        const digits = c === 'u' ? 4 : 8;
        const hex = sql.slice(i + 2, i + 2 + digits);
        if (hex.length !== digits || ![...hex].every((h) => isHexDigit(h.charCodeAt(0)))) {
          throw syntaxError(sql, i, `${digits} hexadecimal digits after \\${c}`);
        }
        return [codePoint(sql, i, parseInt(hex, 16)), 2 + digits];
      }
      default: {
        const code = sql.charCodeAt(i + 1);
        if (code >= C.D0 && code <= C.D7) {
          let j = i + 1;
          while (j < i + 4 && sql.charCodeAt(j) >= C.D0 && sql.charCodeAt(j) <= C.D7) j++;
          return [String.fromCharCode(parseInt(sql.slice(i + 1, j), 8) & 0xff), j - i];
        }
        return [c, 2];
      }
    }
  }

  /** Spark string: '...' or "..." with backslash escapes; adjacent literals concatenate. */
  private readSparkString(start: number, quote: number, raw: boolean): void {
    const sql = this.sql;
    let value = '';
    let i = quote;
    for (;;) {
      const q = sql.charCodeAt(i);
      i++;
      for (;;) {
        if (i >= sql.length) throw syntaxError(sql, start, 'the closing quote of this string', 'end of input');
        const c = sql.charCodeAt(i);
        if (c === q) {
          i++;
          break;
        }
        if (c === C.Backslash && i + 1 < sql.length) {
          if (raw) {
            value += sql.slice(i, i + 2);
          } else {
            value += sparkEscape(sql, i);
            // octal \ddd and \uXXXX consume more than one character
            if (/^[0-7]{3}$/.test(sql.slice(i + 1, i + 4))) i += 2;
            else if (sql[i + 1] === 'u' && /^[0-9a-fA-F]{4}$/.test(sql.slice(i + 2, i + 6))) i += 4;
          }
          i += 2;
          continue;
        }
        value += sql[i];
        i++;
      }
      let j = i;
      while (isSpace(sql.charCodeAt(j))) j++;
      const c = sql.charCodeAt(j);
      if (c === C.Quote || c === C.DQuote) {
        i = j;
        continue;
      }
      break;
    }
    this.push('string', value, start, i, raw ? 'R' : 'spark');
  }

  private readBits(start: number, kind: 'B' | 'X'): void {
    const sql = this.sql;
    const close = sql.indexOf("'", start + 2);
    if (close < 0) throw syntaxError(sql, start, 'the closing quote of this bit string', 'end of input');
    const body = sql.slice(start + 2, close);
    const valid = kind === 'B' ? /^[01]*$/ : /^[0-9a-fA-F]*$/;
    if (!valid.test(body)) {
      throw syntaxError(sql, start + 2, kind === 'B' ? 'binary digits (0 or 1)' : 'hexadecimal digits', `"${body}"`);
    }
    this.push('bits', body, start, close + 1, kind);
  }

  private readQuotedIdent(start: number, quote: number, q: number, unicode: boolean): string {
    const sql = this.sql;
    let value = '';
    let i = quote + 1;
    for (;;) {
      const close = sql.indexOf(String.fromCharCode(q), i);
      if (close < 0) throw syntaxError(sql, start, 'the closing quote of this quoted identifier', 'end of input');
      value += sql.slice(i, close);
      if (sql.charCodeAt(close + 1) === q) {
        value += String.fromCharCode(q);
        i = close + 2;
        continue;
      }
      i = close + 1;
      break;
    }
    if (value.length === 0) throw syntaxError(sql, start, 'a non-empty quoted identifier', '""');
    if (!unicode) this.push('ident', value, start, i);
    else this.pos = i;
    return value;
  }

  /** U&'...' and U&"..." with \XXXX, \+XXXXXX escapes and an optional UESCAPE 'c'. */
  private readUnicode(start: number, kind: 'string' | 'ident'): void {
    const sql = this.sql;
    let body: string;
    if (kind === 'ident') {
      body = this.readQuotedIdent(start, start + 2, C.DQuote, true);
    } else {
      const before = this.tokens.length;
      this.readString(start, start + 2, 'U&');
      body = this.tokens.pop()!.value;
      this.tokens.length = before;
    }
    let end = this.pos;
    let escape = '\\';
    const after = /^\s*uescape\s*'([^'])'/i.exec(sql.slice(end));
    if (after) {
      escape = after[1]!;
      if (/[0-9a-fA-F+'"\s]/.test(escape)) throw syntaxError(sql, end, 'a valid UESCAPE character');
      end += after[0].length;
    }
    let value = '';
    for (let i = 0; i < body.length; i++) {
      if (body[i] !== escape) {
        value += body[i];
        continue;
      }
      if (body[i + 1] === escape) {
        value += escape;
        i++;
        continue;
      }
      const long = body[i + 1] === '+';
      const hex = long ? body.slice(i + 2, i + 8) : body.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== (long ? 6 : 4)) {
        throw syntaxError(sql, start, `a Unicode escape ${escape}XXXX or ${escape}+XXXXXX`);
      }
      value += codePoint(sql, start, parseInt(hex, 16));
      i += long ? 7 : 4;
    }
    this.push(kind, value, start, end, kind === 'string' ? 'U&' : undefined);
  }
}

function codePoint(sql: string, at: number, cp: number): string {
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp === 0) {
    throw syntaxError(sql, at, 'a valid Unicode code point', `U+${cp.toString(16)}`);
  }
  return String.fromCodePoint(cp);
}

function sparkEscape(sql: string, i: number): string {
  const c = sql[i + 1]!;
  const octal = sql.slice(i + 1, i + 4);
  if (/^[0-7]{3}$/.test(octal)) return String.fromCharCode(parseInt(octal, 8));
  if (c === 'u' && /^[0-9a-fA-F]{4}$/.test(sql.slice(i + 2, i + 6))) return String.fromCharCode(parseInt(sql.slice(i + 2, i + 6), 16));
  switch (c) {
    case '0':
      return '\0';
    case 'b':
      return '\b';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'Z':
      return '\x1a';
    case '%':
      return '\\%';
    case '_':
      return '\\_';
    default:
      return c;
  }
}

/**
 * The token cursor under the parser: looking at, accepting and expecting tokens, names, the
 * nesting limit, and syntax errors that say what was expected and what was found.
 */
import { PG_RESERVED } from './keywords.js';
import type { Dialect, Token } from './lexer.js';
import { syntaxError } from './position.js';

/**
 * How deeply expressions, parentheses, subqueries and prefix operators may nest. Deeper input is
 * a syntax error, not a stack overflow (PostgreSQL rejects such statements too).
 */
export const MAX_NESTING = 200;

export abstract class TokenCursor {
  protected i = 0;
  protected depth = 0;

  constructor(
    protected readonly sql: string,
    protected readonly tokens: Token[],
    protected readonly dialect: Dialect,
  ) {}

  // ---------------------------------------------------------------- token helpers

  protected get tok(): Token {
    return this.tokens[this.i]!;
  }
  protected peek(k = 1): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }
  protected advance(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  /** End offset of the last consumed token. */
  protected get lastEnd(): number {
    return this.i > 0 ? this.tokens[this.i - 1]!.end : 0;
  }
  protected isWord(w: string, t: Token = this.tok): boolean {
    return t.kind === 'word' && t.value === w;
  }
  protected acceptWord(w: string): boolean {
    if (this.isWord(w)) {
      this.i++;
      return true;
    }
    return false;
  }
  protected expectWord(w: string): Token {
    if (!this.isWord(w)) throw this.fail(w.toUpperCase());
    return this.advance();
  }
  protected isPunct(p: string, t: Token = this.tok): boolean {
    return t.kind === 'punct' && t.value === p;
  }
  protected acceptPunct(p: string): boolean {
    if (this.isPunct(p)) {
      this.i++;
      return true;
    }
    return false;
  }
  protected expectPunct(p: string, what = `"${p}"`): Token {
    if (!this.isPunct(p)) throw this.fail(what);
    return this.advance();
  }
  protected isOp(o: string, t: Token = this.tok): boolean {
    return t.kind === 'op' && t.value === o;
  }

  protected describe(t: Token): string {
    switch (t.kind) {
      case 'eof':
        return 'end of input';
      case 'word':
        return PG_RESERVED.has(t.value) ? `the keyword ${t.value.toUpperCase()}` : `"${this.sql.slice(t.start, t.end)}"`;
      case 'string':
        return 'a string constant';
      default:
        return `"${this.sql.slice(t.start, t.end)}"`;
    }
  }

  protected fail(expected: string, t: Token = this.tok): Error {
    return syntaxError(this.sql, t.start, expected, this.describe(t));
  }

  /** A name: an unquoted word that is not reserved, or a quoted identifier. */
  protected isName(t: Token = this.tok, allowReserved = false): boolean {
    return t.kind === 'ident' || (t.kind === 'word' && (allowReserved || !PG_RESERVED.has(t.value)));
  }
  protected name(what: string, allowReserved = false): string {
    if (!this.isName(this.tok, allowReserved)) throw this.fail(what);
    return this.advance().value;
  }

  protected enter(): void {
    if (++this.depth > MAX_NESTING) {
      throw syntaxError(this.sql, this.tok.start, `at most ${MAX_NESTING} nested levels of parentheses, subqueries and operators`, this.describe(this.tok));
    }
  }

  protected acceptOp(o: string): boolean {
    if (this.isOp(o)) {
      this.i++;
      return true;
    }
    return false;
  }

  protected nameList(): string[] {
    this.expectPunct('(');
    const names: string[] = [];
    do names.push(this.name('a column name'));
    while (this.acceptPunct(','));
    this.expectPunct(')');
    return names;
  }

  protected qualifiedName(what: string): string[] {
    const parts = [this.name(what)];
    while (this.isPunct('.') && this.isName(this.peek(), true)) {
      this.advance();
      parts.push(this.advance().value);
    }
    return parts;
  }
}

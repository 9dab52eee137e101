/**
 * From log messages to workload statements: which messages carry a statement (log_statement and
 * log_min_duration_statement forms, simple and extended protocol), bind parameters substituted
 * back from their DETAIL line, and which statements belong in a workload (SELECT and WITH …
 * SELECT on user tables; not catalog or monitoring queries, not pilotscope's own).
 */
import { gapsOf, identifiersOfLexed, mainVerbOfLexed, normalizeLexed, splitLexed, tryLex, type LexedSql } from '../sql-normalize.js';
import type { LogMessage } from './formats.js';

export type StatementSource = { sql: string; params?: Map<number, string> } | { skip: string } | undefined;

const STATEMENT = /^statement: ([\s\S]*)$/;
const EXECUTE = /^execute ([^:]+?): ([\s\S]*)$/;
const DURATION = /^duration: [\d.]+ ms(?: {2}([\s\S]*))?$/;
const PROTOCOL_STEP = /^(parse|bind) [^:]+?: /;

/** The statement a LOG message records, a reason to skip it, or undefined for other messages. */
export function statementFromMessage(message: LogMessage): StatementSource {
  if (message.severity !== 'LOG') return undefined;
  let text = message.message;
  const duration = DURATION.exec(text);
  if (duration) {
    if (duration[1] === undefined) return { skip: 'duration line (statement logged separately)' };
    text = duration[1];
  }
  if (PROTOCOL_STEP.test(text)) return { skip: 'parse/bind step (counted at execute)' };
  const simple = STATEMENT.exec(text);
  if (simple) return { sql: simple[1]! };
  const execute = EXECUTE.exec(text);
  if (execute) {
    const params = message.detail ? parseParameters(message.detail) : undefined;
    return params ? { sql: execute[2]!, params } : { sql: execute[2]! };
  }
  return undefined;
}

/**
 * `parameters: $1 = '5', $2 = NULL, $3 = 'it''s'` (the DETAIL of an execute) as $n -> SQL literal
 * text, quoted exactly as the server quoted it. Undefined when the detail holds no parameters.
 */
export function parseParameters(detail: string): Map<number, string> | undefined {
  const m = /(?:^|\n)parameters: ([\s\S]*)$/.exec(detail);
  if (!m) return undefined;
  const text = m[1]!;
  const params = new Map<number, string>();
  let i = 0;
  while (i < text.length) {
    const head = /^\$(\d+) = /.exec(text.slice(i, i + 24));
    if (!head) return params.size ? params : undefined;
    i += head[0].length;
    let value: string;
    if (text.startsWith('NULL', i)) {
      value = 'NULL';
      i += 4;
    } else if (text[i] === "'") {
      let j = i + 1;
      for (;;) {
        const q = text.indexOf("'", j);
        if (q === -1) return params.size ? params : undefined;
        if (text[q + 1] === "'") {
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      value = text.slice(i, j);
      i = j;
    } else {
      return params.size ? params : undefined;
    }
    params.set(Number(head[1]), value);
    if (text.startsWith(', ', i)) i += 2;
    else break;
  }
  return params;
}

/** Replaces $n placeholders (outside literals and comments) with their values; undefined when one is missing. */
export function bindParameters(lexed: LexedSql, params: Map<number, string>): string | undefined {
  let out = '';
  let copied = 0;
  for (const token of lexed.tokens) {
    if (token.kind !== 'param') continue;
    const value = params.get(Number(token.value));
    if (value === undefined) return undefined;
    out += lexed.sql.slice(copied, token.start) + value;
    copied = token.end;
  }
  return out + lexed.sql.slice(copied);
}

export type Verdict = { keep: string } | { skip: string };

/** Statements of one logged query string (it may hold several), each normalized and judged. */
export function judgeStatements(source: { sql: string; params?: Map<number, string> }, message: LogMessage): Verdict[] {
  if (message.application?.toLowerCase().startsWith('pilotscope')) return [{ skip: "pilotscope's own statement" }];
  let lexed = tryLex(source.sql);
  if (!lexed) return [{ skip: 'unreadable SQL (unterminated string or comment)' }];
  if (lexed.tokens.some((t) => t.kind === 'param')) {
    const bound = source.params ? bindParameters(lexed, source.params) : undefined;
    if (bound === undefined) return [{ skip: 'bind parameters missing' }];
    lexed = tryLex(bound);
    if (!lexed) return [{ skip: 'unreadable SQL (unterminated string or comment)' }];
  }
  return splitLexed(lexed).map(judgeOne);
}

const CATALOG_SCHEMAS = new Set(['information_schema', 'pg_catalog', 'pg_toast']);

function judgeOne(statement: LexedSql): Verdict {
  if (gapsOf(statement).some((gap) => /\/\*\s*pilotscope\b/i.test(gap))) return { skip: "pilotscope's own statement" };
  const verb = mainVerbOfLexed(statement);
  if (verb !== 'select') return { skip: verb === 'select into' ? 'SELECT INTO (writes a table)' : 'not a SELECT' };
  const normalized = normalizeLexed(statement);
  const names = identifiersOfLexed(statement);
  if (names.some((n) => n.startsWith('pg_') || CATALOG_SCHEMAS.has(n))) return { skip: 'catalog or monitoring query' };
  if (names.some((n) => n.startsWith('pilotscope'))) return { skip: "pilotscope's own statement" };
  if (!names.includes('from')) return { skip: 'no table (e.g. SELECT 1)' };
  return { keep: normalized };
}

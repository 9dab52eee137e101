/**
 * PostgreSQL server log formats, read into messages: stderr (any log_line_prefix, given or
 * inferred; continuation lines start with a tab; DETAIL/STATEMENT lines repeat the prefix),
 * csvlog (quoted fields may hold newlines) and jsonlog (one object per line, PostgreSQL 15+).
 * Lines that cannot be read are reported through `skip(reason)` and never stop the reading.
 */
import type { LogLine } from './lines.js';

export type LogFormat = 'stderr' | 'csvlog' | 'jsonlog';

export interface LogMessage {
  severity: string;
  message: string;
  detail?: string;
  /** The statement an ERROR refers to (STATEMENT line, csv/json query field). */
  statement?: string;
  database?: string;
  user?: string;
  application?: string;
  /** Groups the messages of one backend (session id, else pid). */
  session: string;
  line: number;
}

export type Skip = (reason: string) => void;

const SEVERITIES = 'DEBUG[1-5]|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|QUERY|CONTEXT|STATEMENT|LOCATION';
const PARTS = new Set(['DETAIL', 'HINT', 'QUERY', 'CONTEXT', 'STATEMENT', 'LOCATION']);

/** Prefixes tried when none is given: PostgreSQL's default, Debian's, and common pgBadger-style ones. */
export const COMMON_PREFIXES = [
  '%m [%p] %q%u@%d ',
  '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
  '%t [%p]: user=%u,db=%d,app=%a,client=%h ',
  '%m [%p] %q[user=%u,db=%d,app=%a] ',
  '%t [%p]: [%l-1] ',
  '%m [%p] ',
  '%t [%p] ',
  '%m ',
  '%t ',
];

const TIMESTAMP = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)?(?: [A-Za-z0-9+\\-:/_]+)?';

const ESCAPES: Record<string, string> = {
  a: '(?<app>.*?)',
  u: '(?<user>.*?)',
  d: '(?<db>.*?)',
  r: '(?:.*?)',
  h: '(?:.*?)',
  b: '(?:.*?)',
  p: '(?<pid>\\d+)',
  P: '(?:\\d*)',
  t: TIMESTAMP,
  m: TIMESTAMP,
  s: TIMESTAMP,
  n: '(?:\\d+(?:\\.\\d+)?)',
  i: '(?:.*?)',
  e: '(?:[0-9A-Z]{5})',
  c: '(?<session>[0-9a-f]+\\.[0-9a-f]+)',
  l: '(?:\\d+)',
  v: '(?:.*?)',
  x: '(?:\\d+)',
  Q: '(?:-?\\d+)',
};

/** A regular expression source matching a log_line_prefix at the start of a line. */
export function prefixPattern(prefix: string): string {
  let out = '';
  let optionalFrom = -1;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix[i]!;
    if (c !== '%') {
      out += c === ' ' ? ' ' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      continue;
    }
    const m = /^(-?\d*)([a-zA-Z%])/.exec(prefix.slice(i + 1));
    if (!m) {
      out += '%';
      continue;
    }
    i += m[0].length;
    const padded = m[1] !== '';
    const key = m[2]!;
    if (key === '%') out += '%';
    else if (key === 'q') optionalFrom = out.length;
    else out += padded ? `\\s*${ESCAPES[key] ?? '(?:.*?)'}\\s*` : (ESCAPES[key] ?? '(?:.*?)');
  }
  // %q: non-session processes stop the prefix there, so what follows is optional.
  if (optionalFrom >= 0) out = `${out.slice(0, optionalFrom)}(?:${out.slice(optionalFrom)})?`;
  return out;
}

interface HeaderMatch {
  severity: string;
  text: string;
  database?: string;
  user?: string;
  application?: string;
  session: string;
}

export type HeaderParser = (line: string) => HeaderMatch | undefined;

export function headerParser(prefix: string | undefined): HeaderParser {
  const source = prefix === undefined ? '(?<generic>.*?)' : prefixPattern(prefix);
  const re = new RegExp(`^${source}(?<sev>${SEVERITIES}):  (?<text>.*)$`, 's');
  return (line) => {
    const m = re.exec(line);
    if (!m?.groups) return undefined;
    const g = m.groups;
    const session = g.session ?? g.pid ?? (g.generic !== undefined ? /\[(\d+)\]/.exec(g.generic)?.[1] : undefined) ?? '';
    const header: HeaderMatch = { severity: g.sev!, text: g.text!.replace(/^[0-9A-Z]{5}: /, ''), session };
    if (g.db) header.database = g.db;
    if (g.user) header.user = g.user;
    if (g.app) header.application = g.app;
    return header;
  };
}

/** Picks the common prefix that reads the most of these lines (undefined: the generic reader). */
export function inferPrefix(lines: readonly string[]): string | undefined {
  const generic = headerParser(undefined);
  const headers = lines.filter((l) => !l.startsWith('\t') && generic(l));
  if (headers.length === 0) return undefined;
  let best: { prefix: string; score: number } | undefined;
  for (const prefix of COMMON_PREFIXES) {
    const parse = headerParser(prefix);
    let score = 0;
    for (const l of headers) {
      const h = parse(l);
      // The prefix must account for everything before the severity.
      if (h && generic(l)!.text === h.text) score++;
    }
    if (!best || score > best.score) best = { prefix, score };
  }
  return best && best.score >= headers.length * 0.9 ? best.prefix : undefined;
}

interface OpenMessage extends LogMessage {
  /** Which part continuation lines extend. */
  part: 'message' | 'detail' | 'statement' | 'other';
  broken?: string;
}

/** stderr format: headers with a prefix, tab-indented continuation lines, DETAIL/STATEMENT parts. */
export async function* readStderr(batches: AsyncIterable<LogLine[]>, parse: HeaderParser, skip: Skip): AsyncGenerator<LogMessage[]> {
  let open: OpenMessage | undefined;
  let out: LogMessage[] = [];
  const finish = (): void => {
    if (!open) return;
    const done = open;
    open = undefined;
    if (done.broken) return skip(done.broken);
    const { part: _part, broken: _broken, ...message } = done;
    out.push(message);
  };
  for await (const batch of batches) {
    if (out.length) {
      yield out;
      out = [];
    }
    for (const line of batch) {
      const damage = line.oversized ? 'line longer than the limit' : line.unterminated ? 'truncated at the end of the file' : undefined;
      if (line.text.startsWith('\t')) {
        if (!open) {
          skip(damage ?? 'continuation line without a message');
          continue;
        }
        if (damage) open.broken = damage;
        const text = line.text.slice(1);
        if (open.part === 'message') open.message += `\n${text}`;
        else if (open.part === 'detail') open.detail += `\n${text}`;
        else if (open.part === 'statement') open.statement += `\n${text}`;
        continue;
      }
      const header = line.text === '' ? undefined : parse(line.text);
      if (!header) {
        finish();
        skip(line.text === '' ? 'empty line' : damage ?? 'unreadable line (no log_line_prefix and severity)');
        continue;
      }
      if (PARTS.has(header.severity)) {
        if (!open || (header.session && open.session && header.session !== open.session)) {
          skip(`${header.severity} line without its message`);
          continue;
        }
        if (damage) open.broken = damage;
        if (header.severity === 'DETAIL') {
          open.detail = header.text;
          open.part = 'detail';
        } else if (header.severity === 'STATEMENT') {
          open.statement = header.text;
          open.part = 'statement';
        } else {
          open.part = 'other';
        }
        continue;
      }
      finish();
      open = { severity: header.severity, message: header.text, session: header.session, line: line.number, part: 'message' };
      if (header.database !== undefined) open.database = header.database;
      if (header.user !== undefined) open.user = header.user;
      if (header.application !== undefined) open.application = header.application;
      if (damage) open.broken = damage;
    }
  }
  finish();
  if (out.length) yield out;
}

const CSV_RECORD_START = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [^,]*,(?:"(?:[^"]|"")*")?,(?:"(?:[^"]|"")*")?,\d+,/;
const MAX_CSV_RECORD_CHARS = 64 * 1024 * 1024;

/** csvlog: one record per message; quoted fields may span lines. */
export async function* readCsvlog(batches: AsyncIterable<LogLine[]>, skip: Skip): AsyncGenerator<LogMessage[]> {
  let record = '';
  let quotes = 0;
  let firstLine = 0;
  let damaged: string | undefined;
  for await (const batch of batches) {
    const out: LogMessage[] = [];
    for (const line of batch) {
      if (record && CSV_RECORD_START.test(line.text)) {
        // A new record starts while the previous one is still open: that one was cut off.
        skip('unreadable csvlog record');
        record = '';
        quotes = 0;
        damaged = undefined;
      }
      if (!record) {
        if (line.text === '') {
          skip('empty line');
          continue;
        }
        firstLine = line.number;
      }
      record = record ? `${record}\n${line.text}` : line.text;
      for (const c of line.text) if (c === '"') quotes++;
      if (line.oversized) damaged = 'line longer than the limit';
      if (line.unterminated) damaged = 'truncated at the end of the file';
      if (record.length > MAX_CSV_RECORD_CHARS) {
        skip('csvlog record longer than the limit');
        record = '';
        quotes = 0;
        damaged = undefined;
        continue;
      }
      if (quotes % 2 === 1) continue;
      const fields = parseCsvRecord(record);
      record = '';
      quotes = 0;
      if (damaged) {
        skip(damaged);
        damaged = undefined;
        continue;
      }
      if (!fields || fields.length < 23) {
        skip('unreadable csvlog record');
        continue;
      }
      const message: LogMessage = { severity: fields[11]!, message: fields[13]!, session: fields[5] || fields[3]!, line: firstLine };
      if (fields[14]) message.detail = fields[14];
      if (fields[19]) message.statement = fields[19];
      if (fields[2]) message.database = fields[2];
      if (fields[1]) message.user = fields[1];
      if (fields[22]) message.application = fields[22];
      out.push(message);
    }
    if (out.length) yield out;
  }
  if (record) skip(damaged ?? 'truncated at the end of the file');
}

/** Fields of one CSV record (RFC 4180 quoting), or undefined when malformed. */
export function parseCsvRecord(record: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  while (i <= record.length) {
    if (record[i] === '"') {
      let value = '';
      i++;
      for (; ;) {
        const q = record.indexOf('"', i);
        if (q === -1) return undefined;
        value += record.slice(i, q);
        if (record[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i < record.length && record[i] !== ',') return undefined;
      i++;
    } else {
      const comma = record.indexOf(',', i);
      const end = comma === -1 ? record.length : comma;
      const value = record.slice(i, end);
      if (value.includes('"')) return undefined;
      fields.push(value);
      i = end + 1;
    }
  }
  return fields;
}

/** jsonlog: one JSON object per line. */
export async function* readJsonlog(batches: AsyncIterable<LogLine[]>, skip: Skip): AsyncGenerator<LogMessage[]> {
  for await (const batch of batches) {
    const out: LogMessage[] = [];
    for (const line of batch) {
      if (line.text.trim() === '') {
        skip('empty line');
        continue;
      }
      if (line.oversized || line.unterminated) {
        skip(line.oversized ? 'line longer than the limit' : 'truncated at the end of the file');
        continue;
      }
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line.text) as Record<string, unknown>;
      } catch {
        skip('unreadable jsonlog line');
        continue;
      }
      if (typeof entry !== 'object' || entry === null || typeof entry.error_severity !== 'string' || typeof entry.message !== 'string') {
        skip('unreadable jsonlog line');
        continue;
      }
      const str = (k: string) => (typeof entry[k] === 'string' ? (entry[k] as string) : undefined);
      const message: LogMessage = {
        severity: entry.error_severity,
        message: entry.message,
        session: str('session_id') ?? String(entry.pid ?? ''),
        line: line.number,
      };
      const detail = str('detail');
      const statement = str('statement');
      if (detail !== undefined) message.detail = detail;
      if (statement !== undefined) message.statement = statement;
      if (str('dbname')) message.database = str('dbname')!;
      if (str('user')) message.user = str('user')!;
      if (str('application_name')) message.application = str('application_name')!;
      out.push(message);
    }
    if (out.length) yield out;
  }
}

/** Guesses the format from the file name and its first non-empty line. */
export function detectFormat(file: string, firstLine: string | undefined): LogFormat {
  if (/\.json(\.gz)?$/i.test(file)) return 'jsonlog';
  if (/\.csv(\.gz)?$/i.test(file)) return 'csvlog';
  const line = firstLine?.trimStart() ?? '';
  if (line.startsWith('{')) return 'jsonlog';
  if (CSV_RECORD_START.test(line)) return 'csvlog';
  return 'stderr';
}

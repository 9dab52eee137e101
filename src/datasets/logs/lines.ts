/**
 * Reading a (possibly huge, possibly gzip'ed) log file line by line in constant memory: lines
 * longer than the limit are cut and flagged rather than buffered whole, and a last line without
 * its newline (a log still being written, or cut off) is flagged as unterminated.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

export interface LogLine {
  text: string;
  /** 1-based line number in the file. */
  number: number;
  /** The line was longer than the limit; `text` holds its beginning only. */
  oversized?: boolean;
  /** The file ended in the middle of this line. */
  unterminated?: boolean;
}

export const DEFAULT_MAX_LINE_CHARS = 16 * 1024 * 1024;

export function openLog(file: string): Readable {
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  return file.endsWith('.gz') ? stream.pipe(zlib.createGunzip()) : stream;
}

/** Lines in batches (one per chunk read), which keeps per-line async overhead away. */
export async function* readLines(input: Readable, maxChars = DEFAULT_MAX_LINE_CHARS): AsyncGenerator<LogLine[]> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let oversized = false;
  let number = 0;
  const take = (text: string, extra: Partial<LogLine> = {}): LogLine => {
    const line: LogLine = { text: text.endsWith('\r') ? text.slice(0, -1) : text, number: ++number, ...extra };
    if (oversized) line.oversized = true;
    oversized = false;
    return line;
  };
  for await (const chunk of input) {
    let text = pending + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    let start = 0;
    const batch: LogLine[] = [];
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      batch.push(take(text.slice(start, nl)));
      start = nl + 1;
    }
    if (batch.length) yield batch;
    text = text.slice(start);
    if (text.length > maxChars) {
      // Keep the beginning only; the rest of this line is dropped as it streams by.
      oversized = true;
      pending = text.slice(0, maxChars);
    } else {
      pending = text;
    }
  }
  pending += decoder.end();
  if (pending.length > 0) yield [take(pending, { unterminated: true })];
}

/**
 * Segment files: one Arrow IPC file per save (or per compaction), named
 * `seg-<first id>-<last id>-<rows>-<crc32>.arrow`. The name says which row ids the file holds
 * and the CRC-32 of its bytes, so truncation or garbage is detected before Arrow parses it.
 *
 * Compaction writes a segment covering the ids of several others before deleting them. Readers
 * therefore keep only segments not contained in a wider one: at every moment, and after a crash
 * at any point, each row id is read exactly once.
 */
import * as arrow from 'apache-arrow';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { PilotScopeError } from '../errors.js';
import { ROW_ID } from './names.js';
import { kindOfField } from './schema.js';
import { TEMP_PREFIX, ioError, isErrno, writeFileDurably } from './durable-fs.js';

export interface SegmentRef {
  readonly file: string;
  readonly first: number;
  readonly last: number;
  readonly rows: number;
  readonly crc: number;
}

export interface TableListing {
  /** Segments to read, in row id order. */
  live: SegmentRef[];
  /** Segments whose rows are in a wider (compacted) segment: leftovers of a compaction. */
  superseded: SegmentRef[];
  /** Temp files (uncommitted writes). */
  temps: string[];
}

/** Thrown when a listed segment disappeared before it was read (a compaction removed it). */
export class SegmentVanished extends Error {}

const SEGMENT_PATTERN = /^seg-(\d{16})-(\d{16})-(\d+)-([0-9a-f]{8})\.arrow$/;
const ID_DIGITS = 16;

export function segmentFileName(first: number, last: number, rows: number, crc: number): string {
  const id = (n: number): string => String(n).padStart(ID_DIGITS, '0');
  return `seg-${id(first)}-${id(last)}-${rows}-${crc.toString(16).padStart(8, '0')}.arrow`;
}

export function parseSegmentFileName(file: string): SegmentRef | undefined {
  const m = SEGMENT_PATTERN.exec(file);
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  const rows = Number(m[3]);
  if (first < 1 || last < first || rows < 1 || rows > last - first + 1) return undefined;
  return { file, first, last, rows, crc: parseInt(m[4]!, 16) };
}

/** Lists a table directory; undefined if the table does not exist. */
export async function listTable(tableDir: string, table: string): Promise<TableListing | undefined> {
  let names: string[];
  try {
    names = await fs.readdir(tableDir);
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    throw ioError(err, 'list table directory', tableDir);
  }
  const segments: SegmentRef[] = [];
  const temps: string[] = [];
  for (const name of names) {
    const seg = parseSegmentFileName(name);
    if (seg) segments.push(seg);
    else if (name.startsWith(TEMP_PREFIX)) temps.push(name);
  }
  return { ...resolveSegments(segments, table, tableDir), temps };
}

/** Splits segments into the ones to read and the ones a wider segment already covers. */
export function resolveSegments(segments: readonly SegmentRef[], table: string, tableDir: string): Omit<TableListing, 'temps'> {
  const sorted = [...segments].sort((a, b) => a.first - b.first || b.last - a.last);
  const live: SegmentRef[] = [];
  const superseded: SegmentRef[] = [];
  for (const seg of sorted) {
    const prev = live[live.length - 1];
    if (!prev || seg.first > prev.last) live.push(seg);
    else if (seg.last <= prev.last) superseded.push(seg);
    else {
      throw new PilotScopeError(
        'STORE_CORRUPT',
        `Table '${table}' in ${tableDir} has segment files with overlapping row ids (${prev.file} and ${seg.file}); ` +
          'this store never writes such files. Move the one that does not belong out of the directory.',
        { table, files: [prev.file, seg.file] },
      );
    }
  }
  return { live, superseded };
}

/** Reads and verifies one segment. Throws SegmentVanished if it is gone, STORE_CORRUPT if bad. */
export async function readSegment(tableDir: string, table: string, seg: SegmentRef): Promise<arrow.Table> {
  const file = path.join(tableDir, seg.file);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new SegmentVanished(file);
    throw ioError(err, 'read segment', file);
  }
  const crc = zlib.crc32(bytes);
  if (crc !== seg.crc) {
    throw corrupt(table, file, seg, `checksum mismatch: ${bytes.length} bytes with CRC-32 ${hex(crc)}, the name says ${hex(seg.crc)}`);
  }
  let t: arrow.Table;
  try {
    t = arrow.tableFromIPC(bytes);
  } catch (err) {
    throw corrupt(table, file, seg, `not a readable Arrow IPC file: ${(err as Error).message}`);
  }
  const idField = t.schema.fields[0];
  if (!idField || idField.name !== ROW_ID || kindOfField(idField) !== 'int') {
    throw corrupt(table, file, seg, `the first column is not the row id column '${ROW_ID}'`);
  }
  const unknown = t.schema.fields.find((f) => kindOfField(f) === undefined);
  if (unknown) throw corrupt(table, file, seg, `column '${unknown.name}' has type ${String(unknown.type)}, which the store never writes`);
  if (t.numRows !== seg.rows) throw corrupt(table, file, seg, `it holds ${t.numRows} rows, the name says ${seg.rows}`);
  const ids = t.getChildAt(0)!;
  if (ids.nullCount > 0 || Number(ids.get(0)) !== seg.first || Number(ids.get(t.numRows - 1)) !== seg.last) {
    throw corrupt(table, file, seg, 'its row ids do not match its name');
  }
  return t;
}

/** Writes `t` (whose ids run first..last) as a new segment, durably. */
export async function writeSegment(tableDir: string, t: arrow.Table, first: number, last: number): Promise<SegmentRef> {
  const bytes = arrow.tableToIPC(t, 'file');
  const seg = { first, last, rows: t.numRows, crc: zlib.crc32(bytes) };
  const file = segmentFileName(seg.first, seg.last, seg.rows, seg.crc);
  await writeFileDurably(tableDir, file, bytes);
  return { ...seg, file };
}

function corrupt(table: string, file: string, seg: SegmentRef, reason: string): PilotScopeError {
  return new PilotScopeError(
    'STORE_CORRUPT',
    `Segment file ${file} of table '${table}' is corrupt (${reason}). It holds rows ${seg.first}..${seg.last}. ` +
      `Restore it from a backup, or call repair('${table}') on a DataManager to move it aside and lose those rows.`,
    { table, file, first: seg.first, last: seg.last },
  );
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

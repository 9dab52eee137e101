/**
 * Reader cursors for readUpdate: `<table>/cursors/<reader>.json` holds the last row id that
 * reader has been given. Written atomically; dropped with the table.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PilotScopeError } from '../errors.js';
import { ioError, isErrno, writeFileDurably } from './durable-fs.js';

export const CURSORS_DIR = 'cursors';

export function cursorFile(tableDir: string, reader: string): string {
  return path.join(tableDir, CURSORS_DIR, `${reader}.json`);
}

/** The last row id `reader` has read (0 if it never read). */
export async function readCursor(tableDir: string, table: string, reader: string): Promise<number> {
  const file = cursorFile(tableDir, reader);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw ioError(err, 'read the reader cursor', file);
  }
  let lastRowId: unknown;
  try {
    lastRowId = (JSON.parse(text) as { lastRowId?: unknown }).lastRowId;
  } catch {
    lastRowId = undefined;
  }
  if (typeof lastRowId !== 'number' || !Number.isSafeInteger(lastRowId) || lastRowId < 0) {
    throw new PilotScopeError(
      'STORE_CORRUPT',
      `Reader cursor ${file} (reader '${reader}' of table '${table}') is unreadable. ` +
        `Delete it to make that reader start again from the first row.`,
      { table, reader, file },
    );
  }
  return lastRowId;
}

/**
 * Records that `reader` has read up to `lastRowId`. Returns false (and writes nothing) if the
 * table was dropped meanwhile.
 */
export async function writeCursor(tableDir: string, reader: string, lastRowId: number): Promise<boolean> {
  const dir = path.join(tableDir, CURSORS_DIR);
  try {
    await fs.mkdir(dir); // not recursive: never re-create a dropped table directory
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    if (!isErrno(err, 'EEXIST')) throw ioError(err, 'create the cursor directory', dir);
  }
  const body = JSON.stringify({ lastRowId, updatedAt: new Date().toISOString() });
  try {
    await writeFileDurably(dir, `${reader}.json`, Buffer.from(body));
  } catch (err) {
    if (err instanceof PilotScopeError && isErrno(err.cause, 'ENOENT')) return false;
    throw err;
  }
  return true;
}

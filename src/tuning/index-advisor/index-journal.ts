/**
 * Indexes pilotscope built, recorded in the state directory before they are created, so they can
 * be dropped again from any process (`pilotscope index drop`), also after a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Engine, IndexSpec } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-file.js';

interface IndexJournalData {
  version: 1;
  engine: string;
  indexes: Array<IndexSpec & { name: string }>;
}

export class IndexJournal {
  readonly file: string;

  /** `key` names the database (one journal per database). */
  constructor(home: string, key: string) {
    this.file = path.join(home, 'tuning', 'indexes', `${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }

  read(): Array<IndexSpec & { name: string }> {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new PilotScopeError('STORE_IO', `Cannot read ${this.file}: ${(err as Error).message}.`, {}, { cause: err });
    }
    try {
      const data = JSON.parse(text) as IndexJournalData;
      if (data.version !== 1 || !Array.isArray(data.indexes)) throw new Error('unexpected content');
      return data.indexes;
    } catch (err) {
      throw new PilotScopeError('STORE_CORRUPT', `The index journal ${this.file} is damaged (${(err as Error).message}); drop the pilotscope_* indexes by hand and delete it.`, {}, { cause: err });
    }
  }

  /** Builds real indexes, journaling them first. */
  async build(engine: Engine, indexes: ReadonlyArray<IndexSpec & { name: string }>): Promise<void> {
    const known = this.read();
    const names = new Set(known.map((i) => i.name));
    const all = [...known, ...indexes.filter((i) => !names.has(i.name)).map((i) => ({ table: i.table, columns: [...i.columns], name: i.name }))];
    writeFileAtomic(this.file, `${JSON.stringify({ version: 1, engine: engine.name, indexes: all } satisfies IndexJournalData, null, 2)}\n`);
    await engine.setIndexes(indexes.map((i) => ({ table: i.table, columns: [...i.columns], name: i.name })));
  }

  /** Drops journaled indexes (the given names, or all of them). Returns the names dropped. */
  async drop(engine: Engine, names?: readonly string[]): Promise<string[]> {
    const journaled = this.read();
    const doomed = names ? journaled.filter((i) => names.includes(i.name)) : journaled;
    if (doomed.length === 0) return [];
    if (!engine.dropIndexes) throw new PilotScopeError('ENGINE_UNSUPPORTED_OPERATOR', `${engine.name} cannot drop indexes.`);
    const dropped = await engine.dropIndexes(doomed);
    const left = journaled.filter((i) => !doomed.includes(i));
    if (left.length === 0) fs.rmSync(this.file, { force: true });
    else writeFileAtomic(this.file, `${JSON.stringify({ version: 1, engine: engine.name, indexes: left } satisfies IndexJournalData, null, 2)}\n`);
    return dropped;
  }
}

/**
 * The knob journal: which settings pilotscope changed with ALTER SYSTEM on a server, and what
 * postgresql.auto.conf held for each before the first change. It is written (atomically) before
 * every ALTER SYSTEM, so `pilotscope knob reset` restores the originals from a new process, also
 * after a crash. For the embedded server it also keeps the whole original postgresql.auto.conf, to
 * bring back a server that no longer starts.
 */
import fs from 'node:fs';
import { writeFileAtomic } from '../../src/util/atomic-file.js';
import path from 'node:path';
import { PilotScopeError } from '../../src/errors.js';

export interface JournalEntry {
  /** The value postgresql.auto.conf held before pilotscope's first change; null: it had none. */
  original: string | null;
  /** pg_settings.context, so a reset knows whether it needs a restart. */
  context: string;
}

export interface KnobJournalData {
  version: 1;
  /** The server, for people reading the file. */
  server: string;
  createdAt: string;
  knobs: Record<string, JournalEntry>;
  /** Embedded server only: postgresql.auto.conf as it was before the first change (null: no file). */
  autoConf?: string | null;
}

export class KnobJournal {
  constructor(readonly file: string) {}

  read(): KnobJournalData | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new PilotScopeError('STORE_IO', `Cannot read the knob journal ${this.file}: ${(err as Error).message}.`, {}, { cause: err });
    }
    try {
      const data = JSON.parse(text) as KnobJournalData;
      if (data.version !== 1 || typeof data.knobs !== 'object' || data.knobs === null) throw new Error('unexpected content');
      return data;
    } catch (err) {
      throw new PilotScopeError(
        'STORE_CORRUPT',
        `The knob journal ${this.file} is damaged (${(err as Error).message}). It lists the settings pilotscope changed; ` +
          'check postgresql.auto.conf by hand (ALTER SYSTEM RESET <name>), then delete the file.',
        {},
        { cause: err },
      );
    }
  }

  /** Records knobs not yet in the journal (an existing entry keeps its first original). */
  record(server: string, entries: Record<string, JournalEntry>, autoConf?: string | null): void {
    const data: KnobJournalData = this.read() ?? { version: 1, server, createdAt: new Date().toISOString(), knobs: {} };
    let changed = false;
    for (const [name, entry] of Object.entries(entries)) {
      if (name in data.knobs) continue;
      data.knobs[name] = entry;
      changed = true;
    }
    if (autoConf !== undefined && data.autoConf === undefined) {
      data.autoConf = autoConf;
      changed = true;
    }
    if (changed) writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`, 0o600);
  }

  clear(): void {
    fs.rmSync(this.file, { force: true });
  }
}

/** Where the journal of a server lives in the state directory. */
export function journalFile(home: string, serverId: string): string {
  return path.join(home, 'knobs', `${serverId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

/**
 * Knobs: ALTER SYSTEM, then reload or restart according to pg_settings.context. Restarts happen
 * only on the embedded server; a restart that fails puts the previous settings back. What was
 * changed, and the originals, are journaled in the state directory before each change, so a reset
 * from another process (after a crash too) puts the server back as it was.
 */
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { KnobChange, SettingValue } from '../../src/engine/types.js';
import { PilotScopeError } from '../../src/errors.js';
import { closest } from '../../src/config/schema.js';
import type { ServerTarget } from './connection.js';
import { literal } from './script.js';
import { KnobJournal, type JournalEntry } from './knob-journal.js';
import type { EmbeddedPostgres } from './cluster.js';

interface SettingRow {
  name: string;
  context: string;
  vartype: string;
  setting: string;
}

/** The engine side the knob manager needs. */
export interface KnobHost {
  readonly name: string;
  withClient<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  resetPool(): Promise<void>;
}

const RELOAD_WAIT_MS = 2000;

export class KnobManager {
  /** Knobs this process changed, with their originals (the journal file holds those of earlier processes too). */
  private readonly changed = new Map<string, JournalEntry>();
  private readonly journal?: KnobJournal;

  constructor(private readonly host: KnobHost, private readonly target: ServerTarget) {
    if (target.knobJournal) this.journal = new KnobJournal(target.knobJournal);
  }

  async set(knobs: Readonly<Record<string, SettingValue>>): Promise<KnobChange> {
    const names = Object.keys(knobs);
    if (names.length === 0) return { applied: {}, method: 'session' };
    const rows = await this.describe(names);
    const needsRestart = rows.some((r) => r.context === 'postmaster');
    if (needsRestart && !this.target.embedded) {
      const which = rows.filter((r) => r.context === 'postmaster').map((r) => r.name).join(', ');
      throw new PilotScopeError(
        'USAGE',
        `${which} only take(s) effect after a server restart, and pilotscope restarts only the embedded server it manages. ` +
          `Set it on ${this.target.description} yourself (ALTER SYSTEM + restart), or leave it out of the knob space.`,
      );
    }
    const backup = needsRestart ? this.backupAutoConf() : undefined;
    await this.remember(rows);
    await this.host.withClient(async (client) => {
      for (const [i, row] of rows.entries()) {
        const value = knobs[names[i]!]!;
        try {
          await client.query(`ALTER SYSTEM SET ${row.name} = ${valueLiteral(value)}`);
        } catch (err) {
          throw new PilotScopeError('QUERY_ERROR', `Cannot set ${row.name} to ${String(value)}: ${(err as Error).message}.`, { knob: row.name }, { cause: err });
        }
      }
    });
    if (needsRestart) await this.restartOrRestore(backup!);
    else await this.reloadAndWait();
    if (rows.some((r) => r.context === 'backend' || r.context === 'superuser-backend')) await this.host.resetPool();
    return { applied: { ...knobs }, method: needsRestart ? 'restart' : 'reload' };
  }

  /**
   * Puts back every knob pilotscope changed on this server (by this process, or by an earlier one
   * according to the journal): the value postgresql.auto.conf held before, or no entry.
   */
  async reset(): Promise<void> {
    const entries = new Map([...Object.entries(this.journal?.read()?.knobs ?? {}), ...this.changed]);
    if (entries.size === 0) return;
    await this.host.withClient(async (client) => {
      for (const [name, entry] of entries) {
        await client.query(entry.original === null ? `ALTER SYSTEM RESET ${name}` : `ALTER SYSTEM SET ${name} = ${literal(entry.original)}`);
      }
    });
    const restart = [...entries.values()].some((e) => e.context === 'postmaster');
    if (restart && this.target.embedded) {
      await this.target.embedded.restart();
      await this.host.resetPool();
    } else {
      await this.reloadAndWait();
    }
    this.changed.clear();
    this.journal?.clear();
  }

  /** Knobs changed by pilotscope and not reset yet (this process's and, from the journal, earlier ones'). */
  pending(): Record<string, JournalEntry> {
    return { ...this.journal?.read()?.knobs, ...Object.fromEntries(this.changed) };
  }

  /** Journals the originals of knobs about to change for the first time, before anything changes. */
  private async remember(rows: SettingRow[]): Promise<void> {
    const fresh = rows.filter((r) => !this.changed.has(r.name));
    if (fresh.length === 0) return;
    const inFile = await this.host.withClient(async (client) =>
      (await client.query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf' AND name = ANY($1) ORDER BY seqno",
        [fresh.map((r) => r.name)],
      )).rows,
    );
    const original = new Map(inFile.map((r) => [r.name, r.setting]));
    const entries: Record<string, JournalEntry> = {};
    for (const row of fresh) entries[row.name] = { original: original.get(row.name) ?? null, context: row.context };
    this.journal?.record(this.target.description, entries, this.target.embedded ? readAutoConf(this.target.embedded) : undefined);
    for (const [name, entry] of Object.entries(entries)) {
      // An earlier process may have journaled this knob first: its original is the true one.
      this.changed.set(name, this.journal?.read()?.knobs[name] ?? entry);
    }
  }

  private async describe(names: string[]): Promise<SettingRow[]> {
    const rows = await this.host.withClient(async (client) =>
      (await client.query<SettingRow>('SELECT name, context, vartype, setting FROM pg_settings')).rows,
    );
    const byName = new Map(rows.map((r) => [r.name, r]));
    return names.map((name) => {
      const row = byName.get(name.toLowerCase());
      if (!row) {
        const hint = closest(name, [...byName.keys()]);
        throw new PilotScopeError('USAGE', `"${name}" is not a PostgreSQL setting${hint ? ` (did you mean "${hint}"?)` : ''}.`);
      }
      if (row.context === 'internal') throw new PilotScopeError('USAGE', `${name} is fixed when PostgreSQL is built and cannot be tuned.`);
      return row;
    });
  }

  private backupAutoConf(): { file: string; content: string | undefined } {
    const file = autoConfFile(this.target.embedded!);
    return { file, content: fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined };
  }

  private async restartOrRestore(backup: { file: string; content: string | undefined }): Promise<void> {
    const embedded = this.target.embedded!;
    try {
      await embedded.restart();
    } catch (err) {
      if (backup.content === undefined) fs.rmSync(backup.file, { force: true });
      else fs.writeFileSync(backup.file, backup.content);
      await embedded.start();
      await this.host.resetPool();
      throw new PilotScopeError(
        'DB_START_FAILED',
        `PostgreSQL did not start with the new settings, so the previous settings were restored and the server restarted with them. ${(err as Error).message}`,
        {},
        { cause: err },
      );
    }
    await this.host.resetPool();
  }

  /**
   * pg_reload_conf() only signals the postmaster, which re-reads the files and signals every
   * backend; wait until a session reports a configuration load after our request.
   */
  private async reloadAndWait(): Promise<void> {
    const requestedAt = await this.host.withClient(async (client) => {
      const at = (await client.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]!.now;
      await client.query('SELECT pg_reload_conf()');
      return at;
    });
    const deadline = Date.now() + RELOAD_WAIT_MS;
    while (Date.now() < deadline) {
      const loadedAt = await this.host.withClient(async (client) =>
        (await client.query<{ t: Date }>('SELECT pg_conf_load_time() AS t')).rows[0]!.t,
      );
      if (loadedAt >= requestedAt) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function autoConfFile(embedded: EmbeddedPostgres): string {
  return path.join(embedded.paths.dataDir, 'postgresql.auto.conf');
}

function readAutoConf(embedded: EmbeddedPostgres): string | null {
  const file = autoConfFile(embedded);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
}

/**
 * For an embedded server that no longer starts because of settings pilotscope left behind (a
 * crash between ALTER SYSTEM and the restart that would have caught it): puts the journaled
 * postgresql.auto.conf back. Returns false when the journal has no copy of the file.
 */
export function restoreJournaledAutoConf(embedded: EmbeddedPostgres, journalPath: string): boolean {
  const data = new KnobJournal(journalPath).read();
  if (!data || data.autoConf === undefined) return false;
  const file = autoConfFile(embedded);
  if (data.autoConf === null) fs.rmSync(file, { force: true });
  else fs.writeFileSync(file, data.autoConf); // an existing file keeps its owner (the server's OS user)
  return true;
}

function valueLiteral(value: SettingValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(value);
  return literal(value);
}

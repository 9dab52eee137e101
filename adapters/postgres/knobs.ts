/**
 * Knobs: ALTER SYSTEM, then reload or restart according to pg_settings.context. Restarts happen
 * only on the embedded server; a restart that fails puts the previous settings back.
 */
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import type { KnobChange, SettingValue } from '../../src/engine/types.js';
import { PilotScopeError } from '../../src/errors.js';
import { closest } from '../../src/config/schema.js';
import type { ServerTarget } from './connection.js';
import { literal } from './script.js';

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
  /** Knobs this process changed (reset restores them); ALTER SYSTEM RESET restores the server's own file value. */
  private readonly changed = new Set<string>();

  constructor(private readonly host: KnobHost, private readonly target: ServerTarget) {}

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
    await this.host.withClient(async (client) => {
      for (const name of names) {
        try {
          await client.query(`ALTER SYSTEM SET ${name} = ${valueLiteral(knobs[name]!)}`);
        } catch (err) {
          throw new PilotScopeError('QUERY_ERROR', `Cannot set ${name} to ${String(knobs[name])}: ${(err as Error).message}.`, { knob: name }, { cause: err });
        }
        this.changed.add(name);
      }
    });
    if (needsRestart) await this.restartOrRestore(backup!);
    else await this.reloadAndWait();
    if (rows.some((r) => r.context === 'backend' || r.context === 'superuser-backend')) await this.host.resetPool();
    return { applied: { ...knobs }, method: needsRestart ? 'restart' : 'reload' };
  }

  /** Puts back every knob this process changed. */
  async reset(): Promise<void> {
    if (this.changed.size === 0) return;
    const names = [...this.changed];
    const rows = await this.describe(names);
    await this.host.withClient(async (client) => {
      for (const name of names) await client.query(`ALTER SYSTEM RESET ${name}`);
    });
    this.changed.clear();
    if (rows.some((r) => r.context === 'postmaster') && this.target.embedded) {
      await this.target.embedded.restart();
      await this.host.resetPool();
    } else {
      await this.reloadAndWait();
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
    const file = path.join(this.target.embedded!.paths.dataDir, 'postgresql.auto.conf');
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

function valueLiteral(value: SettingValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(value);
  return literal(value);
}

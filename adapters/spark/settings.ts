/**
 * Spark session settings: per-statement hints (SET before, RESET after) and knobs (kept on every
 * pooled session). Spark accepts only runtime SQL settings per session; static ones
 * (spark.sql.warehouse.dir, ...) and core ones (spark.executor.memory, ...) are rejected with a
 * message that says where they can be set instead.
 */
import type { KnobChange, SettingValue } from '../../src/engine/types.js';
import { closest } from '../../src/config/schema.js';
import { PilotScopeError, isPilotScopeError } from '../../src/errors.js';
import type { SessionPool } from './pool.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** A setting name, checked so that it cannot carry anything but a name into a SET statement. */
export function settingName(key: string): string {
  if (!NAME.test(key)) {
    throw new PilotScopeError('USAGE', `${JSON.stringify(key)} is not a valid Spark setting name (letters, digits, '.', '_' and '-' only).`, { setting: key });
  }
  return key;
}

/** The text of a value in `SET key=value` (the rest of the statement is the value). */
export function settingValue(key: string, value: SettingValue): string {
  const text = typeof value === 'boolean' ? String(value) : String(value);
  if (/[\n\r;]/.test(text)) {
    throw new PilotScopeError('USAGE', `The value of ${key} may not contain a line break or ';' (got ${JSON.stringify(text)}).`, { setting: key });
  }
  return text.trim();
}

/** Turns Spark's refusal of a SET into a message that says what to do. */
export function settingError(err: unknown, key: string): unknown {
  if (!isPilotScopeError(err, 'QUERY_ERROR')) return err;
  if (/static config/i.test(err.message)) {
    return new PilotScopeError(
      'USAGE',
      `${key} is a static Spark configuration: it is fixed when the Spark Thrift Server starts and cannot be changed per session. ` +
        'Set it with --conf when the server starts, or leave it out of the knobs; `SET -v` on the server lists the runtime settings.',
      { setting: key },
      { cause: err },
    );
  }
  if (/Spark config/i.test(err.message)) {
    return new PilotScopeError(
      'USAGE',
      `${key} is a Spark core configuration (not a SQL setting) and cannot be changed per session. Set it when the server starts (--conf), or leave it out of the knobs.`,
      { setting: key },
      { cause: err },
    );
  }
  return new PilotScopeError('USAGE', `Spark refused ${key}: ${err.message.replace(/^Spark rejected the statement: /, '')}`, { setting: key }, { cause: err });
}

/** Knobs: runtime SQL settings applied to every session of the pool. */
export class SparkKnobs {
  private known?: Promise<Set<string>>;
  /** Keys this engine set, to restore on reset. */
  private readonly changed = new Set<string>();

  constructor(private readonly pool: SessionPool, private readonly serverName: string) {}

  async set(knobs: Readonly<Record<string, SettingValue>>): Promise<KnobChange> {
    const entries = new Map<string, string>();
    for (const [key, value] of Object.entries(knobs)) entries.set(settingName(key), settingValue(key, value));
    if (entries.size === 0) return { applied: {}, method: 'session' };
    await this.rejectUnknown([...entries.keys()]);
    try {
      await this.pool.setKnobs(entries);
    } catch (err) {
      const key = [...entries.keys()].find((k) => (err as Error).message.includes(k)) ?? [...entries.keys()].join(', ');
      throw settingError(err, key);
    }
    for (const key of entries.keys()) this.changed.add(key);
    return { applied: { ...knobs }, method: 'session' };
  }

  async reset(): Promise<void> {
    if (this.changed.size === 0) return;
    await this.pool.setKnobs(new Map([...this.changed].map((key) => [key, undefined])));
    this.changed.clear();
  }

  /**
   * A name close to a documented setting is almost certainly a typo: Spark would accept it
   * silently. `SET -v` lists only the documented settings; an internal one (e.g.
   * spark.sql.files.openCostInBytes) is registered too and answers `SET key` with its value,
   * where an unregistered key answers `<undefined>`.
   */
  private async rejectUnknown(keys: string[]): Promise<void> {
    const known = await (this.known ??= this.loadKnown());
    for (const key of keys) {
      if (known.has(key)) continue;
      const hint = closest(key, [...known]);
      if (hint === undefined) continue;
      if (await this.isRegistered(key)) {
        known.add(key);
        continue;
      }
      throw new PilotScopeError('USAGE', `"${key}" is not a Spark SQL setting of ${this.serverName} (did you mean "${hint}"?). \`SET -v\` lists them.`, { setting: key });
    }
  }

  private async isRegistered(key: string): Promise<boolean> {
    const rows = await this.pool.use(async (session) => (await session.connection.execute(`SET ${key}`, { fetch: true })).rows);
    return rows.length > 0 && String(rows[0]!.value) !== '<undefined>';
  }

  private async loadKnown(): Promise<Set<string>> {
    const rows = await this.pool.use(async (session) => (await session.connection.execute('SET -v', { fetch: true })).rows);
    return new Set(rows.map((r) => String(r.key)));
  }
}

/**
 * Applies configurations of a knob space to an engine, sending only the knobs whose value changes
 * (so a restart happens only when a restart knob really changes), running each changed knob's
 * afterChange statements, and putting the original configuration back.
 */
import type { Engine, KnobChange } from '../engine/types.js';
import { isPilotScopeError, toPilotScopeError } from '../errors.js';
import type { Configuration, KnobSpace } from './space/types.js';

export interface ApplyOutcome {
  /** 'none' when nothing changed. */
  method: KnobChange['method'] | 'none';
  changed: string[];
}

export class KnobApplier {
  /** What is set now, beyond the original configuration (values as sent). */
  private applied: Configuration = {};
  /** Knobs changed since the last restore (their afterChange statements run again on restore). */
  private touched = new Set<string>();

  constructor(private readonly engine: Engine, private readonly space: KnobSpace) {}

  get current(): Readonly<Configuration> {
    return this.applied;
  }

  /**
   * Sets `config` (values as sent). When the engine refuses, the engine is brought back to what
   * was applied before and the error is rethrown (a server that did not start was already
   * restored by the engine).
   */
  async apply(config: Configuration): Promise<ApplyOutcome> {
    const diff: Configuration = {};
    for (const [name, value] of Object.entries(config)) if (this.applied[name] !== value) diff[name] = value;
    const changed = Object.keys(diff);
    if (changed.length === 0) return { method: 'none', changed };
    let change: KnobChange;
    try {
      change = await this.engine.setKnobs(diff);
    } catch (err) {
      if (!isPilotScopeError(err, 'DB_START_FAILED')) await this.reapply().catch(() => undefined);
      throw err;
    }
    for (const name of changed) this.touched.add(name);
    this.applied = { ...this.applied, ...diff };
    await this.afterChange(changed);
    return { method: change.method, changed };
  }

  /** Puts the original configuration back. */
  async restore(): Promise<void> {
    await this.engine.resetKnobs();
    const touched = [...this.touched];
    this.applied = {};
    this.touched.clear();
    await this.afterChange(touched);
  }

  /** After a partly applied change: back to the original, then what was applied before. */
  private async reapply(): Promise<void> {
    const before = this.applied;
    await this.engine.resetKnobs();
    this.applied = {};
    if (Object.keys(before).length) {
      await this.engine.setKnobs(before);
      this.applied = before;
    }
  }

  private async afterChange(names: readonly string[]): Promise<void> {
    const statements = new Set<string>();
    for (const knob of this.space.knobs) if (names.includes(knob.name)) for (const s of knob.afterChange) statements.add(s);
    for (const sql of statements) {
      try {
        await this.engine.run({ sql });
      } catch (err) {
        throw toPilotScopeError(err, 'QUERY_ERROR', `Running "${sql}" after a knob change`);
      }
    }
  }
}

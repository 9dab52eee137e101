/**
 * Knob spaces: the file format (what people write, JSON) and the resolved form the tuner uses
 * (bounds computed for one machine).
 */
import type { SettingValue } from '../../engine/types.js';

/**
 * A numeric bound: a number in the knob's unit, or a share of the machine. `fractionOfMemory`
 * needs a memory unit (B, kB, MB, GB, TB); with `perConnection` it is divided by the number of
 * connections the server allows, for per-session memory such as work_mem. `perCore` is a count
 * per CPU core.
 */
export type BoundDefinition = number | { fractionOfMemory: number; perConnection?: boolean } | { perCore: number };

export type KnobType = 'int' | 'real' | 'enum' | 'bool';

export interface KnobDefinition {
  name: string;
  type: KnobType;
  /** int and real: the range (inclusive). */
  min?: BoundDefinition;
  max?: BoundDefinition;
  /** int and real: sample on a log scale (min must be > 0). */
  log?: boolean;
  /** enum: the values to choose from. */
  choices?: Array<string | number | boolean>;
  /** The engine's own default (documentation). */
  default?: string | number | boolean;
  /**
   * int and real: a value outside the range with its own meaning (0 = off, -1 = unlimited),
   * drawn with probability `bias` (default: the space's specialValueBias) as in LlamaTune.
   */
  special?: { value: number; bias?: number };
  /** Unit of the values (appended when a value is sent: "64MB"; special values are sent bare). */
  unit?: string;
  /** Takes effect only after a server restart (such knobs are left out where we cannot restart). */
  restart?: boolean;
  /** Statements to run after the knob changed, before measuring (e.g. ANALYZE). */
  afterChange?: string[];
  description?: string;
}

export interface KnobSpaceDefinition {
  $schema?: string;
  name: string;
  /** The engine kind the knobs belong to ('postgresql', 'spark'). */
  engine: string;
  description?: string;
  /** Probability of drawing a knob's special value (default 0.2, as LlamaTune). */
  specialValueBias?: number;
  knobs: KnobDefinition[];
}

/** The machine the bounds are computed for. */
export interface MachineProfile {
  memoryBytes: number;
  /** Sessions that may run at once (PostgreSQL: max_connections). */
  connections: number;
  cores: number;
  /** Knobs that need a restart can be applied (the engine manages the server). */
  canRestart: boolean;
}

interface KnobCommon {
  name: string;
  restart: boolean;
  afterChange: string[];
  description?: string;
  /** The engine's default, when the file names one. */
  default?: SettingValue;
}

export interface NumericKnob extends KnobCommon {
  kind: 'number';
  integer: boolean;
  min: number;
  max: number;
  log: boolean;
  unit?: string;
  special?: { value: number; bias: number };
}

export interface ChoiceKnob extends KnobCommon {
  kind: 'choice';
  choices: SettingValue[];
}

export type Knob = NumericKnob | ChoiceKnob;

export interface KnobSpace {
  name: string;
  engine: string;
  knobs: Knob[];
  /** What resolution changed or left out, for people. */
  notices: string[];
}

/** A configuration: a value per knob, as sent to the engine. */
export type Configuration = Record<string, SettingValue>;

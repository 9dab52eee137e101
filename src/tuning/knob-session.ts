/** What the knob algorithm, the CLI and the benchmark share around the tuner. */
import type { Engine } from '../engine/types.js';
import type { KnobApplier } from './knob-applier.js';
import type { TuningResult } from './knob-tuner.js';
import { machineProfile, type MachineOverrides } from './machine.js';
import { SeededRandom } from './random.js';
import { resolveSpace } from './space/resolve.js';
import type { Configuration, KnobSpace } from './space/types.js';
import { defaultSpaceName, loadSpaceDefinition } from './spaces/index.js';
import { measureWorkload, median, objectiveOf, type MeasureOptions, type ObjectiveName } from './workload.js';

/** The space (built-in name or file; default: the engine's built-in one) resolved for the engine's machine. */
export async function resolveKnobSpace(engine: Engine, space: string | undefined, overrides: MachineOverrides = {}, notice?: (text: string) => void): Promise<KnobSpace> {
  const definition = loadSpaceDefinition(space ?? defaultSpaceName(engine.kind), engine.kind);
  const resolved = resolveSpace(definition, await machineProfile(engine, overrides, notice));
  for (const text of resolved.notices) notice?.(text);
  return resolved;
}

/** A seeded sample of at most `max` queries (0: all), in workload order. */
export function pickQueries(queries: readonly string[], max: number, seed: number): string[] {
  if (max <= 0 || queries.length <= max) return [...queries];
  const chosen = new SeededRandom(seed).sample(range(queries.length), max).sort((a, b) => a - b);
  return chosen.map((i) => queries[i]!);
}

/** Leaves the best configuration of a tuning run applied (the original, when nothing beat it). */
export async function applyBest(applier: KnobApplier, result: TuningResult): Promise<Configuration> {
  if (result.best.source === 'default') await applier.restore();
  else await applier.apply(result.best.config);
  return result.best.config;
}

export interface ConfigurationComparison {
  queries: number;
  objective: ObjectiveName;
  unit: string;
  rounds: number;
  /** The objective under each configuration: median over rounds. */
  default: number;
  tuned: number;
  /** Cost under the default over cost under the tuned configuration (> 1: tuned is better): median of the rounds' ratios. */
  ratio: number;
  perRound: Array<{ default: number; tuned: number }>;
  timedOut: { default: number; tuned: number };
}

/**
 * Measures a workload under the original configuration and under `config`, in alternating rounds
 * (so a change in the machine's load does not land on one side only); `config` is left applied.
 * For validating a tuned configuration on the test workload.
 */
export async function compareWithDefault(
  engine: Engine,
  applier: KnobApplier,
  config: Configuration,
  queries: readonly string[],
  measure: MeasureOptions & { rounds?: number },
  objective: ObjectiveName,
): Promise<ConfigurationComparison> {
  const rounds = measure.rounds ?? 1;
  const perRound: ConfigurationComparison['perRound'] = [];
  const ratios: number[] = [];
  const timedOut = { default: 0, tuned: 0 };
  let unit = '';
  for (let round = 0; round < rounds; round++) {
    await applier.restore();
    const before = await measureWorkload(engine, queries, measure);
    await applier.apply(config);
    const after = await measureWorkload(engine, queries, measure);
    const a = objectiveOf(objective, before);
    const b = objectiveOf(objective, after);
    unit = a.unit;
    perRound.push({ default: a.value, tuned: b.value });
    ratios.push(a.cost / b.cost);
    timedOut.default += before.timedOut;
    timedOut.tuned += after.timedOut;
  }
  return {
    queries: queries.length,
    objective,
    unit,
    rounds,
    default: median(perRound.map((r) => r.default)),
    tuned: median(perRound.map((r) => r.tuned)),
    ratio: median(ratios),
    perRound,
    timedOut,
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

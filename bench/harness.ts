/**
 * Benchmark plumbing: a benchmark reports figures; each is printed as
 * `figure <name> <value> <unit>` and all of them are written to bench/results/<bench>.json.
 */
import os from 'node:os';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export class BenchContext {
  readonly figures: Figure[] = [];
  readonly notes: string[] = [];

  constructor(readonly benchName: string, readonly args: readonly string[]) {}

  /** Records one figure and prints its line. */
  figure(name: string, value: number, unit: string, note?: string): void {
    const rounded = Number.isFinite(value) ? Number(value.toPrecision(6)) : value;
    this.figures.push({ name, value: rounded, unit, ...(note ? { note } : {}) });
    process.stdout.write(`figure ${name} ${rounded} ${unit}\n`);
  }

  /** A free-text line for the human reading the run (not a figure). */
  note(text: string): void {
    this.notes.push(text);
    process.stdout.write(`# ${text}\n`);
  }
}

export type Benchmark = (ctx: BenchContext) => Promise<void>;

export function machineDescription(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/** Median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th quantile (0..1) by linear interpolation. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

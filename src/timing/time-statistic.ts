/**
 * TimeStatistic: named stage timers (parse, featurize, infer, push, pull, engine, store, or any
 * name) aggregated per run. Make one instance per run; `defaultTimeStatistic` exists for
 * convenience only.
 *
 * Nesting rules (so nothing is counted twice without you knowing):
 * - `totalMs` is inclusive: a stage timed inside another stage counts in both. Different stages
 *   may therefore overlap; add up `selfMs` (or only stages you know are disjoint) to get a total.
 * - `selfMs` is a stage's time not covered by stages nested inside it with `time()`. Nesting is
 *   tracked through async calls (AsyncLocalStorage), so it holds for async functions too.
 *   A span opened with `start()` has a parent (the `time()` it runs inside) but never becomes a
 *   parent itself: use `time()` when you want nesting.
 * - A stage re-entered inside itself (recursion, or a helper that times the same name) is counted
 *   once, by its outermost span; the inner spans add no time and no count.
 * - Spans of the same stage that run concurrently (parallel queries) each add their own duration
 *   to `totalMs`; `wallMs` is the wall-clock time during which at least one of them was running.
 * - A function that throws (or a promise that rejects) is still timed; the error is rethrown.
 * - `addTime` adds a duration measured elsewhere to total, self and wall time alike.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { PilotScopeError } from '../errors.js';

/** Aggregates of one stage, in milliseconds. */
export interface StageStats {
  count: number;
  totalMs: number;
  selfMs: number;
  wallMs: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
}

/** A plain, JSON-ready report for results files. */
export interface TimingReport {
  unit: 'ms';
  stages: Record<string, StageStats>;
}

/** An open timing started with `start()`. */
export interface Timing {
  readonly name: string;
  /** Ends the span and returns its duration in milliseconds (0 for a re-entered stage). */
  end(): number;
}

export interface TimeStatisticOptions {
  /** Monotonic clock in nanoseconds; defaults to process.hrtime.bigint (tests may inject one). */
  clock?: () => bigint;
}

interface Span {
  readonly name: string;
  readonly startNs: bigint;
  readonly parent: Span | undefined;
  readonly generation: number;
  /** Intervals of nested time() spans, for self time. */
  readonly children: Array<[bigint, bigint]>;
  endNs?: bigint;
}

class StageAccumulator {
  count = 0;
  totalNs = 0n;
  selfNs = 0n;
  wallNs = 0n;
  minNs: bigint | undefined;
  maxNs: bigint | undefined;
  running = 0;
  runningSinceNs = 0n;

  addSpan(durationNs: bigint, selfNs: bigint): void {
    this.count += 1;
    this.totalNs += durationNs;
    this.selfNs += selfNs;
    if (this.minNs === undefined || durationNs < this.minNs) this.minNs = durationNs;
    if (this.maxNs === undefined || durationNs > this.maxNs) this.maxNs = durationNs;
  }

  toStats(): StageStats {
    const ms = (ns: bigint | undefined): number => (ns === undefined ? 0 : Number(ns) / 1e6);
    return {
      count: this.count,
      totalMs: ms(this.totalNs),
      selfMs: ms(this.selfNs),
      wallMs: ms(this.wallNs),
      meanMs: this.count === 0 ? 0 : ms(this.totalNs) / this.count,
      minMs: ms(this.minNs),
      maxMs: ms(this.maxNs),
    };
  }
}

const NOOP_TIMING_DURATION = 0;

export class TimeStatistic {
  private readonly clock: () => bigint;
  private readonly current = new AsyncLocalStorage<Span>();
  private stages = new Map<string, StageAccumulator>();
  /** Spans opened with start() and not yet ended, per name (ended LIFO by end(name)). */
  private openByName = new Map<string, Array<{ span: Span | undefined; timing: Timing }>>();
  /** Bumped by clear(): spans started before a clear are dropped when they end. */
  private generation = 0;

  constructor(options: TimeStatisticOptions = {}) {
    this.clock = options.clock ?? (() => process.hrtime.bigint());
  }

  /**
   * Opens a span of stage `name`. End it with the returned handle's `end()` (exact, also under
   * concurrency) or with `end(name)` (ends the most recently started open span of that name).
   */
  start(name: string): Timing {
    checkStageName(name);
    const span = this.openSpan(name);
    let ended = false;
    const timing: Timing = {
      name,
      end: () => {
        if (ended) {
          throw new PilotScopeError('USAGE', `Timer '${name}' was already ended; call start('${name}') again for a new span.`, { name });
        }
        ended = true;
        this.forgetOpen(name, timing);
        return span === undefined ? NOOP_TIMING_DURATION : this.closeSpan(span);
      },
    };
    const open = this.openByName.get(name) ?? [];
    open.push({ span, timing });
    this.openByName.set(name, open);
    return timing;
  }

  /** Ends the most recently started open span of `name`; returns its duration in ms. */
  end(name: string): number {
    checkStageName(name);
    const open = this.openByName.get(name);
    const last = open?.[open.length - 1];
    if (!last) {
      throw new PilotScopeError('USAGE', `Timer '${name}' is not running: call start('${name}') before end('${name}').`, { name });
    }
    return last.timing.end();
  }

  /**
   * Times `fn` under stage `name`. Works for sync functions and for functions returning a promise
   * (timed until it settles). Stages timed inside `fn` are nested under this one.
   */
  time<T>(name: string, fn: () => T): T {
    checkStageName(name);
    const span = this.openSpan(name);
    if (span === undefined) return fn(); // re-entered stage: the outer span already counts
    let result: T;
    try {
      result = this.current.run(span, fn);
    } catch (err) {
      this.closeSpan(span);
      throw err;
    }
    if (isThenable(result)) {
      return result.then(
        (value) => {
          this.closeSpan(span);
          return value;
        },
        (err: unknown) => {
          this.closeSpan(span);
          throw err;
        },
      ) as T;
    }
    this.closeSpan(span);
    return result;
  }

  /** Adds a duration (ms) measured elsewhere, as `count` spans (default 1). */
  addTime(name: string, ms: number, count = 1): void {
    checkStageName(name);
    if (!Number.isFinite(ms) || ms < 0) {
      throw new PilotScopeError('USAGE', `addTime('${name}', ${ms}): the duration must be a finite number of milliseconds >= 0.`, { name, ms });
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new PilotScopeError('USAGE', `addTime('${name}', ${ms}, ${count}): count must be an integer >= 0.`, { name, count });
    }
    const ns = BigInt(Math.round(ms * 1e6));
    const stage = this.stage(name);
    stage.count += count;
    stage.totalNs += ns;
    stage.selfNs += ns;
    stage.wallNs += ns;
    const each = count > 0 ? ns / BigInt(count) : ns;
    if (count > 0) {
      if (stage.minNs === undefined || each < stage.minNs) stage.minNs = each;
      if (stage.maxNs === undefined || each > stage.maxNs) stage.maxNs = each;
    }
  }

  /** Stats of one stage, or undefined if it was never timed. */
  stats(name: string): StageStats | undefined {
    return this.stages.get(name)?.toStats();
  }

  /** Stage names in the order they were first timed. */
  names(): string[] {
    return [...this.stages.keys()];
  }

  /** {stage: total ms} (upstream get_sum_data). */
  sums(): Record<string, number> {
    return this.mapStats((s) => s.totalMs);
  }

  /** {stage: mean ms per span} (upstream get_average_data). */
  averages(): Record<string, number> {
    return this.mapStats((s) => s.meanMs);
  }

  /** {stage: number of spans} (upstream get_count_data). */
  counts(): Record<string, number> {
    return this.mapStats((s) => s.count);
  }

  report(): TimingReport {
    const stages: Record<string, StageStats> = {};
    for (const [name, acc] of this.stages) stages[name] = acc.toStats();
    return { unit: 'ms', stages };
  }

  /** Forgets everything; spans still open are dropped when they end. */
  clear(): void {
    this.stages = new Map();
    this.openByName = new Map();
    this.generation += 1;
  }

  private mapStats(pick: (s: StageStats) => number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, acc] of this.stages) out[name] = pick(acc.toStats());
    return out;
  }

  private stage(name: string): StageAccumulator {
    let stage = this.stages.get(name);
    if (!stage) {
      stage = new StageAccumulator();
      this.stages.set(name, stage);
    }
    return stage;
  }

  /** Returns undefined when `name` is already running in an enclosing span (re-entry). */
  private openSpan(name: string): Span | undefined {
    const parent = this.current.getStore();
    for (let s: Span | undefined = parent; s; s = s.parent) {
      if (s.name === name && s.endNs === undefined) return undefined;
    }
    const now = this.clock();
    const stage = this.stage(name);
    if (stage.running === 0) stage.runningSinceNs = now;
    stage.running += 1;
    return { name, startNs: now, parent, generation: this.generation, children: [] };
  }

  private closeSpan(span: Span): number {
    const now = this.clock();
    span.endNs = now;
    const duration = now - span.startNs;
    if (span.generation !== this.generation) return Number(duration) / 1e6;
    const stage = this.stage(span.name);
    stage.running -= 1;
    if (stage.running === 0) stage.wallNs += now - stage.runningSinceNs;
    stage.addSpan(duration, duration - coveredNs(span.children, span.startNs, now));
    if (span.parent && span.parent.endNs === undefined) span.parent.children.push([span.startNs, now]);
    return Number(duration) / 1e6;
  }

  private forgetOpen(name: string, timing: Timing): void {
    const open = this.openByName.get(name);
    if (!open) return;
    const i = open.findIndex((o) => o.timing === timing);
    if (i >= 0) open.splice(i, 1);
    if (open.length === 0) this.openByName.delete(name);
  }
}

/** Length of the union of `intervals`, clipped to [from, to]. */
function coveredNs(intervals: Array<[bigint, bigint]>, from: bigint, to: bigint): bigint {
  if (intervals.length === 0) return 0n;
  const sorted = intervals
    .map(([a, b]): [bigint, bigint] => [a < from ? from : a, b > to ? to : b])
    .filter(([a, b]) => b > a)
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  let total = 0n;
  let curStart: bigint | undefined;
  let curEnd = 0n;
  for (const [a, b] of sorted) {
    if (curStart === undefined || a > curEnd) {
      if (curStart !== undefined) total += curEnd - curStart;
      curStart = a;
      curEnd = b;
    } else if (b > curEnd) {
      curEnd = b;
    }
  }
  if (curStart !== undefined) total += curEnd - curStart;
  return total;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function checkStageName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new PilotScopeError('USAGE', `A timer stage name must be a non-empty string (got ${JSON.stringify(name)}).`, { name });
  }
}

/** A process-wide instance for convenience; prefer one instance per run. */
export const defaultTimeStatistic = new TimeStatistic();

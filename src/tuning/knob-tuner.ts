/**
 * Knob tuning: the loop of LlamaTune + SMAC, done safely. The server's current configuration is
 * measured first (the reference); then each suggested configuration is applied (reload or
 * restart as each knob needs), the training workload is measured, and the result is told to the
 * optimizer. A configuration the engine refuses (a server that does not start with it) is
 * recorded as failed, the engine is back on the previous configuration, and the optimizer learns
 * it as bad. Budgets: evaluations and wall time.
 */
import type { Engine } from '../engine/types.js';
import { PilotScopeError, isPilotScopeError, toPilotScopeError } from '../errors.js';
import { KnobApplier } from './knob-applier.js';
import { BayesianOptimizer, type SuggestionSource } from './optimizer/bayes.js';
import { hesboProjection, identityProjection, type Projection } from './optimizer/embedding.js';
import { configurationKey, decodeConfiguration, renderConfiguration } from './space/codec.js';
import type { Configuration, KnobSpace } from './space/types.js';
import { measureWorkload, objectiveOf, type ObjectiveName, type WorkloadMeasurement } from './workload.js';

export interface KnobTuningOptions {
  engine: Engine;
  space: KnobSpace;
  /** The training workload. */
  queries: readonly string[];
  objective: ObjectiveName;
  warmup: number;
  repeats: number;
  /** Configurations to try besides the current one. */
  budgetEvaluations: number;
  /** Wall-time budget in seconds (0: none); no evaluation starts after it. */
  budgetSeconds: number;
  seed: number;
  initialPoints: number;
  /** Dimensions of the random embedding (0: search every knob directly). */
  lowDim: number;
  /** Levels per search coordinate (0: continuous). */
  quantization: number;
  /** A query's statement timeout: this many times its time under the current configuration (at least 1 s). */
  timeoutFactor: number;
  /** Upper bound on any statement timeout (ms). */
  maxTimeoutMs: number;
  /**
   * Re-measure this many of the best configurations, and the original one, once more at the end
   * (each is then judged on the geometric mean of its measurements), so that one lucky
   * measurement does not decide. 0: off.
   */
  confirm?: number;
  onEvaluation?(evaluation: Evaluation): void;
}

export type EvaluationStatus = 'ok' | 'timeout' | 'failed';

export interface Evaluation {
  index: number;
  /** 'default': the configuration the server had; else where the optimizer got the point. */
  source: 'default' | SuggestionSource;
  /** Values as sent to the engine; {} for the default. */
  config: Configuration;
  status: EvaluationStatus;
  /** The objective in its unit (absent when failed). */
  objective?: number;
  /** What is minimized, seconds (absent when failed). */
  cost?: number;
  timedOutQueries?: number;
  error?: { code: string; message: string };
  /** How the configuration was applied. */
  applied?: string;
  /** Wall time of the evaluation (apply + measure), seconds. */
  seconds: number;
  /** Costs and objectives of later re-measurements (confirmation). */
  remeasured?: number[];
  remeasuredObjective?: number[];
}

export interface TuningResult {
  space: string;
  knobs: number;
  objective: ObjectiveName;
  unit: string;
  queries: number;
  evaluations: Evaluation[];
  default: Evaluation;
  best: Evaluation;
  /** The objective of the default and of the best, over all their measurements (geometric mean). */
  defaultObjective: number;
  bestObjective: number;
  /** Cost under the default over cost under the best, over all their measurements (> 1: the best is faster). */
  improvement: number;
  failures: number;
  timeouts: number;
  stoppedBy: 'evaluations' | 'time' | 'exhausted';
  wallSeconds: number;
  /** Seconds spent choosing configurations (fitting the surrogate, maximizing EI). */
  optimizerSeconds: number;
  search: { dims: number; lowDim: number; quantization: number; seed: number };
}

const MIN_TIMEOUT_MS = 1000;

export class KnobTuner {
  readonly applier: KnobApplier;
  private readonly projection: Projection;
  private readonly optimizer: BayesianOptimizer;
  /** The reference measurement (timeouts are derived from it). */
  private defaultMeasurement?: WorkloadMeasurement;

  constructor(private readonly options: KnobTuningOptions) {
    checkOptions(options);
    this.applier = new KnobApplier(options.engine, options.space);
    const knobs = options.space.knobs.length;
    this.projection = options.lowDim > 0 && options.lowDim < knobs ? hesboProjection(knobs, options.lowDim, options.seed) : identityProjection(knobs);
    this.optimizer = new BayesianOptimizer({
      dims: this.projection.dims,
      seed: options.seed,
      initialPoints: Math.max(1, Math.min(options.initialPoints, options.budgetEvaluations)),
      quantization: options.quantization,
    });
  }

  /** The configuration a search point stands for (values as sent). */
  configurationAt(point: ArrayLike<number>): Configuration {
    const { space } = this.options;
    return renderConfiguration(space, decodeConfiguration(space, this.projection.project(point)));
  }

  /** Runs the search. The engine is left on the last configuration tried: apply the best or restore after. */
  async run(): Promise<TuningResult> {
    const { options } = this;
    const started = performance.now();
    const evaluations: Evaluation[] = [];
    const record = (e: Evaluation): Evaluation => {
      evaluations.push(e);
      options.onEvaluation?.(e);
      return e;
    };

    const defaultEval = record(await this.evaluateDefault());
    if (defaultEval.status === 'failed') {
      throw new PilotScopeError('QUERY_ERROR', `The training workload fails under the current configuration, so it cannot be tuned: ${defaultEval.error!.message}`);
    }
    const timeouts = this.timeoutsFrom(this.defaultMeasurement!);
    const seen = new Set<string>([configurationKey({})]);
    let optimizerSeconds = 0;
    let stoppedBy: TuningResult['stoppedBy'] = 'evaluations';

    for (let i = 1; i <= options.budgetEvaluations; i++) {
      if (options.budgetSeconds > 0 && (performance.now() - started) / 1000 >= options.budgetSeconds) {
        stoppedBy = 'time';
        break;
      }
      const askStarted = performance.now();
      const suggestion = this.optimizer.ask((point) => !seen.has(configurationKey(this.configurationAt(point))));
      optimizerSeconds += (performance.now() - askStarted) / 1000;
      const config = this.configurationAt(suggestion.point);
      const key = configurationKey(config);
      if (seen.has(key)) {
        stoppedBy = 'exhausted';
        break;
      }
      seen.add(key);
      const evaluation = record(await this.evaluate(i, suggestion.source, config, timeouts));
      this.optimizer.tell(suggestion.point, evaluation.cost !== undefined ? Math.log(Math.max(evaluation.cost, 1e-9)) : null);
    }

    const ok = evaluations.filter((e) => e.status === 'ok' && e !== defaultEval).sort((a, b) => a.cost! - b.cost!);
    // Confirmation: the best few and the original are measured again, and the best is chosen
    // among them on all their measurements.
    let candidates = [defaultEval, ...ok];
    const confirmed = [defaultEval, ...ok.slice(0, options.confirm ?? 3)];
    if (confirmed.length > 1 && !(options.budgetSeconds > 0 && (performance.now() - started) / 1000 >= options.budgetSeconds)) {
      await this.remeasure(confirmed, timeouts);
      candidates = confirmed;
    }
    const best = candidates.reduce((a, b) => (combined(b, 'cost') < combined(a, 'cost') ? b : a));
    const unit = objectiveOf(options.objective, this.defaultMeasurement!).unit;
    return {
      space: options.space.name,
      knobs: options.space.knobs.length,
      objective: options.objective,
      unit,
      queries: options.queries.length,
      evaluations,
      default: defaultEval,
      best,
      defaultObjective: combined(defaultEval, 'objective'),
      bestObjective: combined(best, 'objective'),
      improvement: combined(defaultEval, 'cost') / combined(best, 'cost'),
      failures: evaluations.filter((e) => e.status === 'failed').length,
      timeouts: evaluations.filter((e) => e.status === 'timeout').length,
      stoppedBy,
      wallSeconds: (performance.now() - started) / 1000,
      optimizerSeconds,
      search: { dims: this.projection.dims, lowDim: this.projection.dims < options.space.knobs.length ? this.projection.dims : 0, quantization: options.quantization, seed: options.seed },
    };
  }

  private async evaluateDefault(): Promise<Evaluation> {
    const started = performance.now();
    try {
      const outcome = await this.applier.apply({}); // nothing set: the server's own configuration
      const measurement = await this.measure(this.options.maxTimeoutMs);
      this.defaultMeasurement = measurement;
      return this.measured(0, 'default', {}, measurement, outcome.method, started);
    } catch (err) {
      return this.failed(0, 'default', {}, err, started);
    }
  }

  private async evaluate(index: number, source: SuggestionSource, config: Configuration, timeouts: number[]): Promise<Evaluation> {
    const started = performance.now();
    let method: string;
    try {
      method = (await this.applier.apply(config)).method;
    } catch (err) {
      if (!isPilotScopeError(err) || !['DB_START_FAILED', 'QUERY_ERROR', 'USAGE'].includes(err.code)) throw err;
      return this.failed(index, source, config, err, started);
    }
    try {
      return this.measured(index, source, config, await this.measure(timeouts), method, started);
    } catch (err) {
      if (!isPilotScopeError(err, 'QUERY_ERROR')) throw err;
      return this.failed(index, source, config, err, started);
    }
  }

  /** Measures each evaluation's configuration once more (the default first), recording the cost. */
  private async remeasure(evaluations: Evaluation[], timeouts: number[]): Promise<void> {
    for (const e of evaluations) {
      try {
        if (e.source === 'default') await this.applier.restore();
        else await this.applier.apply(e.config);
        const objective = objectiveOf(this.options.objective, await this.measure(e.source === 'default' ? this.options.maxTimeoutMs : timeouts));
        (e.remeasured ??= []).push(objective.cost);
        (e.remeasuredObjective ??= []).push(objective.value);
      } catch (err) {
        if (!isPilotScopeError(err) || !['DB_START_FAILED', 'QUERY_ERROR', 'USAGE'].includes(err.code)) throw err;
        (e.remeasured ??= []).push(Infinity); // it failed this time: never the best
        (e.remeasuredObjective ??= []).push(this.options.objective === 'throughput' ? 0 : Infinity);
      }
    }
  }

  private measure(timeoutsMs: number | number[]): Promise<WorkloadMeasurement> {
    return measureWorkload(this.options.engine, this.options.queries, { warmup: this.options.warmup, repeats: this.options.repeats, timeoutsMs });
  }

  private measured(index: number, source: Evaluation['source'], config: Configuration, m: WorkloadMeasurement, applied: string, started: number): Evaluation {
    const objective = objectiveOf(this.options.objective, m);
    return {
      index,
      source,
      config,
      status: m.timedOut > 0 ? 'timeout' : 'ok',
      objective: objective.value,
      cost: objective.cost,
      ...(m.timedOut > 0 ? { timedOutQueries: m.timedOut } : {}),
      applied,
      seconds: (performance.now() - started) / 1000,
    };
  }

  private failed(index: number, source: Evaluation['source'], config: Configuration, err: unknown, started: number): Evaluation {
    const e = toPilotScopeError(err);
    return { index, source, config, status: 'failed', error: { code: e.code, message: e.message }, seconds: (performance.now() - started) / 1000 };
  }

  private timeoutsFrom(m: WorkloadMeasurement): number[] {
    return Array.from(m.perQuery, (s) => Math.min(this.options.maxTimeoutMs, Math.max(MIN_TIMEOUT_MS, Math.ceil(s * 1000 * this.options.timeoutFactor))));
  }
}

/** Geometric mean of an evaluation's cost (or objective) over its measurements. */
export function combined(e: Evaluation, what: 'cost' | 'objective'): number {
  const values = [what === 'cost' ? e.cost! : e.objective!, ...((what === 'cost' ? e.remeasured : e.remeasuredObjective) ?? [])];
  return Math.exp(values.reduce((s, v) => s + Math.log(Math.max(v, 1e-12)), 0) / values.length);
}

function checkOptions(o: KnobTuningOptions): void {
  const fail = (what: string): never => {
    throw new PilotScopeError('USAGE', `Knob tuning: ${what}.`);
  };
  if (o.queries.length === 0) fail('the training workload has no queries');
  if (!Number.isInteger(o.budgetEvaluations) || o.budgetEvaluations < 0) fail(`budget_evaluations must be a whole number >= 0, got ${o.budgetEvaluations}`);
  if (!(o.budgetSeconds >= 0)) fail(`budget_seconds must be >= 0, got ${o.budgetSeconds}`);
  if (!Number.isInteger(o.repeats) || o.repeats < 1) fail(`repeats must be at least 1, got ${o.repeats}`);
  if (!Number.isInteger(o.warmup) || o.warmup < 0) fail(`warmup must be a whole number >= 0, got ${o.warmup}`);
  if (!Number.isInteger(o.lowDim) || o.lowDim < 0) fail(`low_dim must be a whole number >= 0, got ${o.lowDim}`);
  if (!(o.timeoutFactor >= 1)) fail(`timeout_factor must be at least 1, got ${o.timeoutFactor}`);
  if (o.confirm !== undefined && (!Number.isInteger(o.confirm) || o.confirm < 0)) fail(`confirm must be a whole number >= 0, got ${o.confirm}`);
}

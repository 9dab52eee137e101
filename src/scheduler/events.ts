/** Ready-made events: pretraining (collect, then train) and periodic work every N queries. */
import type { QueryOutcome, SchedulerContext, SchedulerEvent } from './types.js';

export interface PretrainingOptions {
  name?: string;
  enableCollection: boolean;
  enableTraining: boolean;
  collect(ctx: SchedulerContext): Promise<void>;
  train(ctx: SchedulerContext): Promise<void>;
}

/** Upstream's PretrainingModelEvent: at init, collect training data then train, each optional. */
export class PretrainingEvent implements SchedulerEvent {
  readonly name: string;

  constructor(private readonly options: PretrainingOptions) {
    this.name = options.name ?? 'pretraining';
  }

  async onInit(ctx: SchedulerContext): Promise<void> {
    if (this.options.enableCollection) await ctx.timers.time('collection', () => this.options.collect(ctx));
    if (this.options.enableTraining) await ctx.timers.time('training', () => this.options.train(ctx));
  }
}

export interface PeriodicOptions {
  name: string;
  /** Run after every `interval` successfully executed queries. */
  interval: number;
  /** Also run once at init. */
  executeOnInit?: boolean;
  run(ctx: SchedulerContext, recent: readonly QueryOutcome[]): Promise<void>;
}

/** Upstream's PeriodicModelUpdateEvent / periodic collection: work every N finished queries. */
export class PeriodicEvent implements SchedulerEvent {
  readonly name: string;
  private recent: QueryOutcome[] = [];

  constructor(private readonly options: PeriodicOptions) {
    if (!Number.isInteger(options.interval) || options.interval < 1) throw new RangeError(`interval must be a positive integer, got ${options.interval}`);
    this.name = options.name;
  }

  async onInit(ctx: SchedulerContext): Promise<void> {
    if (this.options.executeOnInit) await this.options.run(ctx, []);
  }

  async onQueryFinished(outcome: QueryOutcome, ctx: SchedulerContext): Promise<void> {
    this.recent.push(outcome);
    if (this.recent.length < this.options.interval) return;
    const batch = this.recent;
    this.recent = [];
    await ctx.flushStore(); // the work may read what these queries stored
    await this.options.run(ctx, batch);
  }
}

/**
 * One Lero run: plan collection and pairwise training at start-up (or a model from the registry),
 * the handler that picks a plan per query, periodic model updates, and the quality report.
 */
import { ModelRegistry, type ModelMetadata } from '../../models/index.js';
import { LeroModel } from '../../native/index.js';
import { PeriodicEvent, PretrainingEvent } from '../../scheduler/events.js';
import type { QueryOutcome } from '../../scheduler/types.js';
import { newScheduler, standardPulls } from '../baseline.js';
import type { AlgorithmContext, AlgorithmRun, ParamValue } from '../types.js';
import { describeUnseen } from '../common/coverage.js';
import { finiteOnly, modelInfo } from '../common/model-info.js';
import { trainingParams, type LearnedSettings } from '../common/settings.js';
import { firstN, resolveTrainingSource, storeTableName, trainingDatasetName, type TrainingSource } from '../common/training-source.js';
import { collectPlans, type PlanCollectionResult } from './collect.js';
import { LeroHandler } from './handler.js';
import { leroQuality } from './quality.js';
import { fitLero, groupsFromRows, newLeroModel, type LeroExamples, type LeroFitResult } from './train.js';

export interface LeroOptions {
  settings: LearnedSettings;
  params: Readonly<Record<string, ParamValue>>;
  factors: number[];
  batchSize: number;
  slowFactor: number;
  tolerance: number;
  validationFraction: number;
  planningParallelism: number;
  qualityMaxQueries: number;
}

const UPDATE_READER = 'lero-update';
const RECORDED_PARAMS = ['num_epoch', 'num_training', 'batch_size', 'learning_rate', 'swing_factors', 'slow_plan_factor', 'latency_tolerance', 'seed', 'collection_timeout_ms'];

export class LeroRun {
  readonly handler: LeroHandler;
  private readonly registry: ModelRegistry;
  private source?: TrainingSource;
  private metadata?: ModelMetadata;
  private model?: LeroModel;
  private collection?: PlanCollectionResult;
  private training?: { examples: Omit<LeroExamples, 'groups'> & { queries: number }; fit: LeroFitResult };
  private readonly updates: Array<{ after: number; model: string; plans: number }> = [];
  private executed = 0;

  constructor(private readonly ctx: AlgorithmContext, private readonly options: LeroOptions) {
    this.handler = new LeroHandler(options.factors, options.planningParallelism);
    this.registry = new ModelRegistry(ctx.home);
  }

  get settings(): LearnedSettings {
    return this.options.settings;
  }

  private get updatesTable(): string {
    return storeTableName('lero_updates', this.ctx.dataset);
  }

  private plansTable(dataset: string): string {
    return storeTableName('lero_plans', dataset);
  }

  algorithmRun(): AlgorithmRun {
    const { ctx, settings } = this;
    const scheduler = newScheduler(ctx).registerRequiredData(storeTableName('lero_runs', ctx.dataset), standardPulls(ctx)).registerHandlers(this.handler);
    if (settings.model === undefined) {
      scheduler.registerEvents(
        new PretrainingEvent({
          name: 'lero-pretraining',
          enableCollection: settings.enableCollection,
          enableTraining: settings.enableTraining,
          collect: () => this.collect(),
          train: () => this.train(),
        }),
      );
    }
    scheduler.registerEvents({ name: 'lero-model', onInit: () => this.prepareModel() });
    if (settings.updateInterval > 0) {
      scheduler.registerEvents(new PeriodicEvent({ name: 'lero-update', interval: settings.updateInterval, run: (_c, recent) => this.update(recent) }));
    }
    return {
      scheduler,
      model: () => (this.metadata ? modelInfo(this.metadata) : undefined),
      quality: () => this.quality(),
    };
  }

  private async trainingSource(): Promise<TrainingSource> {
    this.source ??= await resolveTrainingSource(this.settings, this.ctx);
    return this.source;
  }

  private collectInto(engine: TrainingSource['engine'], table: string, queries: readonly string[]): Promise<PlanCollectionResult> {
    return collectPlans({
      engine,
      store: this.ctx.store,
      table,
      queries,
      factors: this.options.factors,
      timeoutMs: this.settings.collectionTimeoutMs,
      slowFactor: this.options.slowFactor,
      parallelism: this.settings.collectionParallelism,
      progress: this.ctx.progress,
    });
  }

  async collect(): Promise<void> {
    const source = await this.trainingSource();
    const c = (this.collection = await this.collectInto(source.engine, this.plansTable(source.dataset), firstN(source.queries, this.settings.numCollection)));
    const skipped = Object.entries(c.skipped).map(([k, v]) => `${v} ${k}`).join(', ');
    this.ctx.notice(
      `Lero collection on ${source.dataset}: ${c.collected} queries collected, ${c.reused} already collected; ${c.vectors} card vectors gave ${c.distinctPlans} distinct plans; ` +
        `${c.executed} runs, ${c.censored} censored (timed out), ${c.replanned} executed a plan other than the planned candidate, ${c.failed} failed${c.errors.length ? ` (first: ${c.errors[0]})` : ''}` +
        (skipped ? `; skipped queries: ${skipped}` : ''),
    );
  }

  private fitOptions(epochs: number, seed: number) {
    return {
      epochs,
      batchSize: this.options.batchSize,
      learningRate: this.settings.learningRate,
      seed,
      tolerance: this.options.tolerance,
      validationFraction: this.options.validationFraction,
    };
  }

  async train(): Promise<void> {
    const source = await this.trainingSource();
    const examples = groupsFromRows(await this.ctx.store.readAll(this.plansTable(source.dataset)), this.settings.numTraining);
    const model = newLeroModel(examples, this.settings.seed);
    this.ctx.progress.start('train Lero', this.settings.numEpoch);
    const fit = await fitLero(model, examples, {
      ...this.fitOptions(this.settings.numEpoch, this.settings.seed),
      onEpoch: (r) => this.ctx.progress.tick('train Lero', r.epoch, `pair accuracy ${r.pairAccuracy.toFixed(3)}`),
    });
    this.ctx.progress.finish('train Lero', `${fit.pairs} pairs, held-out pair accuracy ${fit.validationPairAccuracy.toFixed(3)}`);
    this.training = { examples: { plans: examples.plans, censored: examples.censored, queries: examples.groups.length }, fit };
    await this.adopt(model, await this.save(model, source.dataset, examples, fit));
  }

  private save(model: LeroModel, dataset: string, examples: LeroExamples, fit: LeroFitResult, extra: { parent?: string; notes?: Record<string, unknown>; params?: Record<string, ParamValue> } = {}): Promise<ModelMetadata> {
    return this.registry.save(
      {
        algorithm: 'lero',
        dataset,
        params: { ...trainingParams(this.options.params, RECORDED_PARAMS), ...extra.params },
        trainingSamples: examples.plans,
        trainingQueries: examples.groups.length,
        validation: finiteOnly({
          pair_accuracy: fit.validationPairAccuracy,
          top1_regret: fit.validationTop1Regret,
          default_regret: fit.validationDefaultRegret,
          train_pair_accuracy: fit.trainPairAccuracy,
          pairs: fit.pairs,
        }),
        ...(extra.parent !== undefined ? { parent: extra.parent } : {}),
        notes: { censoredPlans: examples.censored, ...extra.notes },
      },
      model.toBuffer(),
    );
  }

  private async adopt(model: LeroModel, metadata: ModelMetadata): Promise<void> {
    this.model = model;
    this.metadata = metadata;
    this.handler.setModel(model);
  }

  async prepareModel(): Promise<void> {
    const { ctx, settings } = this;
    const ref = settings.model ?? (this.model ? undefined : 'latest');
    if (ref !== undefined) {
      const dataset = trainingDatasetName(settings, ctx);
      try {
        const loaded = await this.registry.load(ref, { algorithm: 'lero', ...(ref === 'latest' ? { dataset } : {}) });
        await this.adopt(LeroModel.fromBuffer(loaded.bytes), loaded.metadata);
        ctx.notice(`Lero uses model ${loaded.metadata.id} (trained on ${loaded.metadata.dataset}, ${loaded.metadata.trainingSamples} plans).`);
      } catch (err) {
        if (settings.model !== undefined) throw err;
        ctx.notice(`Lero has no model (training is off and the registry has none for ${dataset}): every query runs with the engine's own plan.`);
        return;
      }
    }
    const unseen = this.handler.currentVocabulary!.unseenInSchema(await ctx.engine.schema());
    if (unseen.length) {
      ctx.notice(
        `Lero model ${this.metadata!.id} (trained on ${this.metadata!.dataset}) has never seen ${describeUnseen({ tables: unseen, columns: [] })} of ${ctx.dataset}: ` +
          "queries over them run with the engine's own plan (counted in the quality report).",
      );
    }
    if (settings.updateInterval > 0) await ctx.store.readUpdate(this.updatesTable, UPDATE_READER);
  }

  /** Periodic update: collect candidates of the recent queries, then fine-tune (or retrain) on what is new. */
  async update(recent: readonly QueryOutcome[]): Promise<void> {
    const { ctx, settings } = this;
    this.executed += recent.length;
    if (!this.model || !this.metadata) return;
    const queries = [...new Set(recent.filter((o) => !o.handlers.some((h) => h.name === 'lero' && h.fallback)).map((o) => o.sql))];
    await this.collectInto(ctx.engine, this.updatesTable, queries);
    const fresh = await ctx.store.readUpdate(this.updatesTable, UPDATE_READER);
    let model: LeroModel;
    let examples: LeroExamples;
    if (settings.updateMode === 'retrain') {
      const source = await this.trainingSource();
      const earlier = source.sameDatabase ? await ctx.store.readAll(this.plansTable(source.dataset)) : [];
      examples = groupsFromRows([...earlier, ...(await ctx.store.readAll(this.updatesTable))]);
      model = newLeroModel(examples, settings.seed);
    } else {
      examples = groupsFromRows(fresh);
      model = LeroModel.fromBuffer(this.model.toBuffer());
    }
    if (examples.groups.length === 0) return;
    let fit: LeroFitResult;
    try {
      fit = await fitLero(model, examples, this.fitOptions(settings.updateEpochs, settings.seed + this.updates.length + 1));
    } catch (err) {
      ctx.notice(`Lero update after ${this.executed} queries skipped: ${(err as Error).message}`);
      return;
    }
    const metadata = await this.save(model, settings.updateMode === 'retrain' ? ctx.dataset : this.metadata.dataset, examples, fit, {
      parent: this.metadata.id,
      notes: { periodicUpdate: true, afterQueries: this.executed },
      params: { update_mode: settings.updateMode, update_epochs: settings.updateEpochs },
    });
    await this.adopt(model, metadata);
    this.updates.push({ after: this.executed, model: metadata.id, plans: examples.plans });
  }

  async quality(): Promise<Record<string, unknown>> {
    const report = await leroQuality(this.handler, { engine: this.ctx.engine, maxQueries: this.options.qualityMaxQueries, timeoutMs: this.settings.collectionTimeoutMs });
    return {
      model: this.metadata?.id ?? null,
      ...(this.collection ? { collection: this.collection } : {}),
      ...(this.training ? { training: { ...this.training.examples, ...this.training.fit } } : {}),
      ...(this.updates.length ? { updates: this.updates } : {}),
      ...report,
    };
  }
}

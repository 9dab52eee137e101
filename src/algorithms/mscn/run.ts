/**
 * One MSCN run: collection and training at start-up (or a model from the registry), the handler
 * that pushes estimates per query, periodic model updates, and the quality report.
 */
import type { QueryOutcome } from '../../scheduler/types.js';
import { PeriodicEvent, PretrainingEvent } from '../../scheduler/events.js';
import { ModelRegistry, type ModelMetadata } from '../../models/index.js';
import { MscnModel } from '../../native/index.js';
import { newScheduler, standardPulls } from '../baseline.js';
import type { AlgorithmContext, AlgorithmRun, ParamValue } from '../types.js';
import { describeUnseen } from '../common/coverage.js';
import { finiteOnly, modelInfo } from '../common/model-info.js';
import type { LearnedSettings } from '../common/settings.js';
import { trainingParams } from '../common/settings.js';
import { firstN, resolveTrainingSource, storeTableName, trainingDatasetName, type TrainingSource } from '../common/training-source.js';
import { collectTrueCards, type CardCollectionResult } from './collect.js';
import { MscnHandler } from './handler.js';
import { mscnQuality } from './quality.js';
import { examplesFromRows, featurizationOf, fitMscn, newMscnModel, transformFrom, type MscnBundle, type MscnExamples, type MscnFitResult, type MscnLoss } from './train.js';

export interface MscnOptions {
  settings: LearnedSettings;
  params: Readonly<Record<string, ParamValue>>;
  batchSize: number;
  hidden: number;
  validationFraction: number;
  patience: number;
  loss: MscnLoss;
  qualityMaxCounts: number;
}

const UPDATE_READER = 'mscn-update';
const RECORDED_PARAMS = ['num_epoch', 'num_training', 'batch_size', 'hidden_size', 'learning_rate', 'validation_fraction', 'patience', 'loss', 'seed', 'collection_timeout_ms'];

export class MscnRun {
  readonly handler: MscnHandler;
  private readonly registry: ModelRegistry;
  private source?: TrainingSource;
  private metadata?: ModelMetadata;
  private bundle?: MscnBundle;
  private collection?: CardCollectionResult;
  private training?: { examples: Omit<MscnExamples, 'specs' | 'cards'> & { samples: number }; fit: MscnFitResult };
  private readonly updates: Array<{ after: number; model: string; samples: number }> = [];
  private executed = 0;

  constructor(private readonly ctx: AlgorithmContext, private readonly options: MscnOptions) {
    this.handler = new MscnHandler(ctx.engine.capabilities.dialect, undefined, ctx.engine.capabilities.cardinalityPush === 'planner');
    this.registry = new ModelRegistry(ctx.home);
  }

  get settings(): LearnedSettings {
    return this.options.settings;
  }

  private get updatesTable(): string {
    return storeTableName('mscn_updates', this.ctx.dataset);
  }

  algorithmRun(): AlgorithmRun {
    const { ctx, settings } = this;
    const scheduler = newScheduler(ctx).registerRequiredData(storeTableName('mscn_runs', ctx.dataset), standardPulls(ctx)).registerHandlers(this.handler);
    if (settings.model === undefined) {
      scheduler.registerEvents(
        new PretrainingEvent({
          name: 'mscn-pretraining',
          enableCollection: settings.enableCollection,
          enableTraining: settings.enableTraining,
          collect: () => this.collect(),
          train: () => this.train(),
        }),
      );
    }
    scheduler.registerEvents({ name: 'mscn-model', onInit: () => this.prepareModel() });
    if (settings.updateInterval > 0) {
      scheduler.registerEvents(new PeriodicEvent({ name: 'mscn-update', interval: settings.updateInterval, run: (_c, recent) => this.update(recent) }));
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

  private cardsTable(dataset: string): string {
    return storeTableName('mscn_cards', dataset);
  }

  async collect(): Promise<void> {
    const source = await this.trainingSource();
    const queries = firstN(source.queries, this.settings.numCollection);
    this.collection = await collectTrueCards({
      engine: source.engine,
      store: this.ctx.store,
      table: this.cardsTable(source.dataset),
      queries,
      timeoutMs: this.settings.collectionTimeoutMs,
      parallelism: this.settings.collectionParallelism,
      progress: this.ctx.progress,
    });
    const c = this.collection;
    const skipped = Object.entries(c.skipped).map(([k, v]) => `${v} ${k}`).join(', ');
    this.ctx.notice(
      `MSCN collection on ${source.dataset}: ${c.collected} queries collected, ${c.reused} already collected, ${c.rows} relation sets, ` +
        `${c.counts} count statements (${c.deduplicated} shared or cached), ${c.censored} censored at ${this.settings.collectionTimeoutMs} ms, ${c.failed} failed` +
        (skipped ? `; skipped queries: ${skipped}` : ''),
    );
  }

  async train(): Promise<void> {
    const source = await this.trainingSource();
    const rows = await this.ctx.store.readAll(this.cardsTable(source.dataset));
    const examples = examplesFromRows(rows, source.engine.capabilities.dialect, await source.engine.schema(), this.settings.numTraining);
    const bundle = await newMscnModel(examples, source.engine, this.options.hidden, this.settings.seed);
    this.ctx.progress.start('train MSCN', this.settings.numEpoch);
    const fit = await fitMscn(bundle, examples, {
      epochs: this.settings.numEpoch,
      batchSize: this.options.batchSize,
      learningRate: this.settings.learningRate,
      validationFraction: this.options.validationFraction,
      patience: this.options.patience,
      loss: this.options.loss,
      seed: this.settings.seed,
      onEpoch: (r) => this.ctx.progress.tick('train MSCN', r.epoch, `validation q-error median ${r.validationQErrorMedian.toFixed(2)}`),
    });
    this.ctx.progress.finish('train MSCN', `best epoch ${fit.bestEpoch} of ${fit.epochsRun}`);
    const { specs: _s, cards: _c, ...counts } = examples;
    this.training = { examples: { ...counts, samples: examples.specs.length }, fit };
    await this.adopt(
      bundle,
      await this.registry.save(
        {
          algorithm: 'mscn',
          dataset: source.dataset,
          params: trainingParams(this.options.params, RECORDED_PARAMS),
          trainingSamples: examples.specs.length,
          trainingQueries: examples.queries,
          validation: finiteOnly({ ...fit.validation, best_epoch: fit.bestEpoch, epochs_run: fit.epochsRun }),
          featurization: featurizationOf(bundle),
          notes: { censoredRelationSets: examples.censored, failedRelationSets: examples.failed },
        },
        bundle.model.toBuffer(),
      ),
    );
  }

  private async adopt(bundle: MscnBundle, metadata: ModelMetadata): Promise<void> {
    this.bundle = bundle;
    this.metadata = metadata;
    this.handler.setModel(bundle.model, bundle.transform);
  }

  /** After pretraining: load the named model (or the latest when training was off), then say what it cannot see. */
  async prepareModel(): Promise<void> {
    const { ctx, settings } = this;
    this.handler.setSchema(await ctx.engine.schema());
    const ref = settings.model ?? (this.bundle ? undefined : 'latest');
    if (ref !== undefined) {
      const dataset = trainingDatasetName(settings, ctx);
      try {
        const loaded = await this.registry.load(ref, { algorithm: 'mscn', ...(ref === 'latest' ? { dataset } : {}) });
        await this.adopt({ model: MscnModel.fromBuffer(loaded.bytes), transform: transformFrom(loaded.metadata.featurization) }, loaded.metadata);
        ctx.notice(`MSCN uses model ${loaded.metadata.id} (trained on ${loaded.metadata.dataset}, ${loaded.metadata.trainingSamples} relation sets).`);
      } catch (err) {
        if (settings.model !== undefined) throw err;
        ctx.notice(`MSCN has no model (training is off and the registry has none for ${dataset}): every query runs with PostgreSQL's estimates.`);
        return;
      }
    }
    const vocabulary = this.handler.currentVocabulary!;
    const unseenTables = vocabulary.unseenInSchema(await ctx.engine.schema());
    if (unseenTables.length) {
      ctx.notice(
        `MSCN model ${this.metadata!.id} (trained on ${this.metadata!.dataset}) has never seen ${describeUnseen({ tables: unseenTables, columns: [] })} of ${ctx.dataset}: ` +
          'queries over them, or over columns it never saw, run with PostgreSQL\'s estimates (counted in the quality report).',
      );
    }
    if (settings.updateInterval > 0) await ctx.store.readUpdate(this.updatesTable, UPDATE_READER);
  }

  /** Periodic update: count the relation sets of the recent queries, then fine-tune (or retrain) on what is new. */
  async update(recent: readonly QueryOutcome[]): Promise<void> {
    const { ctx, settings } = this;
    this.executed += recent.length;
    if (!this.bundle || !this.metadata) return;
    const queries = [...new Set(recent.filter((o) => !o.handlers.some((h) => h.name === 'mscn' && h.fallback)).map((o) => o.sql))];
    await collectTrueCards({
      engine: ctx.engine,
      store: ctx.store,
      table: this.updatesTable,
      queries,
      timeoutMs: settings.collectionTimeoutMs,
      parallelism: settings.collectionParallelism,
    });
    const fresh = await ctx.store.readUpdate(this.updatesTable, UPDATE_READER);
    const dialect = ctx.engine.capabilities.dialect;
    const schema = await ctx.engine.schema();
    let bundle: MscnBundle;
    let examples: MscnExamples;
    if (settings.updateMode === 'retrain') {
      const source = await this.trainingSource();
      const earlier = source.sameDatabase ? await ctx.store.readAll(this.cardsTable(source.dataset)) : [];
      examples = examplesFromRows([...earlier, ...(await ctx.store.readAll(this.updatesTable))], dialect, schema);
      if (examples.specs.length === 0) return;
      bundle = await newMscnModel(examples, ctx.engine, this.options.hidden, settings.seed);
    } else {
      examples = examplesFromRows(fresh, dialect, schema);
      if (examples.specs.length === 0) return;
      bundle = { model: MscnModel.fromBuffer(this.bundle.model.toBuffer()), transform: this.bundle.transform };
    }
    const fit = await fitMscn(bundle, examples, {
      epochs: settings.updateEpochs,
      batchSize: this.options.batchSize,
      learningRate: settings.learningRate,
      validationFraction: this.options.validationFraction,
      patience: this.options.patience,
      loss: this.options.loss,
      seed: settings.seed + this.updates.length + 1,
    });
    const metadata = await this.registry.save(
      {
        algorithm: 'mscn',
        dataset: settings.updateMode === 'retrain' ? ctx.dataset : this.metadata.dataset,
        params: { ...trainingParams(this.options.params, RECORDED_PARAMS), update_mode: settings.updateMode, update_epochs: settings.updateEpochs },
        trainingSamples: examples.specs.length,
        trainingQueries: examples.queries,
        validation: finiteOnly({ ...fit.validation, best_epoch: fit.bestEpoch, epochs_run: fit.epochsRun }),
        parent: this.metadata.id,
        featurization: featurizationOf(bundle),
        notes: { periodicUpdate: true, afterQueries: this.executed },
      },
      bundle.model.toBuffer(),
    );
    await this.adopt(bundle, metadata);
    this.updates.push({ after: this.executed, model: metadata.id, samples: examples.specs.length });
  }

  async quality(): Promise<Record<string, unknown>> {
    const { ctx, settings } = this;
    const report = await mscnQuality(this.handler, {
      engine: ctx.engine,
      store: ctx.store,
      knownTables: [this.cardsTable(ctx.dataset), this.updatesTable],
      truthTable: storeTableName('mscn_truth', ctx.dataset),
      maxCounts: this.options.qualityMaxCounts,
      timeoutMs: settings.collectionTimeoutMs,
      parallelism: settings.collectionParallelism,
    });
    return {
      model: this.metadata?.id ?? null,
      ...(this.collection ? { collection: this.collection } : {}),
      ...(this.training ? { training: { ...this.training.examples, ...this.training.fit, validation: finiteOnly(this.training.fit.validation) } } : {}),
      ...(this.updates.length ? { updates: this.updates } : {}),
      ...report,
    };
  }
}

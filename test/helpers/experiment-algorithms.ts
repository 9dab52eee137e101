/**
 * Test-only algorithms for the experiment tests (also loadable by the CLI as a plugin through
 * $PILOTSCOPE_ALGORITHMS). They do real work against the database:
 * - `sessionKnobs` ("knob"): pushes planner switches from its parameters as session settings on
 *   every query, so parameters change plans and times (what a sweep needs);
 * - `costModel` ("mscn"): trains a tiny model (the mean estimated cost of its training queries,
 *   EXPLAINed on the training database), saves it under <home>/test-models with an id, reuses a
 *   saved model given `model`, and reports quality; every training appends a line to
 *   <home>/test-models/trainings.log so tests can count trainings.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { newScheduler, standardPulls } from '../../src/algorithms/baseline.js';
import type { Algorithm, ModelInfo } from '../../src/algorithms/types.js';
import { PretrainingEvent } from '../../src/scheduler/events.js';

export const sessionKnobs: Algorithm = {
  name: 'knob',
  description: 'Test algorithm: planner switches as session settings.',
  engines: ['postgresql'],
  params: [
    { name: 'enable_nestloop', type: 'boolean', default: true, description: 'Allow nested loop joins.' },
    { name: 'enable_hashjoin', type: 'boolean', default: true, description: 'Allow hash joins.' },
    { name: 'work_mem_kb', type: 'integer', default: 4096, min: 64, description: 'work_mem in kB.' },
    { name: 'slow_ms', type: 'integer', default: 0, min: 0, description: 'Extra milliseconds per query (to make interruptions testable).' },
  ],
  async create(params, ctx) {
    const settings = { enable_nestloop: params.enable_nestloop!, enable_hashjoin: params.enable_hashjoin!, work_mem: `${params.work_mem_kb}kB` };
    let pushed = 0;
    const scheduler = newScheduler(ctx)
      .registerRequiredData(`knob_test_${ctx.dataset}`, standardPulls(ctx))
      .registerHandlers({
        name: 'session-knobs',
        async decide() {
          if (Number(params.slow_ms) > 0) await sleep(Number(params.slow_ms));
          pushed++;
          return { push: { settings }, details: { settings } };
        },
      });
    return { scheduler, model: () => undefined, quality: async () => ({ queries_with_settings: pushed }) };
  },
};

interface SavedModel {
  info: ModelInfo;
  meanCost: number;
}

export const costModel: Algorithm = {
  name: 'mscn',
  description: 'Test algorithm: a one-number cost model trained on EXPLAINed training queries.',
  engines: ['postgresql'],
  params: [
    { name: 'enable_training', type: 'boolean', default: true, description: 'Train at start-up.' },
    { name: 'num_training', type: 'integer', default: 20, min: 1, description: 'Training queries to use.' },
    { name: 'num_epoch', type: 'integer', default: 1, min: 1, description: 'Passes over the training costs (the mean is refined once per pass).' },
    { name: 'training_dataset', type: 'string', default: 'auto', description: 'Dataset to train on (auto: the tested one).' },
    { name: 'model', type: 'string', default: null, description: 'Reuse a saved model by id instead of training.' },
    { name: 'slow_ms', type: 'integer', default: 0, min: 0, description: 'Extra milliseconds per query (to make interruptions testable).' },
  ],
  async create(params, ctx) {
    const dir = path.join(ctx.home, 'test-models');
    let model: SavedModel | undefined;
    let errors: number[] = [];
    const pretraining = new PretrainingEvent({
      enableCollection: false,
      enableTraining: params.enable_training === true || params.model !== undefined,
      async collect() {},
      async train() {
        if (typeof params.model === 'string') {
          const file = path.join(dir, `${params.model}.json`);
          model = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedModel;
          return;
        }
        const workload = await ctx.trainingWorkload(params.training_dataset === 'auto' ? {} : { dataset: String(params.training_dataset) });
        const costs: number[] = [];
        for (const sql of workload.queries.slice(0, Number(params.num_training))) {
          const data = await workload.engine.run({ sql, pull: { estimatedCost: true } });
          if (data.estimatedCost !== undefined) costs.push(data.estimatedCost);
        }
        const id = `cost_${Date.now()}_${process.pid}`;
        model = {
          info: { id, algorithm: 'mscn', trainedOn: workload.dataset, createdAt: new Date().toISOString(), trainingSamples: costs.length },
          meanCost: fitMean(costs, Number(params.num_epoch)),
        };
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, `${id}.json`), JSON.stringify(model));
        fs.appendFileSync(path.join(dir, 'trainings.log'), `${id} ${workload.dataset} ${costs.length}\n`);
      },
    });
    const scheduler = newScheduler(ctx)
      .registerRequiredData(`cost_test_${ctx.dataset}`, standardPulls(ctx))
      .registerEvents(pretraining)
      .registerHandlers({
        name: 'cost-model',
        async decide() {
          if (Number(params.slow_ms) > 0) await sleep(Number(params.slow_ms));
          return { details: { model: model?.info.id ?? null, predicted_cost: model?.meanCost ?? null } };
        },
        async after(_sql, _decision, data) {
          if (model && data.estimatedCost !== undefined) errors.push(Math.abs(data.estimatedCost - model.meanCost));
          return {};
        },
      });
    return {
      scheduler,
      model: () => model?.info,
      quality: async () => ({ predictions: errors.length, mean_abs_cost_error: errors.reduce((a, b) => a + b, 0) / Math.max(1, errors.length) }),
      cleanup: async () => {
        errors = [];
      },
    };
  },
};

/** The mean by gradient steps on the squared error, one pass per epoch (converges to the plain mean). */
function fitMean(values: number[], epochs: number): number {
  let mean = 0;
  for (let epoch = 0; epoch < epochs; epoch++) for (const [i, v] of values.entries()) mean += (v - mean) / (epoch * values.length + i + 1);
  return mean;
}

export const algorithms: Algorithm[] = [sessionKnobs, costModel];

export const PLUGIN_FILE = new URL(import.meta.url).pathname;

/** The registry's metadata as the ModelInfo a run reports. */
import type { ModelMetadata } from '../../models/index.js';
import type { AlgorithmName, ModelInfo } from '../types.js';

export function modelInfo(meta: ModelMetadata): ModelInfo {
  const validation: Record<string, number> = {};
  for (const [k, v] of Object.entries(meta.validation)) if (Number.isFinite(v)) validation[k] = v;
  return {
    id: meta.id,
    algorithm: meta.algorithm as AlgorithmName,
    trainedOn: meta.dataset,
    createdAt: meta.createdAt,
    trainingSamples: meta.trainingSamples,
    validation,
  };
}

/** Finite numbers only (JSON has no NaN). */
export function finiteOnly(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) if (Number.isFinite(v)) out[k] = v;
  return out;
}

/**
 * The algorithm registry: every preset by name, all against the same `Algorithm` contract
 * (src/algorithms/types.ts).
 */
import { PilotScopeError } from '../errors.js';
import { closest } from '../config/schema.js';
import { baseline } from './baseline.js';
import { indexAdvisor } from './index-advisor.js';
import { knob } from './knob.js';
import { lero } from './lero/index.js';
import { mscn } from './mscn/index.js';
import type { Algorithm } from './types.js';

export const ALGORITHMS: ReadonlyMap<string, Algorithm> = new Map<string, Algorithm>([
  [baseline.name, baseline],
  [mscn.name, mscn],
  [lero.name, lero],
  [knob.name, knob],
  [indexAdvisor.name, indexAdvisor],
]);

/** The algorithm of that name; a USAGE error naming the available ones otherwise. */
export function algorithmByName(name: string): Algorithm {
  const algorithm = ALGORITHMS.get(name);
  if (algorithm) return algorithm;
  const hint = closest(name, [...ALGORITHMS.keys()]);
  throw new PilotScopeError('USAGE', `Unknown algorithm "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}. Available: ${[...ALGORITHMS.keys()].join(', ')}.`, { algorithm: name });
}

export { baseline, newScheduler, standardPulls } from './baseline.js';
export { mscn } from './mscn/index.js';
export { lero } from './lero/index.js';
export { knob } from './knob.js';
export { indexAdvisor } from './index-advisor.js';
export { createAlgorithmContext, readSqlFile, type BuiltContext, type ContextOptions } from './context.js';
export { resolveParams, parseAssignments, canonicalParamName } from './params.js';
export * from './types.js';

import type { Engine } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';

/**
 * Learned cardinality and plan presets need an engine that takes pushed row counts: into the
 * planner (PostgreSQL with the pilotscope extension) or as a join order chosen from them (Spark).
 */
export function requireCardinalityPush(engine: Engine, algorithm: string): void {
  const { cardinalityPush, operators } = engine.capabilities;
  if (cardinalityPush !== 'none' && operators.has('pushCard')) return;
  throw new PilotScopeError(
    'ENGINE_UNSUPPORTED_OPERATOR',
    `${algorithm} pushes cardinalities, which ${engine.name} cannot take. ` +
      'On PostgreSQL install the pilotscope extension (`npm run setup`, or see adapters/postgres/extension/README.md) and preload it.',
    { engine: engine.name, algorithm },
  );
}

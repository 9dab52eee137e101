import type { Engine } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';

/** Learned cardinality presets need the planner to take pushed row counts and report what it built. */
export function requirePlannerCardinalities(engine: Engine, algorithm: string): void {
  const ops = engine.capabilities.operators;
  if (engine.capabilities.cardinalityPush === 'planner' && ops.has('pushCard') && ops.has('pullSubqueryCard')) return;
  throw new PilotScopeError(
    'ENGINE_UNSUPPORTED_OPERATOR',
    `${algorithm} pushes cardinalities into the planner and pulls the relation sets it builds, which ${engine.name} cannot do. ` +
      'On PostgreSQL install the pilotscope extension (`npm run setup`, or see adapters/postgres/extension/README.md) and preload it.',
    { engine: engine.name, algorithm },
  );
}

import { PilotScopeError } from '../errors.js';
import type { Engine, ExecutionRequest, Operator } from './types.js';

/** The operators a request needs. */
export function operatorsOf(request: ExecutionRequest): Operator[] {
  const ops: Operator[] = [];
  const { push = {}, pull = {} } = request;
  if (push.cards !== undefined) ops.push('pushCard');
  if (push.settings !== undefined || push.comment !== undefined) ops.push('pushHint');
  if (push.joinOrder !== undefined) ops.push('pushJoinOrder');
  if (pull.subqueryCards) ops.push('pullSubqueryCard');
  if (pull.physicalPlan) ops.push('pullPhysicalPlan');
  if (pull.estimatedCost) ops.push('pullEstimatedCost');
  if (pull.executionTime) ops.push('pullExecutionTime');
  if (pull.records) ops.push('pullRecord');
  if (pull.buffercache) ops.push('pullBuffercache');
  return ops;
}

/** Fails, before any SQL is sent, when the engine cannot serve an operator. */
export function assertSupported(engine: Pick<Engine, 'name' | 'capabilities'>, operators: Iterable<Operator>): void {
  for (const op of operators) {
    if (!engine.capabilities.operators.has(op)) {
      const supported = [...engine.capabilities.operators].sort().join(', ');
      throw new PilotScopeError(
        'ENGINE_UNSUPPORTED_OPERATOR',
        `${op} is not supported by ${engine.name}. Operators it supports: ${supported}.`,
        { operator: op, engine: engine.name },
      );
    }
  }
}

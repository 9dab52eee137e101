/**
 * Every failure a user can cause is a PilotScopeError: a stable code for programs, and a message
 * that says what happened and what to do. The CLI prints the message (no stack trace) and exits
 * non-zero.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'USAGE'
  | 'NATIVE_ADDON_MISSING'
  | 'NATIVE_ADDON_STALE'
  | 'NATIVE_INVALID_ARGUMENT'
  | 'DB_NOT_RUNNING'
  | 'DB_START_FAILED'
  | 'DB_PORT_IN_USE'
  | 'DB_STALE_PID'
  | 'DB_CONNECTION_FAILED'
  | 'DB_EXTENSION_MISSING'
  | 'ENGINE_UNSUPPORTED_OPERATOR'
  | 'QUERY_ERROR'
  | 'QUERY_TIMEOUT'
  | 'SQL_PARSE_ERROR'
  | 'SQL_UNSUPPORTED'
  | 'STORE_CORRUPT'
  | 'STORE_IO'
  | 'STORE_LOCKED'
  | 'STORE_SCHEMA_CONFLICT'
  | 'STORE_INVALID_INPUT'
  | 'DATASET_NOT_FOUND'
  | 'DATASET_INVALID'
  | 'DATASET_UNAVAILABLE_OFFLINE'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_CORRUPT'
  | 'MODEL_INCOMPATIBLE'
  | 'EXPERIMENT_INVALID'
  | 'SPARK_UNREACHABLE'
  | 'SPARK_AUTH'
  | 'SPARK_START_FAILED'
  /** The connection to Spark dropped during a statement; the statement did not complete. */
  | 'SPARK_SESSION_LOST'
  | 'SETUP_MISSING'
  | 'INTERRUPTED'
  | 'INTERNAL';

export class PilotScopeError extends Error {
  readonly code: ErrorCode;
  /** Structured details for programs (field paths, offending values, server messages). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PilotScopeError';
    this.code = code;
    this.details = details;
  }
}

export function isPilotScopeError(value: unknown, code?: ErrorCode): value is PilotScopeError {
  return value instanceof PilotScopeError && (code === undefined || value.code === code);
}

/** Wraps an unknown thrown value into a PilotScopeError, keeping the original as cause. */
export function toPilotScopeError(value: unknown, code: ErrorCode = 'INTERNAL', context?: string): PilotScopeError {
  if (value instanceof PilotScopeError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new PilotScopeError(code, context ? `${context}: ${message}` : message, {}, { cause: value });
}

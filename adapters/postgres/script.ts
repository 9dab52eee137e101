/**
 * Turns one ExecutionRequest into one simple-protocol message: settings, payload, the statement
 * (plain, EXPLAIN, or EXPLAIN ANALYZE) and the pulls, all in one implicit transaction, so a
 * request costs one round trip. Each part remembers which result in the reply is its own.
 */
import type { ExecutionRequest, SettingValue } from '../../src/engine/types.js';
import { PilotScopeError } from '../../src/errors.js';
import { singleStatement } from '../../src/sql/index.js';

/** How the statement itself runs. */
export type StatementMode = 'execute' | 'explain' | 'explain-analyze';

export interface ScriptPlan {
  text: string;
  mode: StatementMode;
  /** Index in the reply of each part we read (undefined when the part is absent). */
  at: {
    clockBefore?: number;
    explainBeforeExecute?: number;
    statement: number;
    clockAfter?: number;
    relsets?: number;
    pushReport?: number;
    buffercache?: number;
  };
}

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export const RELSETS_QUERY =
  'SELECT query_level, kind, aliases, relnames, join_type, rows, planner_rows, pushed FROM pilotscope_relsets()';
export const PUSH_REPORT_QUERY = 'SELECT query_level, aliases, rows, applied, reason FROM pilotscope_push_report()';
export const BUFFERCACHE_QUERY =
  "SELECT c.relname, count(*)::int AS buffers FROM pg_buffercache b JOIN pg_class c ON b.relfilenode = pg_relation_filenode(c.oid) " +
  'AND b.reldatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database())) ' +
  "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') GROUP BY c.relname";

export function buildScript(request: ExecutionRequest, defaultTimeoutMs: number): ScriptPlan {
  const { push = {}, pull = {} } = request;
  const statement = singleStatement(request.sql);
  const parts: string[] = [];
  const add = (sql: string): number => parts.push(sql) - 1;

  add('SET LOCAL standard_conforming_strings = on');
  const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
  add(`SET LOCAL statement_timeout = ${Math.max(0, Math.round(timeoutMs))}`);
  for (const [name, value] of Object.entries(push.settings ?? {})) add(`SET LOCAL ${settingName(name)} = ${settingValue(value)}`);
  const collect = Boolean(pull.subqueryCards);
  const cards = push.cards !== undefined;
  if (collect) add("SELECT set_config('pilotscope.collect', 'on', true)");
  if (cards) add(`SELECT set_config('pilotscope.cards', ${literal(cardsPayload(push.cards!))}, true)`);

  const executes = Boolean(pull.records || pull.executionTime || pull.buffercache) || !(collect || pull.physicalPlan || pull.estimatedCost);
  const explainable = isExplainable(statement);
  if (!executes && !explainable) {
    throw new PilotScopeError('QUERY_ERROR', 'Only SELECT, INSERT, UPDATE, DELETE, MERGE, VALUES, TABLE and EXECUTE statements have a plan to pull; this statement can only be executed.');
  }
  const mode: StatementMode = !executes ? 'explain' : pull.records || !explainable ? 'execute' : 'explain-analyze';
  const body = withComment(statement, push.comment);
  const at: ScriptPlan['at'] = { statement: -1 };
  if (mode === 'execute') {
    if (explainable && (pull.physicalPlan || pull.estimatedCost || collect)) at.explainBeforeExecute = add(`EXPLAIN (FORMAT JSON) ${body}`);
    if (pull.executionTime) at.clockBefore = add('SELECT extract(epoch FROM clock_timestamp())::float8 AS t');
    at.statement = add(body);
    if (pull.executionTime) at.clockAfter = add('SELECT extract(epoch FROM clock_timestamp())::float8 AS t');
  } else if (mode === 'explain') {
    at.statement = add(`EXPLAIN (SUMMARY ON, FORMAT JSON) ${body}`);
  } else {
    at.statement = add(`EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) ${body}`);
  }
  if (collect) at.relsets = add(RELSETS_QUERY);
  if (cards) at.pushReport = add(PUSH_REPORT_QUERY);
  if (pull.buffercache) at.buffercache = add(BUFFERCACHE_QUERY);
  return { text: parts.join(';\n') + ';', mode, at };
}

/** The extension's payload: `[{"rels":[aliases],"rows":n}, ...]`. */
export function cardsPayload(cards: Readonly<Record<string, number>>): string {
  const entries = Object.entries(cards).map(([key, rows]) => {
    if (!Number.isFinite(rows) || rows < 0) {
      throw new PilotScopeError('QUERY_ERROR', `Pushed cardinality for relation set "${key}" must be a finite number >= 0, got ${rows}.`);
    }
    const rels = key.split(',').filter((a) => a !== '');
    if (rels.length === 0) throw new PilotScopeError('QUERY_ERROR', 'A pushed cardinality has an empty relation-set key.');
    return { rels, rows };
  });
  return JSON.stringify(entries);
}

function settingName(name: string): string {
  if (!SETTING_NAME.test(name)) {
    throw new PilotScopeError('QUERY_ERROR', `"${name}" is not a valid setting name (letters, digits and _ with an optional "prefix.").`);
  }
  return name;
}

function settingValue(value: SettingValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PilotScopeError('QUERY_ERROR', `Setting value ${value} is not a finite number.`);
    return String(value);
  }
  return literal(value);
}

/** Statements EXPLAIN accepts (leading comments and parentheses skipped). */
export function isExplainable(sql: string): boolean {
  const head = sql.replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()+/, '');
  return /^(select|with|insert|update|delete|merge|values|table|execute)\b/i.test(head);
}

/** A standard-conforming SQL string literal. */
export function literal(text: string): string {
  if (text.includes('\0')) throw new PilotScopeError('QUERY_ERROR', 'Text sent to PostgreSQL cannot contain NUL characters.');
  return `'${text.replace(/'/g, "''")}'`;
}

function withComment(sql: string, comment: string | undefined): string {
  if (comment === undefined || comment === '') return sql;
  return `/*${comment.replace(/\*\//g, '* /')}*/ ${sql}`;
}


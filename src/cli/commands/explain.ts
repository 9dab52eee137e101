/**
 * `pilotscope explain`: the plan of a statement, the relation sets the planner built with their
 * rows, and the plan under pushed cardinalities — the tool for seeing what the extension does.
 */
import fs from 'node:fs';
import { resolveServer } from '../../../adapters/postgres/connection.js';
import { PostgresEngine } from '../../../adapters/postgres/engine.js';
import type { PgPlanJson } from '../../../adapters/postgres/plan.js';
import type { ExecutionRequest, PilotTransData, RelSetEstimate } from '../../engine/types.js';
import { PilotScopeError } from '../../errors.js';
import { analyze, subquerySql } from '../../sql/index.js';
import type { Command } from '../command.js';

/** The machine form scripts rely on. */
export interface ExplainJson {
  plan: PgPlanJson;
  subqueryCards?: Array<{ key: string; aliases: string[]; rows: number; sql: string | null }>;
  pushReport?: { applied: string[]; notApplied: Array<{ key: string; reason: string }> };
  executionTime?: number;
}

export const explainCommand: Command = {
  path: ['explain'],
  summary: 'Show the plan of a statement, its relation sets with rows, and the plan under pushed cardinalities.',
  positionals: [{ name: 'sql', description: 'The statement (quote it).', required: true }],
  options: [
    { name: 'db', type: 'string', valueName: '<name>', description: 'Database (default: the configured database, else postgres).' },
    { name: 'subquery-cards', type: 'boolean', description: 'List every relation set the planner built, with the rows it used.' },
    { name: 'cards', type: 'string', valueName: '<file.json>', description: 'Push cardinalities: a JSON object {"<key>": rows} using the keys --subquery-cards prints.' },
    { name: 'analyze', type: 'boolean', description: 'Execute the statement (EXPLAIN ANALYZE): actual rows and time.' },
    { name: 'json', type: 'boolean', description: 'Print one JSON object {plan, subqueryCards?, pushReport?}.' },
  ],
  examples: [
    'pilotscope explain --db stats_tiny --subquery-cards "select count(*) from posts p, users u where p.owneruserid = u.id and u.reputation > 100"',
    'pilotscope explain --db stats_tiny --cards cards.json --json "select ..."',
  ],
  async run(args, ctx) {
    const sql = args.positionals.sql as string;
    const settings = ctx.settings();
    const database = (args.options.db as string | undefined) ?? settings.postgresql.database ?? 'postgres';
    const request: ExecutionRequest = {
      sql,
      pull: { physicalPlan: true, subqueryCards: Boolean(args.options['subquery-cards']), executionTime: Boolean(args.options.analyze) },
    };
    if (typeof args.options.cards === 'string') request.push = { cards: readCardsFile(args.options.cards) };
    const engine = await PostgresEngine.open({ target: await resolveServer(settings), database, timeoutMs: settings.timeoutMs, parallelism: 1 });
    let data: PilotTransData;
    try {
      data = await engine.run(request);
    } finally {
      await engine.close();
    }
    if (data.status === 'timeout') throw new PilotScopeError('QUERY_TIMEOUT', `The statement did not finish within ${settings.timeoutMs} ms (raise timeoutMs in the config file or PILOTSCOPE_TIMEOUT_MS).`);
    const result = explainJson(sql, data);
    if (ctx.jsonMode) return ctx.json(result);
    ctx.out(renderPlan(result.plan, Boolean(args.options.analyze)));
    if (result.executionTime !== undefined) ctx.out(`Execution time: ${(result.executionTime * 1000).toFixed(3)} ms`);
    if (result.subqueryCards) ctx.out(renderRelSets(data.relSets ?? [], result.subqueryCards));
    if (result.pushReport) {
      ctx.out(`\nPushed: ${result.pushReport.applied.length} applied, ${result.pushReport.notApplied.length} not applied`);
      for (const miss of result.pushReport.notApplied) ctx.out(`  ${miss.key}: ${miss.reason}`);
    }
  },
};

export function explainJson(sql: string, data: PilotTransData): ExplainJson {
  const result: ExplainJson = { plan: data.physicalPlan as PgPlanJson };
  if (data.relSets) {
    const graph = analyze(sql);
    const sqlOf = (key: string): string | null => {
      if (!graph.supported) return null;
      try {
        return subquerySql(graph, key, 'postgresql');
      } catch {
        return null;
      }
    };
    result.subqueryCards = data.relSets.filter((r) => r.level === 1).map((r) => ({ key: r.key, aliases: r.aliases, rows: r.rows, sql: sqlOf(r.key) }));
  }
  if (data.pushReport) result.pushReport = data.pushReport;
  if (data.executionTime !== undefined) result.executionTime = data.executionTime;
  return result;
}

function readCardsFile(file: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PilotScopeError('USAGE', `Cannot read the cards file ${file}: ${(err as Error).message}. It must be a JSON object {"<relation-set key>": rows}.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PilotScopeError('USAGE', `The cards file ${file} must hold a JSON object {"<relation-set key>": rows}, e.g. {"p,u": 1200}.`);
  }
  for (const [key, rows] of Object.entries(parsed)) {
    if (typeof rows !== 'number' || !Number.isFinite(rows) || rows < 0) {
      throw new PilotScopeError('USAGE', `In ${file}, "${key}" must map to a number of rows >= 0, got ${JSON.stringify(rows)}.`);
    }
  }
  return parsed as Record<string, number>;
}

function renderPlan(plan: PgPlanJson, analyzed: boolean): string {
  const lines: string[] = [];
  const walk = (node: PgPlanJson, depth: number): void => {
    const on = node['Relation Name'] ? ` on ${node['Relation Name']}${node.Alias && node.Alias !== node['Relation Name'] ? ` ${node.Alias}` : ''}` : '';
    const actual = analyzed && node['Actual Rows'] !== undefined ? ` (actual rows=${node['Actual Rows']} loops=${node['Actual Loops'] ?? 1})` : '';
    const join = node['Join Type'] && node['Join Type'] !== 'Inner' ? ` ${node['Join Type']}` : '';
    lines.push(`${depth ? `${'  '.repeat(depth - 1)}->  ` : ''}${node['Node Type']}${join}${on}  (cost=${node['Startup Cost']?.toFixed(2)}..${node['Total Cost'].toFixed(2)} rows=${node['Plan Rows']} width=${node['Plan Width']})${actual}`);
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  walk(plan, 0);
  return lines.join('\n');
}

function renderRelSets(relSets: RelSetEstimate[], listed: NonNullable<ExplainJson['subqueryCards']>): string {
  const detail = new Map(relSets.filter((r) => r.level === 1).map((r) => [r.key, r]));
  const width = Math.max(3, ...listed.map((r) => r.key.length));
  const lines = ['', `Relation sets (${listed.length}):`, `  ${'key'.padEnd(width)}  ${'rows'.padStart(12)}  ${'planner rows'.padStart(12)}  pushed`];
  for (const entry of listed) {
    const r = detail.get(entry.key)!;
    lines.push(`  ${entry.key.padEnd(width)}  ${String(r.rows).padStart(12)}  ${String(r.plannerRows).padStart(12)}  ${r.pushed ? 'yes' : ''}`);
  }
  return lines.join('\n');
}

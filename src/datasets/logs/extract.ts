/**
 * `extract-queries`: a production workload from PostgreSQL server logs. The log is streamed
 * line by line (constant memory apart from the distinct statements kept); statements are
 * normalized and deduplicated (repeats counted), grouped into templates, split into train/test
 * by template with a seed, and written as a dataset directory with a JSON summary.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PilotScopeError } from '../../errors.js';
import { MANIFEST_FILE, TEST_FILE, TRAIN_FILE, type DatasetManifest } from '../format.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { DEFAULT_SPLIT_SEED, DEFAULT_TRAIN_RATIO, checkTrainRatio, splitByTemplate } from '../split.js';
import { templateOf } from '../sql-normalize.js';
import { detectFormat, headerParser, inferPrefix, readCsvlog, readJsonlog, readStderr, type LogFormat, type LogMessage } from './formats.js';
import { DEFAULT_MAX_LINE_CHARS, openLog, readLines, type LogLine } from './lines.js';
import { judgeStatements, statementFromMessage } from './statements.js';

export const SUMMARY_FILE = 'summary.json';
const INFERENCE_LINES = 2000;
const MAX_PENDING_SESSIONS = 10_000;

export interface ExtractOptions {
  input: string;
  output: string;
  format?: LogFormat | 'auto';
  /** stderr format: the server's log_line_prefix (inferred when absent). */
  logLinePrefix?: string;
  trainRatio?: number;
  seed?: number;
  maxLineChars?: number;
}

export interface TemplateSummary {
  id: string;
  template: string;
  /** Executions in the log. */
  executions: number;
  /** Distinct statements (after normalization). */
  statements: number;
  split: 'train' | 'test';
}

export interface ExtractSummary {
  input: string;
  output: string;
  format: LogFormat;
  /** stderr only: the prefix used (given or inferred); null when the generic reader was used. */
  logLinePrefix?: string | null;
  lines: number;
  messages: number;
  /** Statements the log recorded (before filtering). */
  statementsLogged: number;
  /** Executions of kept statements (repeats included). */
  executionsKept: number;
  distinctStatements: number;
  templates: number;
  train: number;
  test: number;
  trainRatio: number;
  seed: number;
  /** The database the statements ran in, when the log says (the most frequent one). */
  database?: string;
  databases: Record<string, number>;
  skipped: Record<string, number>;
  templateList: TemplateSummary[];
  warnings: string[];
}

interface Kept {
  executions: number;
  databases: Map<string, number>;
}

export async function extractQueries(options: ExtractOptions): Promise<ExtractSummary> {
  const trainRatio = options.trainRatio ?? DEFAULT_TRAIN_RATIO;
  const seed = options.seed ?? DEFAULT_SPLIT_SEED;
  checkTrainRatio(trainRatio);
  if (!fs.existsSync(options.input) || !fs.statSync(options.input).isFile()) {
    throw new PilotScopeError('USAGE', `The log file ${options.input} does not exist. Give the server log to read with --input (stderr, csvlog or jsonlog; .gz is fine).`);
  }

  const skipped: Record<string, number> = {};
  const skip = (reason: string, n = 1) => {
    skipped[reason] = (skipped[reason] ?? 0) + n;
  };
  let lineCount = 0;
  const source = readLines(openLog(options.input), options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS);
  const headBatches: LogLine[][] = [];
  while (headBatches.reduce((n, b) => n + b.length, 0) < INFERENCE_LINES) {
    const next = await source.next();
    if (next.done) break;
    headBatches.push(next.value);
  }
  const head = headBatches.flat().slice(0, INFERENCE_LINES);
  const lines = (async function* () {
    for (const batch of headBatches) {
      lineCount += batch.length;
      yield batch;
    }
    for await (const batch of source) {
      lineCount += batch.length;
      yield batch;
    }
  })();

  const format = !options.format || options.format === 'auto' ? detectFormat(options.input, head.find((l) => l.text.trim())?.text) : options.format;
  let logLinePrefix: string | null | undefined;
  let messages: AsyncGenerator<LogMessage[]>;
  if (format === 'stderr') {
    logLinePrefix = options.logLinePrefix ?? inferPrefix(head.map((l) => l.text)) ?? null;
    messages = readStderr(lines, headerParser(logLinePrefix ?? undefined), skip);
  } else {
    messages = format === 'csvlog' ? readCsvlog(lines, skip) : readJsonlog(lines, skip);
  }

  const kept = new Map<string, Kept>();
  const keep = (sql: string, database: string | undefined) => {
    let entry = kept.get(sql);
    // A copy: the statement may be a slice of a large read buffer that must not stay alive with it.
    if (!entry) kept.set(Buffer.from(sql, 'utf8').toString('utf8'), (entry = { executions: 0, databases: new Map() }));
    entry.executions++;
    if (database) entry.databases.set(database, (entry.databases.get(database) ?? 0) + 1);
  };
  // A statement stays pending until the next message of its session: an ERROR there means it failed.
  const pending = new Map<string, { statements: string[]; database: string | undefined }>();
  const settle = (session: string, failed: boolean) => {
    const p = pending.get(session);
    if (!p) return;
    pending.delete(session);
    if (failed) skip('statement failed (ERROR follows)', p.statements.length);
    else for (const sql of p.statements) keep(sql, p.database);
  };

  let messageCount = 0;
  let statementsLogged = 0;
  for await (const batch of messages) for (const message of batch) {
    messageCount++;
    settle(message.session, message.severity === 'ERROR' || message.severity === 'FATAL' || message.severity === 'PANIC');
    const found = statementFromMessage(message);
    if (found === undefined) {
      skip('other log message');
      continue;
    }
    if ('skip' in found) {
      skip(found.skip);
      continue;
    }
    statementsLogged++;
    const statements: string[] = [];
    for (const verdict of judgeStatements(found, message)) {
      if ('skip' in verdict) skip(verdict.skip);
      else statements.push(verdict.keep);
    }
    if (statements.length) {
      pending.set(message.session, { statements, database: message.database });
      if (pending.size > MAX_PENDING_SESSIONS) settle(pending.keys().next().value!, false);
    }
  }
  for (const session of [...pending.keys()]) settle(session, false);

  const statements = [...kept.keys()];
  const templates = statements.map(templateOf);
  const split = splitByTemplate(statements, { trainRatio, seed }, templates);
  const warnings: string[] = [];
  if (split.warning) warnings.push(split.warning);

  const databases: Record<string, number> = {};
  for (const entry of kept.values()) for (const [db, n] of entry.databases) databases[db] = (databases[db] ?? 0) + n;
  const ranked = Object.entries(databases).sort((a, b) => b[1] - a[1]);
  const database = ranked[0]?.[0];
  if (ranked.length > 1) {
    warnings.push(`Statements ran in ${ranked.length} databases (${ranked.map(([d, n]) => `${d}: ${n}`).join(', ')}); the manifest names the most frequent, ${database}.`);
  }

  const templateList: TemplateSummary[] = split.templates.map((g) => ({
    id: g.id,
    template: g.template,
    executions: g.members.reduce((sum, i) => sum + kept.get(statements[i]!)!.executions, 0),
    statements: g.members.length,
    split: g.side,
  }));
  templateList.sort((a, b) => b.executions - a.executions || a.id.localeCompare(b.id));

  const summary: ExtractSummary = {
    input: path.resolve(options.input),
    output: path.resolve(options.output),
    format,
    ...(format === 'stderr' ? { logLinePrefix } : {}),
    lines: lineCount,
    messages: messageCount,
    statementsLogged,
    executionsKept: [...kept.values()].reduce((sum, k) => sum + k.executions, 0),
    distinctStatements: statements.length,
    templates: split.templates.length,
    train: split.train.length,
    test: split.test.length,
    trainRatio,
    seed,
    ...(database ? { database } : {}),
    databases,
    skipped,
    templateList,
    warnings,
  };
  writeOutput(summary, split.train, split.test);
  if (statements.length === 0) {
    throw new PilotScopeError(
      'DATASET_INVALID',
      `No SELECT statements on user tables were found in ${options.input} (${lineCount} lines; skipped: ${JSON.stringify(skipped)}). ` +
        "Log them with log_statement = 'all' or log_min_duration_statement = 0, and check --format / --log-line-prefix. The summary is in " +
        path.join(options.output, SUMMARY_FILE) + '.',
    );
  }
  return summary;
}

function writeOutput(summary: ExtractSummary, train: string[], test: string[]): void {
  fs.mkdirSync(summary.output, { recursive: true });
  const statementsFile = (list: string[]) => list.map((s) => `${s};\n`).join('');
  writeFileAtomic(path.join(summary.output, TRAIN_FILE), statementsFile(train));
  writeFileAtomic(path.join(summary.output, TEST_FILE), statementsFile(test));
  const manifest: DatasetManifest = {
    description: `Queries extracted from ${path.basename(summary.input)} (${summary.format})`,
    ...(summary.database ? { database: summary.database } : {}),
    source: { log: summary.input, format: summary.format, databases: summary.databases, extractedAt: new Date().toISOString() },
  };
  writeFileAtomic(path.join(summary.output, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  writeFileAtomic(path.join(summary.output, SUMMARY_FILE), JSON.stringify(summary, null, 2) + '\n');
}

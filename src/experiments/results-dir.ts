/**
 * The layout of a results directory:
 *
 *   <output>/<experiment>.json        summary
 *   <output>/<experiment>.arrow       per-query detail (Arrow IPC file)
 *   <output>/<experiment>.parquet     the same, Parquet
 *   <output>/.pilotscope/<experiment>.queries.jsonl  per-query rows, appended as each query completes
 *   <output>/.pilotscope/<experiment>.state.json     what an interrupted run needs to continue
 *
 * Rows are appended with one write each and synced when the run ends (or is reset): a killed
 * process loses nothing it wrote, and appending costs microseconds instead of an fsync per query
 * (only a machine crash can lose the last rows, which a resumed run then measures again). A
 * line torn by a crash mid-write is cut off before the next append and ignored when reading.
 * One process writes a results directory at a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PilotScopeError } from '../errors.js';
import { encodeRows, mergeSchema } from '../store/encode.js';
import { writeTableFile } from '../store/index.js';
import type { StageStats } from '../timing/index.js';
import type { ModelInfo } from '../algorithms/types.js';
import type { ExperimentSummary, QueryDetailRow } from './types.js';

export const STATE_DIR = '.pilotscope';

/** What survives an interruption, besides the per-query rows. */
export interface RunState {
  fingerprint: string;
  experiment: string;
  started_at: string;
  resumed: number;
  /** Set once collection and training (scheduler.init) finished. */
  init: { model: ModelInfo | null; stages: Record<string, StageStats> } | null;
  finished: boolean;
}

export class ResultsDir {
  readonly dir: string;
  private readonly appenders = new Map<string, number>();

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  summaryFile(experiment: string): string {
    return path.join(this.dir, `${experiment}.json`);
  }

  detailFile(experiment: string, format: 'arrow' | 'parquet'): string {
    return path.join(this.dir, `${experiment}.${format}`);
  }

  private stateFile(experiment: string): string {
    return path.join(this.dir, STATE_DIR, `${experiment}.state.json`);
  }

  readState(experiment: string): RunState | undefined {
    return readJson<RunState>(this.stateFile(experiment));
  }

  writeState(state: RunState): void {
    writeJsonAtomic(this.stateFile(state.experiment), state);
  }

  readSummary(experiment: string): ExperimentSummary | undefined {
    const summary = readJson<ExperimentSummary>(this.summaryFile(experiment));
    return summary?.format === 'pilotscope-experiment' ? summary : undefined;
  }

  writeSummary(summary: ExperimentSummary): string {
    const file = this.summaryFile(summary.experiment);
    writeJsonAtomic(file, summary);
    return file;
  }

  private queriesFile(experiment: string): string {
    return path.join(this.dir, STATE_DIR, `${experiment}.queries.jsonl`);
  }

  /** Appends one finished query; it survives the process being killed right after. */
  appendQuery(experiment: string, row: QueryDetailRow): void {
    const fd = this.appender(experiment);
    try {
      fs.writeSync(fd, `${JSON.stringify(row)}\n`);
    } catch (err) {
      throw new PilotScopeError('STORE_IO', `Cannot append to ${this.queriesFile(experiment)}: ${(err as Error).message}.`, {}, { cause: err });
    }
  }

  /** The finished queries, one per query index (the last one written wins). */
  queries(experiment: string): QueryDetailRow[] {
    let text: string;
    try {
      text = fs.readFileSync(this.queriesFile(experiment), 'utf8');
    } catch {
      return [];
    }
    const byIndex = new Map<number, QueryDetailRow>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        const row = JSON.parse(line) as QueryDetailRow;
        if (Number.isInteger(row.query_index)) byIndex.set(row.query_index, row);
      } catch {
        // a line torn by a crash: that query is measured again
      }
    }
    return [...byIndex.values()].sort((a, b) => a.query_index - b.query_index);
  }

  /** Writes the per-query rows to <experiment>.arrow and .parquet. */
  async exportDetail(experiment: string): Promise<void> {
    const rows = this.queries(experiment) as unknown as Record<string, unknown>[];
    const schema = mergeSchema(experiment, [], rows);
    const withId = encodeRows(experiment, schema, rows, 1);
    const table = withId.select(schema.map((c) => c.name));
    await writeTableFile(table, this.detailFile(experiment, 'arrow'), 'arrow');
    await writeTableFile(table, this.detailFile(experiment, 'parquet'), 'parquet');
  }

  /** Forgets an experiment's earlier results (summary, detail, state, stored rows). */
  async reset(experiment: string): Promise<void> {
    this.closeAppender(experiment);
    for (const file of [this.summaryFile(experiment), this.detailFile(experiment, 'arrow'), this.detailFile(experiment, 'parquet'), this.stateFile(experiment), this.queriesFile(experiment)]) {
      fs.rmSync(file, { force: true });
    }
  }

  /** Makes the appended rows durable. */
  sync(experiment: string): void {
    const fd = this.appenders.get(experiment);
    if (fd !== undefined) fs.fsyncSync(fd);
  }

  /** Summaries of every experiment in the directory. */
  summaries(): ExperimentSummary[] {
    if (!fs.existsSync(this.dir)) return [];
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => readJson<ExperimentSummary>(path.join(this.dir, f)))
      .filter((s): s is ExperimentSummary => s?.format === 'pilotscope-experiment');
  }

  async close(): Promise<void> {
    for (const experiment of [...this.appenders.keys()]) this.closeAppender(experiment);
  }

  private appender(experiment: string): number {
    let fd = this.appenders.get(experiment);
    if (fd !== undefined) return fd;
    const file = this.queriesFile(experiment);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    cutTornLine(file);
    fd = fs.openSync(file, 'a');
    this.appenders.set(experiment, fd);
    return fd;
  }

  private closeAppender(experiment: string): void {
    const fd = this.appenders.get(experiment);
    if (fd === undefined) return;
    this.appenders.delete(experiment);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** A file not ending in a newline was cut mid-line by a crash: drop the partial line. */
function cutTornLine(file: string): void {
  let text: Buffer;
  try {
    text = fs.readFileSync(file);
  } catch {
    return;
  }
  if (text.length === 0 || text[text.length - 1] === 0x0a) return;
  fs.truncateSync(file, text.lastIndexOf(0x0a) + 1);
}

export function readJson<T>(file: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Temp file, fsync, rename: readers and a later run never see half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
    const fd = fs.openSync(temp, 'w');
    try {
      fs.writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
  } catch (err) {
    throw new PilotScopeError('STORE_IO', `Cannot write ${file}: ${(err as Error).message}. Check that the output directory is writable.`, { file }, { cause: err });
  }
}

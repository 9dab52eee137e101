/**
 * The layout of a results directory:
 *
 *   <output>/<experiment>.json        summary
 *   <output>/<experiment>.arrow       per-query detail (Arrow IPC file)
 *   <output>/<experiment>.parquet     the same, Parquet
 *   <output>/.pilotscope/queries/     per-query rows as they complete (the Arrow data store, one table per experiment)
 *   <output>/.pilotscope/<experiment>.state.json   what an interrupted run needs to continue
 *
 * One process writes a results directory at a time (the data store's writer lock says so).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PilotScopeError } from '../errors.js';
import { DataManager } from '../store/index.js';
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
  private store?: DataManager;

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

  /** Appends one finished query (durably: it survives the process being killed right after). */
  async appendQuery(experiment: string, row: QueryDetailRow): Promise<void> {
    await this.rows().save(experiment, row as unknown as Record<string, unknown>);
  }

  async queries(experiment: string): Promise<QueryDetailRow[]> {
    const rows = await this.rows().readAll(experiment);
    return rows.map((r) => {
      const { pilot_data_id: _id, ...row } = r;
      return row as unknown as QueryDetailRow;
    });
  }

  /** Writes the per-query rows to <experiment>.arrow and .parquet. */
  async exportDetail(experiment: string): Promise<void> {
    await this.rows().exportTable(experiment, this.detailFile(experiment, 'arrow'), 'arrow', { rowId: false });
    await this.rows().exportTable(experiment, this.detailFile(experiment, 'parquet'), 'parquet', { rowId: false });
  }

  /** Forgets an experiment's earlier results (summary, detail, state, stored rows). */
  async reset(experiment: string): Promise<void> {
    await this.rows().dropTable(experiment);
    for (const file of [this.summaryFile(experiment), this.detailFile(experiment, 'arrow'), this.detailFile(experiment, 'parquet'), this.stateFile(experiment)]) {
      fs.rmSync(file, { force: true });
    }
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
    await this.store?.close();
    this.store = undefined;
  }

  private rows(): DataManager {
    this.store ??= new DataManager(path.join(this.dir, STATE_DIR, 'queries'));
    return this.store;
  }
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

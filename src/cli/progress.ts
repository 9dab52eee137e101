/**
 * Progress bars with ETA on stderr for long work (collection, training, workload runs, sweeps),
 * fed through the scheduler's ProgressReporter. Quiet when stderr is not a terminal (logs and
 * pipes stay clean) and in --json mode.
 */
import type { ProgressReporter } from '../scheduler/types.js';

interface Task {
  total?: number;
  done: number;
  startedAt: number;
  detail?: string;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 100;

export class TerminalProgress implements ProgressReporter {
  private readonly tasks = new Map<string, Task>();
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr, private readonly now: () => number = Date.now) {}

  start(task: string, total?: number): void {
    this.tasks.set(task, { ...(total !== undefined ? { total } : {}), done: 0, startedAt: this.now() });
    this.draw(true);
  }

  tick(task: string, done: number, detail?: string): void {
    const t = this.tasks.get(task);
    if (!t) return this.start(task), this.tick(task, done, detail);
    t.done = done;
    if (detail !== undefined) t.detail = detail;
    this.draw(t.total !== undefined && done >= t.total);
  }

  finish(task: string, detail?: string): void {
    const t = this.tasks.get(task);
    this.tasks.delete(task);
    this.clear();
    if (t) {
      const seconds = (this.now() - t.startedAt) / 1000;
      this.stream.write(`${task}: done in ${formatDuration(seconds)}${detail ? ` (${detail})` : ''}\n`);
    }
    this.draw(true);
  }

  /** Prints a message line without tearing the bar: clear it, print, draw it again. */
  log(text: string): void {
    this.clear();
    this.stream.write(text.endsWith('\n') ? text : `${text}\n`);
    this.draw(true);
  }

  private draw(force: boolean): void {
    const now = this.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const task = [...this.tasks.entries()].at(-1);
    this.clear();
    if (!task) return;
    const width = this.stream.columns || 100;
    this.stream.write(progressLine(task[0], task[1], now).slice(0, Math.max(20, width - 1)));
    this.drawn = true;
  }

  private clear(): void {
    if (!this.drawn) return;
    this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** One status line: "name [#####.....] 12/50 24% 3.1s ETA 9.8s". */
export function progressLine(name: string, task: Task, now: number): string {
  const elapsed = (now - task.startedAt) / 1000;
  if (task.total === undefined || task.total <= 0) return `${name} ${task.done > 0 ? `${task.done} ` : ''}${formatDuration(elapsed)}${task.detail ? ` ${task.detail}` : ''}`;
  const share = Math.min(1, task.done / task.total);
  const filled = Math.round(share * BAR_WIDTH);
  const eta = task.done > 0 ? (elapsed / task.done) * (task.total - task.done) : undefined;
  return `${name} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${task.done}/${task.total} ${Math.round(share * 100)}% ${formatDuration(elapsed)}${eta !== undefined ? ` ETA ${formatDuration(eta)}` : ''}${task.detail ? ` ${task.detail}` : ''}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export const QUIET_PROGRESS: ProgressReporter = { start() {}, tick() {}, finish() {} };

/** Bars on a terminal; nothing otherwise. */
export function progressFor(interactive: boolean): ProgressReporter {
  return interactive ? new TerminalProgress() : QUIET_PROGRESS;
}

/**
 * Reads results for a report: experiment summaries (<name>.json) with their per-query detail
 * (<name>.arrow beside them) and sweep documents (<name>.sweep.json), from directories or files.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import { PilotScopeError } from '../errors.js';
import { tableToRows } from '../store/index.js';
import type { ExperimentSummary, QueryDetailRow } from '../experiments/types.js';
import type { SweepResult } from '../experiments/sweep.js';

export interface LoadedExperiment {
  summary: ExperimentSummary;
  /** Per-query rows (empty when the detail file is missing). */
  rows: QueryDetailRow[];
  file: string;
}

export interface LoadedResults {
  experiments: LoadedExperiment[];
  sweeps: SweepResult[];
  notices: string[];
}

export function loadResults(sources: readonly string[]): LoadedResults {
  if (sources.length === 0) throw new PilotScopeError('USAGE', 'Name at least one results directory or result file to compare (e.g. results/).');
  const loaded: LoadedResults = { experiments: [], sweeps: [], notices: [] };
  const seen = new Set<string>();
  const add = (file: string) => {
    const real = fs.realpathSync(file);
    if (seen.has(real)) return;
    seen.add(real);
    const doc = readDocument(file);
    if (doc?.format === 'pilotscope-experiment') loaded.experiments.push({ summary: doc as ExperimentSummary, rows: readDetail(file, doc as ExperimentSummary, loaded.notices), file });
    else if (doc?.format === 'pilotscope-sweep') loaded.sweeps.push(doc as SweepResult);
  };
  for (const source of sources) {
    if (!fs.existsSync(source)) throw new PilotScopeError('USAGE', `${source} does not exist. Give results directories (from pilotscope run/sweep) or their .json files.`);
    if (fs.statSync(source).isDirectory()) {
      for (const name of fs.readdirSync(source).filter((n) => n.endsWith('.json')).sort()) add(path.join(source, name));
    } else {
      const doc = readDocument(source);
      if (!doc || (doc.format !== 'pilotscope-experiment' && doc.format !== 'pilotscope-sweep')) {
        throw new PilotScopeError('USAGE', `${source} is not a pilotscope result (an experiment .json or a .sweep.json written by pilotscope run/sweep).`);
      }
      add(source);
    }
  }
  if (loaded.experiments.length === 0 && loaded.sweeps.length === 0) {
    throw new PilotScopeError('USAGE', `No pilotscope results found in ${sources.join(', ')}. Run \`pilotscope run\` or \`pilotscope sweep\` first and point compare at its --output directory.`);
  }
  // Sweep points are experiments too; a sweep's document already describes them.
  return loaded;
}

function readDocument(file: string): { format?: string } | undefined {
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { format?: string }) : undefined;
  } catch {
    return undefined;
  }
}

function readDetail(summaryFile: string, summary: ExperimentSummary, notices: string[]): QueryDetailRow[] {
  const file = path.join(path.dirname(summaryFile), summary.files?.detail_arrow ?? `${summary.experiment}.arrow`);
  try {
    const table = arrow.tableFromIPC(fs.readFileSync(file));
    return tableToRows(table) as unknown as QueryDetailRow[];
  } catch {
    notices.push(`${summary.experiment}: no per-query detail (${file}); its per-query charts are left out.`);
    return [];
  }
}

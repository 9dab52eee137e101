/**
 * Deterministic train/test splits BY QUERY TEMPLATE: statements that differ only in constants
 * share a template and always land on the same side, so near-duplicates never leak from training
 * into testing. The same statements, ratio and seed always give the same split.
 */
import { PilotScopeError } from '../errors.js';
import { Random } from './random.js';
import { templateId, templateOf } from './sql-normalize.js';

export interface SplitOptions {
  /** Share of statements for training, in (0, 1). */
  trainRatio: number;
  seed: number;
}

export interface TemplateGroup {
  id: string;
  template: string;
  /** Indexes into the input, in input order. */
  members: number[];
  side: 'train' | 'test';
}

export interface SplitResult {
  train: string[];
  test: string[];
  templates: TemplateGroup[];
  /** Set when the split could not honour the ratio (e.g. a single template). */
  warning?: string;
}

export const DEFAULT_TRAIN_RATIO = 0.8;
export const DEFAULT_SPLIT_SEED = 42;

export function checkTrainRatio(ratio: number): void {
  if (!(ratio > 0 && ratio < 1)) {
    throw new PilotScopeError('USAGE', `The train ratio must be strictly between 0 and 1 (got ${ratio}); e.g. 0.8 keeps 80% of the queries for training.`);
  }
}

/** Groups statements by template, in order of first appearance. */
export function groupByTemplate(statements: readonly string[], templates = statements.map(templateOf)): TemplateGroup[] {
  const groups = new Map<string, TemplateGroup>();
  templates.forEach((template, index) => {
    let group = groups.get(template);
    if (!group) {
      group = { id: templateId(template), template, members: [], side: 'train' };
      groups.set(template, group);
    }
    group.members.push(index);
  });
  return [...groups.values()];
}

/** Splits statements by template; weights (e.g. execution counts) default to one per statement. */
export function splitByTemplate(statements: readonly string[], options: SplitOptions, templates?: readonly string[]): SplitResult {
  checkTrainRatio(options.trainRatio);
  const groups = groupByTemplate(statements, templates ? [...templates] : undefined);
  const total = statements.length;
  const target = Math.round(total * (1 - options.trainRatio));
  const order = new Random(options.seed, 'split-by-template').shuffle([...groups]);
  let testCount = 0;
  for (const group of order) {
    const size = group.members.length;
    const gapNow = target - testCount;
    const gapAfter = Math.abs(target - testCount - size);
    if (gapNow > 0 && gapAfter < gapNow) {
      group.side = 'test';
      testCount += size;
    }
  }
  let warning: string | undefined;
  if (groups.length < 2) {
    warning = `All ${total} statement(s) share ${groups.length} template(s), so a split by template leaves the test set empty; add more varied queries or provide test.sql.`;
  } else if (testCount === 0) {
    const smallest = [...order].sort((a, b) => a.members.length - b.members.length)[0]!;
    smallest.side = 'test';
  } else if (testCount === total) {
    const largest = [...order].sort((a, b) => b.members.length - a.members.length)[0]!;
    largest.side = 'train';
  }
  const side = new Array<'train' | 'test'>(total);
  for (const group of groups) for (const m of group.members) side[m] = group.side;
  return {
    train: statements.filter((_, i) => side[i] === 'train'),
    test: statements.filter((_, i) => side[i] === 'test'),
    templates: groups,
    ...(warning ? { warning } : {}),
  };
}

import type { Command } from '../command.js';
import { compareCommand } from './compare.js';
import { datasetCommands } from './dataset.js';
import { dbCommands } from './db.js';
import { demoCommand } from './demo.js';
import { explainCommand } from './explain.js';
import { extractQueriesCommands } from './extract-queries.js';
import { indexCommands } from './index-advice.js';
import { knobCommands } from './knob.js';
import { runCommand } from './run.js';
import { sparkCommands } from './spark.js';
import { sweepCommand } from './sweep.js';

export const COMMANDS: readonly Command[] = [
  ...dbCommands,
  ...datasetCommands,
  explainCommand,
  ...extractQueriesCommands,
  runCommand,
  sweepCommand,
  compareCommand,
  demoCommand,
  ...knobCommands,
  ...indexCommands,
  ...sparkCommands,
];

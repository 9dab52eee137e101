import type { Command } from '../command.js';
import { datasetCommands } from './dataset.js';
import { dbCommands } from './db.js';
import { explainCommand } from './explain.js';
import { extractQueriesCommands } from './extract-queries.js';
import { sparkCommands } from './spark.js';

export const COMMANDS: readonly Command[] = [...dbCommands, ...datasetCommands, explainCommand, ...extractQueriesCommands, ...sparkCommands];

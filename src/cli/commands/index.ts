import type { Command } from '../command.js';
import { datasetCommands } from './dataset.js';
import { dbCommands } from './db.js';
import { explainCommand } from './explain.js';
import { extractQueriesCommands } from './extract-queries.js';

export const COMMANDS: readonly Command[] = [...dbCommands, ...datasetCommands, explainCommand, ...extractQueriesCommands];

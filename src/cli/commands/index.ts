import type { Command } from '../command.js';
import { dbCommands } from './db.js';
import { explainCommand } from './explain.js';
import { sparkCommands } from './spark.js';

export const COMMANDS: readonly Command[] = [...dbCommands, explainCommand, ...sparkCommands];

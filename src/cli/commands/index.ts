import type { Command } from '../command.js';
import { dbCommands } from './db.js';
import { sparkCommands } from './spark.js';

export const COMMANDS: readonly Command[] = [...dbCommands, ...sparkCommands];

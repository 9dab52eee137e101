import type { Command } from '../command.js';
import { datasetCommands } from './dataset.js';
import { dbCommands } from './db.js';

export const COMMANDS: readonly Command[] = [...dbCommands, ...datasetCommands];

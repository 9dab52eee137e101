import type { Command } from '../command.js';
import { dbCommands } from './db.js';

export const COMMANDS: readonly Command[] = [...dbCommands];

/** Names the store turns into file names, and the reserved row id column. */
import { PilotScopeError } from '../errors.js';

/** Every stored row gets this column: 1, 2, 3, ... in insertion order (upstream's pilot_data_id). */
export const ROW_ID = 'pilot_data_id';

/** Table and reader names become directory and file names, so they are kept portable. */
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$/;

export function checkTableName(name: unknown): string {
  return checkName(name, 'table');
}

export function checkReaderName(name: unknown): string {
  return checkName(name, 'reader');
}

function checkName(name: unknown, what: 'table' | 'reader'): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new PilotScopeError(
      'STORE_INVALID_INPUT',
      `Invalid ${what} name ${JSON.stringify(name)}: use 1-100 characters from A-Z, a-z, 0-9, '_' and '-', not starting with '-'.`,
      { [what]: name },
    );
  }
  return name;
}

export function checkColumnName(name: string, table: string): void {
  if (name.length === 0) {
    throw new PilotScopeError('STORE_INVALID_INPUT', `Table '${table}': a column name must not be empty.`, { table });
  }
  if (name === ROW_ID) {
    throw new PilotScopeError(
      'STORE_INVALID_INPUT',
      `Table '${table}': '${ROW_ID}' is the store's row id column and is set automatically; rename that field.`,
      { table, column: name },
    );
  }
}

/**
 * The tables a PostgreSQL schema script creates (a dataset's schema.sql), read with the SQL lexer:
 * table names, column names and types. Keys, indexes and other statements mean nothing to Spark
 * and are skipped.
 */
import { PilotScopeError } from '../../src/errors.js';
import { splitStatements, tokenize, type Token } from '../../src/sql/index.js';
import { columnType, type ColumnDef } from './pg-dump.js';

export interface CreatedTable {
  name: string;
  columns: ColumnDef[];
}

const TABLE_CONSTRAINT = new Set(['constraint', 'primary', 'unique', 'check', 'foreign', 'exclude', 'like']);
const COLUMN_CONSTRAINT = new Set(['not', 'null', 'default', 'primary', 'references', 'unique', 'check', 'constraint', 'collate', 'generated']);

export function parseCreateTables(schemaSql: string, file: string): CreatedTable[] {
  const tables: CreatedTable[] = [];
  for (const statement of splitStatements(schemaSql)) {
    const tokens = tokenize(statement).filter((t) => t.kind !== 'eof');
    let i = 0;
    const word = () => (tokens[i]?.kind === 'word' ? tokens[i]!.value : undefined);
    if (word() !== 'create') continue;
    i++;
    while (['unlogged', 'temp', 'temporary', 'global', 'local'].includes(word() ?? '')) i++;
    if (word() !== 'table') continue;
    i++;
    if (word() === 'if' && tokens[i + 1]?.value === 'not' && tokens[i + 2]?.value === 'exists') i += 3;
    let name = tokens[i];
    while (tokens[i + 1]?.value === '.' && tokens[i + 2]) {
      i += 2;
      name = tokens[i];
    }
    if (!name || tokens[i + 1]?.value !== '(') continue;
    i += 2;
    const columns: ColumnDef[] = [];
    for (const element of topLevelElements(tokens, i)) {
      const first = element[0];
      if (!first || (first.kind === 'word' && TABLE_CONSTRAINT.has(first.value))) continue;
      const typeTokens: Token[] = [];
      for (const t of element.slice(1)) {
        if (t.kind === 'word' && COLUMN_CONSTRAINT.has(t.value)) break;
        typeTokens.push(t);
      }
      if (typeTokens.length === 0) throw new PilotScopeError('DATASET_INVALID', `${file}: column ${first.value} of table ${name.value} has no type.`);
      const typeText = statement.slice(typeTokens[0]!.start, typeTokens[typeTokens.length - 1]!.end);
      columns.push({ name: first.value, type: columnType(typeText, name.value, file) });
    }
    tables.push({ name: name.value, columns });
  }
  return tables;
}

/** The comma-separated elements inside the parentheses that open at `start`. */
function topLevelElements(tokens: readonly Token[], start: number): Token[][] {
  const elements: Token[][] = [[]];
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.value === '(') depth++;
    if (t.kind === 'punct' && t.value === ')') {
      if (depth === 0) break;
      depth--;
    }
    if (depth === 0 && t.kind === 'punct' && t.value === ',') elements.push([]);
    else elements[elements.length - 1]!.push(t);
  }
  return elements.filter((e) => e.length > 0);
}

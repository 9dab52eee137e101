/**
 * What a model cannot see: tables and columns of the tested queries (or database) that are not in
 * the model's vocabulary. Used to fall back for such queries and to say so, which is what
 * happens when a model trained on one database runs on another.
 */
import type { SchemaInfo } from '../../engine/types.js';

export interface Unseen {
  tables: string[];
  columns: string[];
}

export class Vocabulary {
  readonly tables: ReadonlySet<string>;
  readonly columns: ReadonlySet<string>;

  constructor(tables: Iterable<string>, columns: Iterable<string> = []) {
    this.tables = new Set(tables);
    this.columns = new Set(columns);
  }

  /** Tables and "table.column" names outside the vocabulary (a column of an unseen table counts under tables only). */
  unseen(tables: Iterable<string>, columns: Iterable<string> = []): Unseen {
    const outTables = new Set<string>();
    const outColumns = new Set<string>();
    for (const t of tables) if (!this.tables.has(t)) outTables.add(t);
    for (const c of columns) {
      const table = c.slice(0, c.indexOf('.'));
      if (!outTables.has(table) && !this.columns.has(c)) outColumns.add(c);
    }
    return { tables: [...outTables].sort(), columns: [...outColumns].sort() };
  }

  /** The tested database's tables the model never saw (columns are judged per query). */
  unseenInSchema(schema: SchemaInfo): string[] {
    return schema.tables.map((t) => t.name).filter((t) => !this.tables.has(t)).sort();
  }
}

export function describeUnseen(unseen: Unseen): string {
  const parts: string[] = [];
  if (unseen.tables.length) parts.push(`tables ${unseen.tables.join(', ')}`);
  if (unseen.columns.length) parts.push(`columns ${unseen.columns.join(', ')}`);
  return parts.join('; ');
}

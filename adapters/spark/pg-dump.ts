/**
 * Reading a PostgreSQL plain-format dump (pg_dump output, as upstream ships its datasets) without
 * PostgreSQL: the CREATE TABLE statements give the columns and their types, and the
 * `COPY t (cols) FROM stdin;` blocks give the rows in COPY text format. One pass over the file
 * writes each table's rows to a file of its own; everything else in the dump (sequences,
 * constraints, indexes, ownership) does not matter to Spark and is skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { PilotScopeError } from '../../src/errors.js';

/** Column types as the loaders share them (src/datasets uses the same names). */
export type ColumnTypeName = 'smallint' | 'integer' | 'bigint' | 'double' | 'numeric' | 'boolean' | 'text' | 'date' | 'timestamp';

export interface ColumnDef {
  name: string;
  type: ColumnTypeName;
}

export interface DumpTable {
  name: string;
  columns: ColumnDef[];
  /** The table's rows in COPY text format (one per line), columns in `columns` order. */
  rowsFile: string;
  rowCount: number;
}

/** Splits a dump into per-table COPY text files under `outDir`. */
export async function splitDump(file: string, outDir: string): Promise<DumpTable[]> {
  if (!fs.existsSync(file)) throw new PilotScopeError('DATASET_NOT_FOUND', `The dump file ${file} does not exist.`);
  fs.mkdirSync(outDir, { recursive: true });
  const definitions = new Map<string, ColumnDef[]>();
  const tables = new Map<string, DumpTable>();
  const lines = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });

  let creating: { name: string; body: string[] } | undefined;
  let copying: { table: DumpTable; out: fs.WriteStream; reorder?: number[] } | undefined;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (copying) {
      if (line === '\\.') {
        await closeStream(copying.out);
        copying = undefined;
        continue;
      }
      const fields = copying.reorder ? reorderFields(line, copying.reorder) : line;
      if (!copying.out.write(`${fields}\n`)) await new Promise<void>((resolve) => copying!.out.once('drain', () => resolve()));
      copying.table.rowCount++;
      continue;
    }
    if (creating) {
      if (/^\s*\)\s*(?:PARTITION BY .*|INHERITS .*|WITH .*|SERVER .*)?;\s*$/.test(line)) {
        definitions.set(creating.name, parseColumns(creating.name, creating.body, file));
        creating = undefined;
      } else {
        creating.body.push(line);
      }
      continue;
    }
    const create = /^CREATE (?:UNLOGGED )?TABLE (\S+) \($/.exec(line);
    if (create) {
      creating = { name: unqualified(create[1]!), body: [] };
      continue;
    }
    const copy = /^COPY (\S+) \((.*)\) FROM stdin;$/.exec(line);
    if (copy) {
      const name = unqualified(copy[1]!);
      const defined = definitions.get(name);
      if (!defined) throw new PilotScopeError('DATASET_INVALID', `${file}:${lineNo}: COPY into ${name} comes before (or without) its CREATE TABLE.`);
      const copied = copy[2]!.split(',').map((c) => unquote(c.trim()));
      const missing = copied.filter((c) => !defined.some((d) => d.name === c));
      if (missing.length) throw new PilotScopeError('DATASET_INVALID', `${file}:${lineNo}: COPY into ${name} names columns its CREATE TABLE does not have: ${missing.join(', ')}.`);
      // Keep the columns in COPY order; that is the order of the fields in every row.
      const columns = copied.map((c) => defined.find((d) => d.name === c)!);
      const table: DumpTable = tables.get(name) ?? { name, columns, rowsFile: path.join(outDir, `${safeFileName(name)}.copy`), rowCount: 0 };
      const reorder = tables.has(name) ? table.columns.map((c) => copied.indexOf(c.name)) : undefined;
      tables.set(name, table);
      copying = { table, out: fs.createWriteStream(table.rowsFile, { flags: reorder ? 'a' : 'w' }), ...(reorder ? { reorder } : {}) };
    }
  }
  if (copying) {
    await closeStream(copying.out);
    throw new PilotScopeError('DATASET_INVALID', `${file}: the COPY block of ${copying.table.name} has no terminating "\\." line (the dump is cut short).`);
  }
  // Tables without rows still exist.
  for (const [name, columns] of definitions) {
    if (!tables.has(name)) {
      const rowsFile = path.join(outDir, `${safeFileName(name)}.copy`);
      fs.writeFileSync(rowsFile, '');
      tables.set(name, { name, columns, rowsFile, rowCount: 0 });
    }
  }
  return [...tables.values()];
}

function parseColumns(table: string, body: string[], file: string): ColumnDef[] {
  const columns: ColumnDef[] = [];
  for (const raw of body) {
    const line = raw.trim().replace(/,$/, '');
    if (line === '' || /^(CONSTRAINT|PRIMARY KEY|UNIQUE|CHECK|FOREIGN KEY|EXCLUDE)\b/i.test(line)) continue;
    const match = /^("(?:[^"]|"")+"|\S+)\s+(.+)$/.exec(line);
    if (!match) throw new PilotScopeError('DATASET_INVALID', `${file}: cannot read the column definition ${JSON.stringify(raw)} of table ${table}.`);
    columns.push({ name: unquote(match[1]!), type: columnType(match[2]!, table, file) });
  }
  return columns;
}

/** PostgreSQL type -> loader column type. */
export function columnType(definition: string, table: string, file: string): ColumnTypeName {
  const t = definition.toLowerCase().replace(/\s+(not null|null|default .*|collate .*|generated .*)$/g, '').trim();
  if (/^(smallint|int2|smallserial)\b/.test(t)) return 'smallint';
  if (/^(integer|int|int4|serial)\b/.test(t)) return 'integer';
  if (/^(bigint|int8|bigserial)\b/.test(t)) return 'bigint';
  if (/^(double precision|float8|real|float4|float)\b/.test(t)) return 'double';
  if (/^(numeric|decimal)\b/.test(t)) return 'numeric';
  if (/^(boolean|bool)\b/.test(t)) return 'boolean';
  if (/^(text|character varying|varchar|character|char|bpchar|name|citext|uuid|json|jsonb)\b/.test(t)) return 'text';
  if (/^date\b/.test(t)) return 'date';
  if (/^timestamp\b/.test(t)) return 'timestamp';
  throw new PilotScopeError('DATASET_INVALID', `${file}: column type "${definition}" of table ${table} is not supported for loading into Spark (supported: integer types, floating point, numeric, boolean, text types, date, timestamp).`);
}

/**
 * One COPY text field: `\N` is NULL; backslash escapes \b \f \n \r \t \v, octal \ooo, hex \xhh
 * and any other escaped character stand for themselves.
 */
export function decodeCopyField(field: string): string | null {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== '\\' || i === field.length - 1) {
      out += c;
      continue;
    }
    const next = field[++i]!;
    const simple: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    if (simple[next] !== undefined) out += simple[next];
    else if (/[0-7]/.test(next)) {
      const digits = /^[0-7]{1,3}/.exec(field.slice(i))![0];
      out += String.fromCharCode(parseInt(digits, 8));
      i += digits.length - 1;
    } else if (next === 'x' && /^[0-9a-fA-F]/.test(field[i + 1] ?? '')) {
      const digits = /^[0-9a-fA-F]{1,2}/.exec(field.slice(i + 1))![0];
      out += String.fromCharCode(parseInt(digits, 16));
      i += digits.length;
    } else out += next;
  }
  return out;
}

/** The fields of one COPY text line (tab-separated; tabs inside values are escaped). */
export function splitCopyLine(line: string): Array<string | null> {
  return line.split('\t').map(decodeCopyField);
}

function reorderFields(line: string, order: number[]): string {
  const fields = line.split('\t');
  return order.map((i) => fields[i]).join('\t');
}

function unqualified(name: string): string {
  const parts = name.match(/"(?:[^"]|"")*"|[^.]+/g) ?? [name];
  return unquote(parts[parts.length - 1]!);
}

function unquote(identifier: string): string {
  return identifier.startsWith('"') && identifier.endsWith('"') ? identifier.slice(1, -1).replace(/""/g, '"') : identifier;
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function closeStream(stream: fs.WriteStream): Promise<void> {
  return new Promise((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

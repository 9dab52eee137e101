/**
 * The dataset registry: the published datasets (stats_tiny, imdb_tiny, stats, imdb, tpcds), the
 * generated `synthetic`, and any directory in the dataset format a user registered with
 * `pilotscope dataset add`. User entries persist in <home>/datasets.json (written atomically).
 * Published datasets live in <home>/datasets/<name>/, downloaded there on first use when the
 * machine is online; registering a directory under a published name uses that directory instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { PilotScopeError } from '../errors.js';
import { closest } from '../config/schema.js';
import { BUILTIN_CATALOG, type CatalogEntry } from './catalog.js';
import { downloadVerified, extractSingleFile, type DownloadOptions } from './download.js';
import { DATA_FILE, SCHEMA_FILE, TEST_FILE, TRAIN_FILE, checkDatabaseName, checkDatasetName, directoryDataset, inspectDatasetDir, sha256File } from './format.js';
import { syntheticDataset, type SyntheticOptions } from './synthetic/index.js';
import type { Dataset } from './types.js';

export const REGISTRY_FILE = 'datasets.json';
export const SYNTHETIC = 'synthetic';

export interface RegisteredDataset {
  /** Absolute directory in the dataset format. */
  dir: string;
  /** Use this existing database as is instead of loading files. */
  database?: string;
  addedAt: string;
}

interface RegistryFile {
  version: 1;
  datasets: Record<string, RegisteredDataset>;
}

export interface DatasetListing {
  name: string;
  kind: 'published' | 'generated' | 'directory' | 'existing-database';
  description: string;
  /** Where its files are (or would be put). */
  location: string;
  /** For published datasets: whether the files are on this machine. */
  available: boolean;
  note?: string;
}

export interface OpenOptions extends SyntheticOptions, DownloadOptions {}

export class DatasetRegistry {
  readonly file: string;

  constructor(readonly home: string, private readonly catalog: readonly CatalogEntry[] = BUILTIN_CATALOG) {
    this.file = path.join(home, REGISTRY_FILE);
  }

  /** Where a published dataset's files go: <home>/datasets/<name>/. */
  publishedDir(name: string): string {
    return path.join(this.home, 'datasets', name);
  }

  registered(): Record<string, RegisteredDataset> {
    return this.read().datasets;
  }

  list(): DatasetListing[] {
    const user = this.registered();
    const listing: DatasetListing[] = [
      { name: SYNTHETIC, kind: 'generated', description: 'Generated STATS-like data with skew and correlations (--scale, --seed)', location: '(generated)', available: true },
    ];
    for (const entry of this.catalog) {
      const override = user[entry.name];
      const dir = override?.dir ?? this.publishedDir(entry.name);
      listing.push({
        name: entry.name,
        kind: override?.database ? 'existing-database' : override ? 'directory' : 'published',
        description: entry.description,
        location: override?.database ? `database ${override.database}` : dir,
        available: override !== undefined || hasData(dir),
        ...(entry.note ? { note: entry.note } : {}),
      });
    }
    for (const [name, entry] of Object.entries(user).sort(([a], [b]) => a.localeCompare(b))) {
      if (this.catalogEntry(name)) continue;
      listing.push({
        name,
        kind: entry.database ? 'existing-database' : 'directory',
        description: describeDir(entry.dir),
        location: entry.database ? `database ${entry.database} (workload in ${entry.dir})` : entry.dir,
        available: fs.existsSync(entry.dir),
      });
    }
    return listing;
  }

  /** Registers a directory (checked now) under a name; a published name is overridden. */
  add(name: string, dir: string, options: { database?: string } = {}): RegisteredDataset {
    checkDatasetName(name);
    if (name === SYNTHETIC) {
      throw new PilotScopeError('USAGE', '"synthetic" is the generated dataset and cannot be replaced; choose another name.');
    }
    if (options.database !== undefined) checkDatabaseName(options.database);
    const absolute = path.resolve(dir);
    inspectDatasetDir(absolute, options.database);
    const entry: RegisteredDataset = { dir: absolute, ...(options.database ? { database: options.database } : {}), addedAt: new Date().toISOString() };
    const registry = this.read();
    registry.datasets[name] = entry;
    this.write(registry);
    return entry;
  }

  /** Removes a registered dataset (its files and databases are left alone). Returns false when it was not registered. */
  remove(name: string): boolean {
    const registry = this.read();
    if (!(name in registry.datasets)) return false;
    delete registry.datasets[name];
    this.write(registry);
    return true;
  }

  /** Locates a dataset, downloading a published one when its files are missing. */
  async open(name: string, options: OpenOptions = {}): Promise<Dataset> {
    if (name === SYNTHETIC) return syntheticDataset(options);
    const user = this.registered()[name];
    if (user) {
      if (!fs.existsSync(user.dir)) {
        throw new PilotScopeError('DATASET_NOT_FOUND', `Dataset "${name}" is registered at ${user.dir}, which no longer exists. Register it again: \`pilotscope dataset add ${name} <dir>\`.`);
      }
      const notices = this.catalogEntry(name) ? await checksumNotices(this.catalogEntry(name)!, user.dir) : [];
      return directoryDataset(name, user.dir, { ...(user.database ? { database: user.database } : {}), notices });
    }
    const entry = this.catalogEntry(name);
    if (!entry) {
      const names = [...new Set([SYNTHETIC, ...this.catalog.map((e) => e.name), ...Object.keys(this.registered())])];
      const hint = closest(name, names);
      throw new PilotScopeError(
        'DATASET_NOT_FOUND',
        `There is no dataset "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}. Known: ${names.join(', ')}. Register a directory with \`pilotscope dataset add ${name} <dir>\`.`,
      );
    }
    const dir = this.publishedDir(name);
    const notices = await this.fetchMissing(entry, dir, options);
    notices.push(...(await checksumNotices(entry, dir)));
    if (entry.note) notices.push(entry.note);
    return directoryDataset(name, dir, { notices, source: `${entry.description} (${dir})` });
  }

  private catalogEntry(name: string): CatalogEntry | undefined {
    return this.catalog.find((e) => e.name === name);
  }

  /** Downloads what is missing; without network only data.sql (or schema.sql) is indispensable. */
  private async fetchMissing(entry: CatalogEntry, dir: string, options: DownloadOptions): Promise<string[]> {
    const notices: string[] = [];
    const missing = ([DATA_FILE, TRAIN_FILE, TEST_FILE] as const).filter((f) => !fs.existsSync(path.join(dir, f)) && !(f === DATA_FILE && fs.existsSync(path.join(dir, SCHEMA_FILE))));
    for (const file of missing) {
      const published = entry.files[file];
      try {
        if (published.archive) {
          const archive = path.join(dir, '.download', path.basename(new URL(published.url).pathname));
          if (!fs.existsSync(archive)) await downloadVerified(published.url, archive, published.sha256, options);
          await extractSingleFile(archive, path.join(dir, file));
          fs.rmSync(path.join(dir, '.download'), { recursive: true, force: true });
        } else {
          await downloadVerified(published.url, path.join(dir, file), published.sha256, options);
        }
        notices.push(`Downloaded ${file} of ${entry.name} from ${published.url} (sha256 verified).`);
      } catch (err) {
        if (!(err instanceof PilotScopeError) || err.code !== 'DATASET_UNAVAILABLE_OFFLINE') throw err;
        if (file === DATA_FILE) throw this.offlineError(entry, dir, err);
        notices.push(`Could not download ${file} of ${entry.name} (${err.message}).`);
      }
    }
    return notices;
  }

  private offlineError(entry: CatalogEntry, dir: string, cause: PilotScopeError): PilotScopeError {
    const files = Object.entries(entry.files)
      .map(([file, p]) => `  ${file}: ${p.url}${p.archive ? ' (a .tar.gz holding the dump)' : ''}\n    sha256 ${p.sha256}`)
      .join('\n');
    return new PilotScopeError(
      'DATASET_UNAVAILABLE_OFFLINE',
      `Dataset "${entry.name}" is not on this machine and could not be downloaded: ${cause.message}.\n` +
        `Put its files in ${dir}/ (data.sql, train.sql, test.sql; see the dataset format), or register a directory holding them: ` +
        `\`pilotscope dataset add ${entry.name} <dir>\`.\nPublished files:\n${files}\n` +
        'Offline, the generated dataset works without any download: `pilotscope dataset load synthetic`.',
      { dataset: entry.name, dir },
      { cause },
    );
  }

  private read(): RegistryFile {
    if (!fs.existsSync(this.file)) return { version: 1, datasets: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(this.file, 'utf8'));
    } catch (err) {
      throw new PilotScopeError('STORE_CORRUPT', `${this.file} is not valid JSON (${(err as Error).message}). Fix it by hand or delete it (registered datasets are then forgotten; their files stay).`);
    }
    const file = parsed as Partial<RegistryFile>;
    if (file.version !== 1 || typeof file.datasets !== 'object' || file.datasets === null) {
      throw new PilotScopeError('STORE_CORRUPT', `${this.file} is not a dataset registry (version 1). Fix it by hand or delete it.`);
    }
    return file as RegistryFile;
  }

  private write(registry: RegistryFile): void {
    writeFileAtomic(this.file, JSON.stringify(registry, null, 2) + '\n');
  }
}


function hasData(dir: string): boolean {
  return fs.existsSync(path.join(dir, DATA_FILE)) || fs.existsSync(path.join(dir, SCHEMA_FILE));
}

function describeDir(dir: string): string {
  try {
    const { data, manifest } = inspectDatasetDir(dir);
    return manifest?.description ?? (data.kind === 'sql-dump' ? 'SQL dump' : data.kind === 'tables' ? `${data.tables.length} table files` : 'existing database');
  } catch (err) {
    return `(unusable: ${(err as Error).message.split('\n')[0]})`;
  }
}

/** Files that differ from the published ones are used, with a notice (they may be deliberate variants). */
async function checksumNotices(entry: CatalogEntry, dir: string): Promise<string[]> {
  const notices: string[] = [];
  for (const [file, published] of Object.entries(entry.files)) {
    const local = path.join(dir, file);
    if (published.archive || !fs.existsSync(local)) continue;
    const actual = await sha256File(local);
    if (actual !== published.sha256) notices.push(`${local} differs from the published ${entry.name} ${file} (sha256 ${actual.slice(0, 12)}…, published ${published.sha256.slice(0, 12)}…); using it as is.`);
  }
  return notices;
}

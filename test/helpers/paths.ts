/** Paths tests use: the repository root and the shared datasets beside it. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED_DATASETS = path.resolve(REPO_ROOT, '..', 'shared', 'datasets');

export function sharedDataset(name: 'stats_tiny' | 'imdb_tiny'): string {
  return path.join(SHARED_DATASETS, name);
}

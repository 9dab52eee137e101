import type { RelSetKey } from './types.js';

/** The stable key of a relation set: its aliases, sorted, joined by ','. */
export function relSetKey(aliases: Iterable<string>): RelSetKey {
  return [...aliases].sort().join(',');
}

/** The aliases of a relation-set key, in key order. */
export function relSetAliases(key: RelSetKey): string[] {
  return key === '' ? [] : key.split(',');
}

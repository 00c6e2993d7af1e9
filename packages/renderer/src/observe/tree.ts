// Query kind `kv.prefix` (template: ls, tree): /v1/kv/<prefix>?recurse, keys relative to the prefix.

import { kvPrefixRead, mapRead, type KvEntry } from '@consul-sidecars/core';
import type { KvPair } from './consul-data';
import type { QueryKind } from './dependency';
import { kvPair } from './kv-pair';
import { compareText } from './payload';

export function kvPrefixPath(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

/** Recursive listing under `prefix`: keys relative to it, folder placeholders (`a/`) dropped, sorted. */
export function normaliseKvPrefix(entries: readonly KvEntry[], prefix: string): KvPair[] {
  const base = kvPrefixPath(prefix);
  return entries
    .map(kvPair)
    .filter((p) => p.Key.startsWith(base) && p.Key.length > base.length && !p.Key.endsWith('/'))
    .map((p) => ({ ...p, Key: p.Key.slice(base.length) }))
    .sort((a, b) => compareText(a.Key, b.Key));
}

/** `ls`: only the top level of a prefix listing. */
export function topLevelPairs(pairs: readonly KvPair[]): KvPair[] {
  return pairs.filter((p) => !p.Key.includes('/'));
}

export const kvPrefixKind: QueryKind<'kv.prefix'> = {
  key: (dep) => `kv.prefix(${kvPrefixPath(dep.prefix)})`,
  query: (consul, dep) => consul.blockingQuery(mapRead(kvPrefixRead(kvPrefixPath(dep.prefix)), (entries) => normaliseKvPrefix(entries, dep.prefix))),
};

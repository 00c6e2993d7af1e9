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

/** The prefix Consul is asked for: the folder `prefix/`, or (asGiven, consul-template's) the prefix as written. */
export function listedPrefix(prefix: string, asGiven = false): string {
  return asGiven ? prefix.replace(/^\/+/, '') : kvPrefixPath(prefix);
}

/**
 * Recursive listing under `prefix`: keys relative to it (a leading `/` trimmed, as consul-template's kv.list), folder
 * placeholders (`a/`) and the prefix itself dropped, sorted.
 */
export function normaliseKvPrefix(entries: readonly KvEntry[], prefix: string, asGiven = false): KvPair[] {
  const base = listedPrefix(prefix, asGiven);
  return entries
    .map(kvPair)
    .filter((p) => p.Key.startsWith(base) && !p.Key.endsWith('/'))
    .map((p) => ({ ...p, Key: p.Key.slice(base.length).replace(/^\/+/, '') }))
    .filter((p) => p.Key !== '')
    // As given, Consul's order (by full key) is consul-template's; under a folder it is the same as by relative key.
    .sort((a, b) => (asGiven ? compareText(a.Path ?? a.Key, b.Path ?? b.Key) : compareText(a.Key, b.Key)));
}

/** `ls`: only the top level of a prefix listing. */
export function topLevelPairs(pairs: readonly KvPair[]): KvPair[] {
  return pairs.filter((p) => !p.Key.includes('/'));
}

export const kvPrefixKind: QueryKind<'kv.prefix'> = {
  // `a` as given and the folder `a/` are different reads; `a/` as given is the folder's read, so they share one watch.
  key: (dep) => `kv.prefix(${listedPrefix(dep.prefix, dep.asGiven)}${dep.dc ? `@${dep.dc}` : ''})`,
  query: (consul, dep) => consul.blockingQuery(mapRead(kvPrefixRead(listedPrefix(dep.prefix, dep.asGiven)), (entries) => normaliseKvPrefix(entries, dep.prefix, dep.asGiven)), { dc: dep.dc }),
};

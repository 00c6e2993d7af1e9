// Query kind `kv.key` (template: key, keyExists, keyOrDefault): /v1/kv/<key>; null when the key does not exist.

import { kvKeyRead, mapRead, type KvEntry } from '@consul-sidecars/core';
import type { KvPair } from './consul-data';
import type { QueryKind } from './dependency';
import { kvPair } from './kv-pair';

const keyPath = (key: string) => key.replace(/^\/+/, '');

/** core's entries of one key ([] when it does not exist) -> the pair, or null. */
export function normaliseKvKey(entries: readonly KvEntry[]): KvPair | null {
  return entries.length > 0 ? kvPair(entries[0]) : null;
}

export const kvKeyKind: QueryKind<'kv.key'> = {
  key: (dep) => `kv.key(${keyPath(dep.key)}${dep.dc ? `@${dep.dc}` : ''})`,
  query: (consul, dep) => consul.blockingQuery(mapRead(kvKeyRead(keyPath(dep.key)), normaliseKvKey), { dc: dep.dc }),
};

// Query kind `kv.key` (template: key, keyExists, keyOrDefault): /v1/kv/<key>; null when the key does not exist.

import { consulBlockingQuery } from '@consul-sidecars/core';
import type { KvPair } from './consul-data';
import type { QueryKind } from './dependency';
import { kvPair } from './kv-pair';
import { isRecord } from './payload';

const keyPath = (key: string) => key.replace(/^\/+/, '');

export function normaliseKvKey(raw: unknown): KvPair | null {
  const item: unknown = Array.isArray(raw) ? raw[0] : raw;
  return isRecord(item) ? kvPair(item) : null;
}

export const kvKeyKind: QueryKind<'kv.key'> = {
  key: (dep) => `kv.key(${keyPath(dep.key)})`,
  query: (consul, dep) => consulBlockingQuery((request) => consul.kv.get(request), { key: keyPath(dep.key) }, normaliseKvKey),
};

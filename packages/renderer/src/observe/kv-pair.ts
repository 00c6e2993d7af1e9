// One KV entry (core's, its value already decoded) as templates see it: no value reads as ''.

import type { KvEntry } from '@consul-sidecars/core';
import type { KvPair } from './consul-data';

export function kvPair(entry: KvEntry): KvPair {
  return { Key: entry.Key, Value: entry.Value ?? '', Flags: entry.Flags };
}

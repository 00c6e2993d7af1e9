// One KV entry (core's, its value already decoded) as templates see it: no value reads as ''.

import type { KvEntry } from '@consul-sidecars/core';
import type { KvPair } from './consul-data';

export function kvPair(entry: KvEntry): KvPair {
  // The indexes, the session and the full path are what Go templates' KeyPair carries beyond these three.
  return { Key: entry.Key, Value: entry.Value ?? '', Flags: entry.Flags, Path: entry.Key, CreateIndex: entry.CreateIndex, ModifyIndex: entry.ModifyIndex, LockIndex: entry.LockIndex, Session: entry.Session ?? '' };
}

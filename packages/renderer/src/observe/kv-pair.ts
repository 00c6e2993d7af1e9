// One KV pair as Consul answers it (`Value` decoded from base64 by the client), read into a KvPair.

import type { KvPair } from './consul-data';

function kvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

export function kvPair(raw: Record<string, unknown>): KvPair {
  return { Key: String(raw.Key ?? ''), Value: kvValue(raw.Value), Flags: Number(raw.Flags ?? 0) };
}

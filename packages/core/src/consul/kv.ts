// KV answers: /v1/kv/<key> (one entry or, with ?recurse, many; base64 values decoded) and /v1/kv/<prefix>?keys.

import { arrayAt, Fields, payloadError, stringsAt } from './payload';

export interface KvEntry {
  Key: string;
  /** The value decoded from base64 as UTF-8; null when the key holds no value (Consul's null). */
  Value: string | null;
  Flags: number;
  /** The session holding the key's lock, if any. */
  Session?: string;
  LockIndex: number;
  CreateIndex: number;
  ModifyIndex: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes a KV Value (base64 text, or null) as UTF-8. */
export function decodeKvValue(value: unknown, path: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) throw payloadError(path, value, 'base64 text or null');
  return Buffer.from(value, 'base64').toString('utf8');
}

export function parseKvEntry(value: unknown, path: string): KvEntry {
  const f = new Fields(value, path);
  const entry: KvEntry = {
    Key: f.string('Key'),
    Value: decodeKvValue(f.raw('Value'), f.at('Value')),
    Flags: f.intOr('Flags', 0),
    LockIndex: f.intOr('LockIndex', 0),
    CreateIndex: f.intOr('CreateIndex', 0),
    ModifyIndex: f.intOr('ModifyIndex', 0),
  };
  const session = f.optString('Session');
  if (session) entry.Session = session;
  return entry;
}

/** A /v1/kv read (404 is read by the client as an empty list): every entry in Consul's (key) order. */
export function parseKvEntries(body: unknown): KvEntry[] {
  return arrayAt(body, '').map((item) => parseKvEntry(item.value, item.path));
}

/** /v1/kv/<prefix>?keys[&separator=]: the key names. */
export function parseKvKeys(body: unknown): string[] {
  return stringsAt(body, '', 'a key name');
}

// Session, transaction and status answers: /v1/session/*, /v1/txn, /v1/status/leader.

import { arrayAt, Fields, payloadError } from './payload';
import { parseKvEntry, type KvEntry } from './kv';

export interface SessionInfo {
  ID: string;
  Name: string;
  Node: string;
  /** "release" or "delete". */
  Behavior: string;
  /** e.g. "15s" ('' when the session has no TTL). */
  TTL: string;
  /** Nanoseconds, as Consul answers it. */
  LockDelay: number;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface TxnResult {
  /** False when Consul rolled the transaction back (HTTP 409). */
  ok: boolean;
  results: KvEntry[];
  errors: Array<{ OpIndex: number; What: string }>;
}

/** PUT /v1/session/create -> {"ID": ...}. */
export function parseSessionCreated(body: unknown): string {
  return new Fields(body, '').string('ID');
}

export function parseSessionInfo(value: unknown, path: string): SessionInfo {
  const f = new Fields(value, path);
  return {
    ID: f.string('ID'),
    Name: f.stringOr('Name', ''),
    Node: f.stringOr('Node', ''),
    Behavior: f.stringOr('Behavior', 'release'),
    TTL: f.stringOr('TTL', ''),
    LockDelay: f.intOr('LockDelay', 0),
    CreateIndex: f.intOr('CreateIndex', 0),
    ModifyIndex: f.intOr('ModifyIndex', 0),
  };
}

/** /v1/session/info/<id>, /v1/session/renew/<id>, /v1/session/list: a list (empty when the session is gone). */
export function parseSessions(body: unknown): SessionInfo[] {
  return arrayAt(body, '').map((item) => parseSessionInfo(item.value, item.path));
}

/** /v1/txn: Results (KV ops only) and Errors. */
export function parseTxnResult(body: unknown, ok: boolean): TxnResult {
  const f = new Fields(body, '');
  const results = arrayAt(f.raw('Results') ?? null, 'Results').map((item) => {
    const r = new Fields(item.value, item.path);
    return parseKvEntry(r.raw('KV'), r.at('KV'));
  });
  const errors = arrayAt(f.raw('Errors') ?? null, 'Errors').map((item) => {
    const e = new Fields(item.value, item.path);
    return { OpIndex: e.intOr('OpIndex', 0), What: e.stringOr('What', '') };
  });
  return { ok, results, errors };
}

/** /v1/status/leader: "ip:port", or "" when the cluster has no leader. */
export function parseLeader(body: unknown): string {
  if (typeof body !== 'string') throw payloadError('', body, 'a string', '/v1/status/leader');
  return body;
}

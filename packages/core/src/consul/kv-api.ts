// KV: get, list, keys, put (cas, acquire/release, flags), delete, and /v1/txn.

import { payloadError } from './payload';
import type { KvEntry } from './kv';
import { kvKeyRead, kvKeysRead, kvPrefixRead } from './reads';
import { parseTxnResult, type TxnResult } from './session';
import type { ConsulTransport } from './transport';
import { encodeKeyPath } from './transport';

export interface KvCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  dc?: string;
  /**
   * For put and txn: the caller vouches that sending the write twice is harmless (plain sets, no cas, no lock),
   * so a reused-socket reset may resend it once. Default false for writes.
   */
  idempotent?: boolean;
}

export interface KvPutOptions extends KvCallOptions {
  /** Check-and-set: write only if the key's ModifyIndex is this (0: only if it does not exist). */
  cas?: number;
  /** Take the key's lock for this session (false when another session holds it). */
  acquire?: string;
  /** Release the lock held by this session. */
  release?: string;
  flags?: number;
}

/** One KV operation of a transaction; `value` is the plain value (the client base64-encodes it). */
export interface TxnKvOp {
  verb: 'set' | 'cas' | 'lock' | 'unlock' | 'get' | 'get-tree' | 'check-index' | 'check-session' | 'check-not-exists' | 'delete' | 'delete-tree' | 'delete-cas';
  key: string;
  value?: string | Buffer;
  flags?: number;
  index?: number;
  session?: string;
}

/** Consul allows at most 64 operations in one transaction. */
export const MAX_TXN_OPS = 64;

export class KvApi {
  constructor(private readonly http: ConsulTransport) {}

  private async read<T>(read: { path: string; query?: Record<string, string | number | boolean | undefined>; parse: (body: unknown) => T }, options: KvCallOptions): Promise<T> {
    const { body } = await this.http.json('GET', read.path, { ...options, query: read.query, accept: [404] });
    return read.parse(body);
  }

  /** One key; undefined when it does not exist. */
  async get(key: string, options: KvCallOptions = {}): Promise<KvEntry | undefined> {
    return (await this.read(kvKeyRead(key), options))[0];
  }

  /** Every entry under a prefix (recursive, full keys, Consul's key order); [] when there is none. */
  async list(prefix: string, options: KvCallOptions = {}): Promise<KvEntry[]> {
    return this.read(kvPrefixRead(prefix), options);
  }

  async keys(prefix: string, options: KvCallOptions & { separator?: string } = {}): Promise<string[]> {
    return this.read(kvKeysRead(prefix, options.separator), options);
  }

  /** PUT /v1/kv/<key>: true when written (false: a cas mismatch, or a lock held by another session). */
  async put(key: string, value: string | Buffer, options: KvPutOptions = {}): Promise<boolean> {
    const { signal, timeoutMs, dc, cas, acquire, release, flags, idempotent } = options;
    const { body } = await this.http.json('PUT', `/kv/${encodeKeyPath(key)}`, { signal, timeoutMs, dc, idempotent, body: value, query: { cas, acquire, release, flags } });
    if (typeof body !== 'boolean') throw payloadError('', body, 'true or false', `PUT /v1/kv/${key}`);
    return body;
  }

  /** DELETE /v1/kv/<key> (or the whole prefix with `recurse`); false only on a cas mismatch. */
  async delete(key: string, options: KvCallOptions & { recurse?: boolean; cas?: number } = {}): Promise<boolean> {
    const { signal, timeoutMs, dc, recurse, cas } = options;
    // Deleting what is already gone changes nothing: safe to resend unless it is conditional.
    const { body } = await this.http.json('DELETE', `/kv/${encodeKeyPath(key)}`, { signal, timeoutMs, dc, query: { recurse, cas }, idempotent: cas === undefined });
    return body !== false;
  }

  /** PUT /v1/txn: all operations or none. A rollback (409) answers ok: false with Consul's errors. */
  async txn(ops: readonly TxnKvOp[], options: KvCallOptions = {}): Promise<TxnResult> {
    if (ops.length > MAX_TXN_OPS) throw new RangeError(`${ops.length} operations exceed Consul's ${MAX_TXN_OPS} per transaction`);
    const payload = ops.map((op) => {
      const kv: Record<string, unknown> = { Verb: op.verb, Key: op.key.replace(/^\/+/, '') };
      if (op.value !== undefined) kv.Value = Buffer.from(op.value).toString('base64');
      if (op.flags !== undefined) kv.Flags = op.flags;
      if (op.index !== undefined) kv.Index = op.index;
      if (op.session !== undefined) kv.Session = op.session;
      return { KV: kv };
    });
    const reply = await this.http.call('PUT', '/txn', { ...options, body: payload, accept: [409] });
    let body: unknown;
    try {
      body = JSON.parse(reply.text);
    } catch {
      throw payloadError('', reply.text, 'a JSON transaction result', 'PUT /v1/txn');
    }
    return parseTxnResult(body, reply.status !== 409);
  }
}

// The KV table: entries, CAS and lock semantics, lock-delay, and what a session's end does to its keys.

import { StateStore, Topics, WriteContext } from './state-store';
import { internal } from './errors';

export interface KvEntry {
  readonly key: string;
  readonly flags: number;
  readonly value: Buffer | null;
  readonly session: string;
  readonly lockIndex: number;
  readonly createIndex: number;
  readonly modifyIndex: number;
}

export interface KvWrite {
  key: string;
  value: Buffer | null;
  flags: number;
}

export type SessionBehavior = 'release' | 'delete';

export class KvStore {
  private entries = new Map<string, KvEntry>();
  private readonly lockDelayUntil = new Map<string, number>();

  constructor(
    private readonly store: StateStore,
    private readonly sessionExists: (id: string) => boolean,
  ) {}

  get(key: string): KvEntry | undefined {
    return this.entries.get(key);
  }

  /** Entries under the prefix, in key order. */
  list(prefix: string): KvEntry[] {
    const out: KvEntry[] = [];
    for (const entry of this.entries.values()) if (entry.key.startsWith(prefix)) out.push(entry);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Key names under the prefix, folded at the first separator after it (Consul's ?keys&separator=). */
  keys(prefix: string, separator: string): string[] {
    const out = new Set<string>();
    for (const entry of this.list(prefix)) {
      const after = entry.key.slice(prefix.length);
      const at = separator ? after.indexOf(separator) : -1;
      out.add(at >= 0 ? entry.key.slice(0, prefix.length + at + separator.length) : entry.key);
    }
    return [...out];
  }

  /** X-Consul-Index of a single-key read: the entry's ModifyIndex, else the table's index. */
  indexForKey(key: string): number {
    return this.entries.get(key)?.modifyIndex ?? this.store.indexOf(Topics.kvs);
  }

  /** X-Consul-Index of a prefix read: the last write under the prefix (deletes included). */
  indexForPrefix(prefix: string): number {
    return this.store.topicIndex(Topics.keyPrefix(prefix)) || this.store.indexOf(Topics.kvs);
  }

  lockDelayActive(key: string): boolean {
    const until = this.lockDelayUntil.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.lockDelayUntil.delete(key);
    return false;
  }

  snapshot(): Map<string, KvEntry> {
    return new Map(this.entries);
  }

  restore(snapshot: Map<string, KvEntry>): void {
    this.entries = snapshot;
  }

  private touch(w: WriteContext, key: string): void {
    w.touch(Topics.kvs, Topics.key(key));
    for (let i = 0; i <= key.length; i++) w.touch(Topics.keyPrefix(key.slice(0, i)));
  }

  private put(w: WriteContext, next: Omit<KvEntry, 'createIndex' | 'modifyIndex'>): KvEntry {
    const existing = this.entries.get(next.key);
    const index = w.index();
    const entry: KvEntry = { ...next, createIndex: existing?.createIndex ?? index, modifyIndex: index };
    this.entries.set(entry.key, entry);
    this.touch(w, entry.key);
    return entry;
  }

  /** A plain set keeps the key's lock holder, as Consul does. */
  set(w: WriteContext, write: KvWrite): KvEntry {
    const existing = this.entries.get(write.key);
    return this.put(w, {
      ...write,
      session: existing?.session ?? '',
      lockIndex: existing?.lockIndex ?? 0,
    });
  }

  /** cas=0 sets only if absent; otherwise only if ModifyIndex matches. */
  cas(w: WriteContext, write: KvWrite, casIndex: number): KvEntry | undefined {
    const existing = this.entries.get(write.key);
    if (casIndex === 0 && existing) return undefined;
    if (casIndex !== 0 && (!existing || existing.modifyIndex !== casIndex)) return undefined;
    return this.set(w, write);
  }

  /** Takes (or re-takes) the lock for the session; undefined when another session holds it. */
  lock(w: WriteContext, write: KvWrite, session: string): KvEntry | undefined {
    if (!session) throw internal('missing session');
    if (!this.sessionExists(session)) throw internal(`invalid session "${session}"`);
    const existing = this.entries.get(write.key);
    if (existing && existing.session && existing.session !== session) return undefined;
    const lockIndex = existing?.session === session ? existing.lockIndex : (existing?.lockIndex ?? 0) + 1;
    return this.put(w, { ...write, session, lockIndex });
  }

  /** Releases the lock if this session holds it; undefined otherwise. */
  unlock(w: WriteContext, write: KvWrite, session: string): KvEntry | undefined {
    if (!session) throw internal('missing session');
    const existing = this.entries.get(write.key);
    if (!existing || existing.session !== session) return undefined;
    return this.put(w, { ...write, session: '', lockIndex: existing.lockIndex });
  }

  delete(w: WriteContext, key: string): void {
    if (!this.entries.delete(key)) return;
    this.touch(w, key);
  }

  deleteCas(w: WriteContext, key: string, casIndex: number): boolean {
    const existing = this.entries.get(key);
    if (!existing) return casIndex === 0;
    if (existing.modifyIndex !== casIndex) return false;
    this.delete(w, key);
    return true;
  }

  deleteTree(w: WriteContext, prefix: string): void {
    for (const entry of this.list(prefix)) this.delete(w, entry.key);
  }

  /** What invalidating a session does to the keys it holds, then lock-delay on each. */
  sessionEnded(w: WriteContext, session: string, behavior: SessionBehavior, lockDelayMs: number): void {
    const until = Date.now() + lockDelayMs;
    for (const entry of [...this.entries.values()]) {
      if (entry.session !== session) continue;
      if (behavior === 'delete') this.delete(w, entry.key);
      else this.put(w, { key: entry.key, value: entry.value, flags: entry.flags, session: '', lockIndex: entry.lockIndex });
      if (lockDelayMs > 0) this.lockDelayUntil.set(entry.key, until);
    }
  }
}

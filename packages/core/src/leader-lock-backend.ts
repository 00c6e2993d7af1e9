// The Consul calls a leader lock makes (session create/renew/destroy, KV acquire/release, a blocking key read),
// over core's ConsulHttpClient, or over the deprecated `consul` package client until every daemon has moved.

import { callWithResponse, type ConsulClient } from './consul-client';
import { ConsulHttpClient } from './consul/client';
import { kvKeyRead } from './consul/reads';

export interface LockSessionDefinition {
  name: string;
  ttl: string;
  lockDelay: string;
}

export interface LockKeyState {
  /** The session holding the key; undefined when the key is free or missing. */
  session?: string;
  index: number;
}

export interface LockBackend {
  createSession(definition: LockSessionDefinition): Promise<string>;
  /** False when Consul no longer has the session. */
  renew(session: string): Promise<boolean>;
  destroy(session: string): Promise<void>;
  acquire(key: string, value: string, session: string): Promise<boolean>;
  release(key: string, session: string): Promise<void>;
  /** A read of the key; with `index`, a blocking one. */
  read(key: string, options: { index?: number; wait?: string; timeoutMs?: number; signal?: AbortSignal }): Promise<LockKeyState>;
}

export function httpLockBackend(client: ConsulHttpClient): LockBackend {
  return {
    createSession: ({ name, ttl, lockDelay }) => client.session.create({ Name: name, TTL: ttl, LockDelay: lockDelay, Behavior: 'release' }),
    renew: async (session) => (await client.session.renew(session)) !== undefined,
    destroy: async (session) => {
      await client.session.destroy(session);
    },
    acquire: (key, value, session) => client.kv.put(key, value, { acquire: session }),
    release: async (key, session) => {
      await client.kv.put(key, '', { release: session });
    },
    read: async (key, { index, wait, timeoutMs, signal }) => {
      const answer = await client.blocking(kvKeyRead(key), { index, wait, timeoutMs, signal });
      return { session: answer.value[0]?.Session, index: answer.index };
    },
  };
}

interface LegacyKvEntry {
  Session?: string;
}

function isLegacyEntry(value: unknown): value is LegacyKvEntry | undefined {
  return value === undefined || (typeof value === 'object' && value !== null);
}

/** @deprecated The `consul` package path: kept while daemons still pass a ConsulClient. */
export function legacyLockBackend(consul: ConsulClient): LockBackend {
  return {
    createSession: async ({ name, ttl, lockDelay }) => {
      const created: unknown = await consul.session.create({ name, ttl, lockdelay: lockDelay, behavior: 'release' });
      const id = typeof created === 'object' && created !== null && 'ID' in created ? created.ID : undefined;
      if (typeof id !== 'string') throw new Error(`session create answered ${JSON.stringify(created)}`);
      return id;
    },
    renew: async (session) => {
      const renewed: unknown = await consul.session.renew(session);
      return Array.isArray(renewed) && renewed.length > 0;
    },
    destroy: async (session) => {
      await consul.session.destroy(session);
    },
    acquire: async (key, value, session) => Boolean(await consul.kv.set({ key, value, acquire: session })),
    release: async (key, session) => {
      await consul.kv.set({ key, value: '', release: session });
    },
    read: async (key, { index, wait, timeoutMs, signal }) => {
      const opts: Record<string, unknown> = { key };
      if (timeoutMs !== undefined) opts.timeout = timeoutMs;
      if (index !== undefined) Object.assign(opts, { index, wait });
      const { data, index: next } = await callWithResponse<unknown>(consul.kv.get.bind(consul.kv), opts, signal);
      return { session: isLegacyEntry(data) ? data?.Session : undefined, index: next };
    },
  };
}

export function lockBackendFor(consul: ConsulClient | ConsulHttpClient): LockBackend {
  return consul instanceof ConsulHttpClient ? httpLockBackend(consul) : legacyLockBackend(consul);
}

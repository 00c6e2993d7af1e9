// /v1/kv/*: reads (single, ?recurse, ?keys, ?raw) with blocking, writes with ?cas/?flags/?acquire/
// ?release, deletes with ?recurse/?cas.

import { Agent } from './agent';
import { badRequest, internal, tooLarge } from './errors';
import { blockingRead, queryMeta, RequestContext, Route } from './router';
import { Topics } from './state-store';
import { kvView } from './views';

/** Consul's strconv.ParseUint failure, answered as the 500 Consul gives it. */
function parseUint(text: string): number {
  if (!/^\d+$/.test(text)) throw internal(`strconv.ParseUint: parsing "${text}": invalid syntax`);
  return Number(text);
}

/** Only one of the listed flags may be given (Consul's conflictingFlags). */
function rejectConflicts(ctx: RequestContext, flags: string[]): void {
  if (flags.filter((f) => ctx.query.has(f)).length > 1) {
    const encoded = [...ctx.query.keys()].sort().map((k) => ctx.query.getAll(k).map((v) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')).join('&');
    throw badRequest(`Conflicting flags: ${encoded}\n`);
  }
}

export function kvRoutes(agent: Agent): Route[] {
  const { kv, store, options } = agent;

  const read = async (ctx: RequestContext) => {
    const key = ctx.rest;
    const { query } = ctx;
    if (query.has('keys')) {
      const separator = query.get('separator') ?? query.get('seperator') ?? '';
      const index = await blockingRead(agent, ctx, [Topics.keyPrefix(key)], () => kv.indexForPrefix(key));
      const keys = kv.keys(key, separator);
      if (keys.length === 0 && key !== '') return { status: 404, headers: queryMeta(index) };
      return { json: keys, headers: queryMeta(index) };
    }
    if (query.has('recurse')) {
      const index = await blockingRead(agent, ctx, [Topics.keyPrefix(key)], () => kv.indexForPrefix(key));
      const entries = kv.list(key);
      if (entries.length === 0) return { status: 404, headers: queryMeta(index) };
      return { json: entries.map((e) => kvView(e)), headers: queryMeta(index) };
    }
    if (key === '') throw badRequest('Missing key name');
    const index = await blockingRead(agent, ctx, [Topics.key(key)], () => kv.indexForKey(key));
    const entry = kv.get(key);
    if (!entry) return { status: 404, headers: queryMeta(index) };
    if (query.has('raw')) {
      return {
        raw: entry.value ?? Buffer.alloc(0),
        headers: {
          ...queryMeta(index),
          'Content-Type': 'text/plain',
          'X-Content-Type-Options': 'nosniff',
          'Content-Security-Policy': 'sandbox',
        },
      };
    }
    return { json: [kvView(entry)], headers: queryMeta(index) };
  };

  const put = (ctx: RequestContext) => {
    const key = ctx.rest;
    if (key === '') throw badRequest('Missing key name');
    rejectConflicts(ctx, ['cas', 'acquire', 'release']);
    const { query } = ctx;
    const flags = query.has('flags') ? parseUint(query.get('flags') ?? '') : 0;
    const cas = query.has('cas') ? parseUint(query.get('cas') ?? '') : undefined;
    if (ctx.contentLength > options.kvMaxValueSize || ctx.body.length > options.kvMaxValueSize) {
      const size = Math.max(ctx.contentLength, ctx.body.length);
      throw tooLarge(
        `Request body(${size} bytes) too large, max size: ${options.kvMaxValueSize} bytes. ` +
          'See https://developer.hashicorp.com/docs/agent/config/config-files#kv_max_value_size.',
      );
    }
    const write = { key, value: ctx.body.length > 0 ? Buffer.from(ctx.body) : null, flags };
    if (query.has('acquire')) {
      const session = query.get('acquire') ?? '';
      if (kv.lockDelayActive(key)) {
        if (!agent.sessions.exists(session)) throw internal(`invalid session "${session}"`);
        options.log({ level: 'warn', msg: 'rejecting lock of key due to lock-delay', key });
        return { json: false };
      }
      return { json: store.write((w) => kv.lock(w, write, session)) !== undefined };
    }
    if (query.has('release')) {
      const session = query.get('release') ?? '';
      return { json: store.write((w) => kv.unlock(w, write, session)) !== undefined };
    }
    if (cas !== undefined) return { json: store.write((w) => kv.cas(w, write, cas)) !== undefined };
    store.write((w) => kv.set(w, write));
    return { json: true };
  };

  const remove = (ctx: RequestContext) => {
    const key = ctx.rest;
    rejectConflicts(ctx, ['recurse', 'cas']);
    const { query } = ctx;
    if (query.has('recurse')) {
      store.write((w) => kv.deleteTree(w, key));
      return { json: true };
    }
    if (key === '') throw badRequest('Missing key name');
    if (query.has('cas')) {
      const cas = parseUint(query.get('cas') ?? '');
      return { json: store.write((w) => kv.deleteCas(w, key, cas)) };
    }
    store.write((w) => kv.delete(w, key));
    return { json: true };
  };

  return [
    {
      pattern: '/v1/kv/',
      methods: ['GET', 'PUT', 'DELETE'],
      acl: (ctx) => ({ resource: 'key', level: ctx.method === 'GET' ? 'read' : 'write', name: ctx.rest }),
      handle: (ctx) => {
        if (ctx.method === 'GET') return read(ctx);
        if (ctx.method === 'PUT') return put(ctx);
        return remove(ctx);
      },
    },
  ];
}


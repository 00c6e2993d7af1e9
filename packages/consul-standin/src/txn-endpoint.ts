// PUT /v1/txn: KV operations applied all or nothing; 200 with Results, or 409 with every error.

import { Agent } from './agent';
import { DecodeError, Fields, parseJsonBody } from './decode';
import { badRequest, HttpError, tooLarge } from './errors';
import { KvEntry } from './kv-store';
import { Reply, Route } from './router';
import { WriteContext } from './state-store';
import { kvView } from './views';

const MAX_TXN_OPS = 64;

interface KvOp {
  verb: string;
  key: string;
  value: Buffer | null;
  flags: number;
  index: number;
  session: string;
}

type OpResult = { results: Record<string, unknown>[] } | { error: string };

function decodeOps(body: Buffer, maxValueSize: number): KvOp[] {
  if (body.length > maxValueSize) throw tooLarge(`Request body too large, max size: ${maxValueSize} bytes`);
  let raw: unknown;
  try {
    raw = parseJsonBody(body);
    if (!Array.isArray(raw)) throw new DecodeError(`json: cannot unmarshal ${typeof raw} into Go value of type api.TxnOps`);
  } catch (err) {
    if (err instanceof DecodeError) throw badRequest(`Failed to parse body: ${err.message}`);
    throw err;
  }
  if (raw.length > MAX_TXN_OPS) throw tooLarge(`Transaction contains too many operations (${raw.length} > ${MAX_TXN_OPS})`);
  return raw.map((item): KvOp => {
    try {
      const op = new Fields('TxnOp', item);
      const kv = op.object('KV', 'TxnKVOp');
      if (!kv) {
        const other = ['Node', 'Service', 'Check', 'Session'].find((name) => op.has(name));
        return { verb: other ? `unsupported:${other}` : 'none', key: '', value: null, flags: 0, index: 0, session: '' };
      }
      const encoded = kv.string('Value');
      let value: Buffer | null = null;
      if (encoded !== undefined) {
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
          throw new DecodeError('failed to decode value: illegal base64 data at input byte 0');
        }
        value = Buffer.from(encoded, 'base64');
      }
      const key = kv.string('Key') ?? '';
      if (value && value.length > maxValueSize) {
        throw tooLarge(`Value for key "${key}" is too large (${value.length} > ${maxValueSize} bytes)`);
      }
      return {
        verb: kv.string('Verb') ?? '',
        key,
        value: value && value.length > 0 ? value : null,
        flags: kv.int('Flags') ?? 0,
        index: kv.int('Index') ?? 0,
        session: kv.string('Session') ?? '',
      };
    } catch (err) {
      if (err instanceof DecodeError) throw badRequest(`Failed to parse body: ${err.message}`);
      throw err;
    }
  });
}

export function txnRoutes(agent: Agent): Route[] {
  const { kv, store } = agent;

  const applyOp = (w: WriteContext, op: KvOp): OpResult => {
    const write = { key: op.key, value: op.value, flags: op.flags };
    const meta = (entry: KvEntry | undefined) => ({ results: entry ? [{ KV: kvView(entry, false) }] : [] });
    switch (op.verb) {
      case 'set':
        return meta(kv.set(w, write));
      case 'cas': {
        const entry = kv.cas(w, write, op.index);
        return entry ? meta(entry) : { error: `failed to set key "${op.key}", index is stale` };
      }
      case 'lock': {
        const entry = kv.lock(w, write, op.session);
        return entry ? meta(entry) : { error: `failed to lock key "${op.key}", lock is already held` };
      }
      case 'unlock': {
        const entry = kv.unlock(w, write, op.session);
        return entry ? meta(entry) : { error: `failed to unlock key "${op.key}", lock isn't held, or is held by another session` };
      }
      case 'get': {
        const entry = kv.get(op.key);
        return entry ? { results: [{ KV: kvView(entry) }] } : { error: `key "${op.key}" doesn't exist` };
      }
      case 'get-tree':
        return { results: kv.list(op.key).map((entry) => ({ KV: kvView(entry) })) };
      case 'check-index': {
        const entry = kv.get(op.key);
        if (!entry) return { error: `failed to check index, key "${op.key}" doesn't exist` };
        if (entry.modifyIndex !== op.index) {
          return { error: `failed index check for key "${op.key}", current modify index ${entry.modifyIndex} != ${op.index}` };
        }
        return meta(entry);
      }
      case 'check-session': {
        const entry = kv.get(op.key);
        if (!entry) return { error: `failed to check session, key "${op.key}" doesn't exist` };
        if (entry.session !== op.session) {
          return { error: `failed session check for key "${op.key}", current session "${entry.session}" != "${op.session}"` };
        }
        return meta(entry);
      }
      case 'check-not-exists':
        return kv.get(op.key) ? { error: `key "${op.key}" exists` } : { results: [] };
      case 'delete':
        kv.delete(w, op.key);
        return { results: [] };
      case 'delete-tree':
        kv.deleteTree(w, op.key);
        return { results: [] };
      case 'delete-cas':
        return kv.deleteCas(w, op.key, op.index) ? { results: [] } : { error: `failed to delete key "${op.key}", index is stale` };
      case 'none':
        return { error: 'no operation specified' };
      default:
        if (op.verb.startsWith('unsupported:')) return { error: `consul-standin supports KV operations only, not ${op.verb.slice(12)}` };
        return { error: `unknown KV verb "${op.verb}"` };
    }
  };

  return [
    {
      pattern: '/v1/txn',
      methods: ['PUT'],
      acl: () => ({ resource: 'key', level: 'write' }),
      handle: (ctx) => {
        const ops = decodeOps(ctx.body, agent.options.kvMaxValueSize);
        const snapshot = kv.snapshot();
        return store.tryWrite<Reply>((w) => {
          const results: Record<string, unknown>[] = [];
          const errors: { OpIndex: number; What: string }[] = [];
          ops.forEach((op, i) => {
            let outcome: OpResult;
            try {
              outcome = applyOp(w, op);
            } catch (err) {
              outcome = { error: err instanceof HttpError || err instanceof Error ? err.message : String(err) };
            }
            if ('error' in outcome) errors.push({ OpIndex: i, What: outcome.error });
            else results.push(...outcome.results);
          });
          if (errors.length > 0) {
            kv.restore(snapshot);
            return { commit: false, result: { status: 409, json: { Results: null, Errors: errors } } };
          }
          return { commit: true, result: { json: { Results: results, Errors: null } } };
        });
      },
    },
  ];
}

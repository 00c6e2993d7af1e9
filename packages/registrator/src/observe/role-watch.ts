// Observes the runtime roles: a blocking query over the KV prefix -> service id -> role.

import type { Logger } from 'pino';
import { BlockingWatcher, type BlockingQuery } from '@consul-sidecars/core';
import { ConsulHttp, consulIndex } from '../act/consul-http';
import { encodeKeyPath, normaliseRolePrefix } from '../role-keys';

interface KvEntry {
  Key: string;
  Value: string | null;
}

/** KV entries under the prefix -> service id -> role (trimmed; empty values are no role). */
export function rolesFromKv(entries: readonly KvEntry[], prefix: string): Map<string, string> {
  const folder = normaliseRolePrefix(prefix);
  const roles = new Map<string, string>();
  for (const e of entries) {
    if (!e.Key.startsWith(folder) || e.Value === null) continue;
    const serviceId = e.Key.slice(folder.length);
    const role = Buffer.from(e.Value, 'base64').toString('utf8').trim();
    if (serviceId && role) roles.set(serviceId, role);
  }
  return roles;
}

/** A BlockingQuery over `GET /v1/kv/<prefix>?recurse` (404 = no keys yet, still an answer with an index). */
export function roleQuery(http: ConsulHttp, prefix: string): BlockingQuery<Map<string, string>> {
  const folder = normaliseRolePrefix(prefix);
  return async ({ index, wait, timeoutMs, signal }) => {
    const { data, reply } = await http.json<KvEntry[] | null>('GET', `/kv/${encodeKeyPath(folder)}`, {
      query: { recurse: true, index, wait },
      signal,
      timeoutMs,
      accept: [404],
    });
    return { data: reply.status === 404 ? new Map() : rolesFromKv(data ?? [], folder), index: consulIndex(reply) };
  };
}

export function watchRoles(http: ConsulHttp, prefix: string, logger: Logger): BlockingWatcher<Map<string, string>> {
  return new BlockingWatcher(roleQuery(http, prefix), {
    name: `roles:${normaliseRolePrefix(prefix)}`,
    logger,
    waitSeconds: 60,
    minGapMs: 50,
    gapJitterMs: 10,
    backoff: { baseMs: 250, maxMs: 5000 },
    isEqual: (a, b) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v),
  });
}

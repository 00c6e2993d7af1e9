// Observes the runtime roles: a typed blocking query over the KV prefix -> service id -> role.

import type { Logger } from 'pino';
import { BlockingWatcher, kvPrefixRead, mapRead, parseKvEntries, type BlockingQuery, type ConsulHttpClient, type KvEntry } from '@consul-sidecars/core';
import { normaliseRolePrefix } from '../role-keys';

/** Decoded KV entries under the prefix -> service id -> role (trimmed; empty values are no role). */
export function rolesFromEntries(entries: readonly KvEntry[], prefix: string): Map<string, string> {
  const folder = normaliseRolePrefix(prefix);
  const roles = new Map<string, string>();
  for (const e of entries) {
    if (!e.Key.startsWith(folder) || e.Value === null) continue;
    const serviceId = e.Key.slice(folder.length);
    const role = e.Value.trim();
    if (serviceId && role) roles.set(serviceId, role);
  }
  return roles;
}

/** Consul's raw /v1/kv answer (base64 values) -> roles, through core's KV parser. */
export function rolesFromKv(body: unknown, prefix: string): Map<string, string> {
  return rolesFromEntries(parseKvEntries(body), prefix);
}

/** A BlockingQuery over `GET /v1/kv/<prefix>?recurse` (404 = no keys yet, still an answer with an index). */
export function roleQuery(client: ConsulHttpClient, prefix: string): BlockingQuery<Map<string, string>> {
  const folder = normaliseRolePrefix(prefix);
  return client.blockingQuery(mapRead(kvPrefixRead(folder), (entries) => rolesFromEntries(entries, folder)));
}

export function watchRoles(client: ConsulHttpClient, prefix: string, logger: Logger): BlockingWatcher<Map<string, string>> {
  return new BlockingWatcher(roleQuery(client, prefix), {
    name: `roles:${normaliseRolePrefix(prefix)}`,
    logger,
    waitSeconds: 60,
    minGapMs: 50,
    gapJitterMs: 10,
    backoff: { baseMs: 250, maxMs: 5000 },
    isEqual: (a, b) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v),
  });
}

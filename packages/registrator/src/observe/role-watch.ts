// Observes the runtime roles: a typed blocking query over the KV prefix -> service id -> role entry (binding + index).

import type { Logger } from 'pino';
import { BlockingWatcher, kvPrefixRead, mapRead, parseKvEntries, type BlockingQuery, type ConsulHttpClient, type KvEntry } from '@consul-sidecars/core';
import { decodeRoleValue, normaliseRolePrefix, type RoleEntry } from '../role-keys';

/** Decoded KV entries under the prefix -> service id -> role entry (empty values are no role; unreadable ones are reported once to `onInvalid`). */
export function rolesFromEntries(entries: readonly KvEntry[], prefix: string, onInvalid?: (key: string, reason: string) => void): Map<string, RoleEntry> {
  const folder = normaliseRolePrefix(prefix);
  const roles = new Map<string, RoleEntry>();
  for (const e of entries) {
    if (!e.Key.startsWith(folder) || e.Value === null) continue;
    const serviceId = e.Key.slice(folder.length);
    const binding = decodeRoleValue(e.Value);
    if (!serviceId || binding === undefined) continue;
    if ('invalid' in binding) {
      onInvalid?.(e.Key, binding.invalid);
      continue;
    }
    roles.set(serviceId, { ...binding, modifyIndex: e.ModifyIndex });
  }
  return roles;
}

/** Consul's raw /v1/kv answer (base64 values) -> roles, through core's KV parser. */
export function rolesFromKv(body: unknown, prefix: string): Map<string, RoleEntry> {
  return rolesFromEntries(parseKvEntries(body), prefix);
}

/** A BlockingQuery over `GET /v1/kv/<prefix>?recurse` (404 = no keys yet, still an answer with an index). */
export function roleQuery(client: ConsulHttpClient, prefix: string, logger?: Logger): BlockingQuery<Map<string, RoleEntry>> {
  const folder = normaliseRolePrefix(prefix);
  const onInvalid = logger ? (key: string, reason: string) => logger.warn({ key }, `role key ignored: ${reason}`) : undefined;
  return client.blockingQuery(mapRead(kvPrefixRead(folder), (entries) => rolesFromEntries(entries, folder, onInvalid)));
}

export function sameRoles(a: ReadonlyMap<string, RoleEntry>, b: ReadonlyMap<string, RoleEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || w.modifyIndex !== v.modifyIndex || w.role !== v.role || w.container !== v.container) return false;
  }
  return true;
}

export function watchRoles(client: ConsulHttpClient, prefix: string, logger: Logger): BlockingWatcher<Map<string, RoleEntry>> {
  return new BlockingWatcher(roleQuery(client, prefix, logger), {
    name: `roles:${normaliseRolePrefix(prefix)}`,
    logger,
    waitSeconds: 60,
    minGapMs: 50,
    gapJitterMs: 10,
    backoff: { baseMs: 250, maxMs: 5000 },
    isEqual: sameRoles,
  });
}

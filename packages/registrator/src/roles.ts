// Runtime role tags: the current role of each service instance lives in Consul KV under a prefix registrator watches.
//
//   <prefix><service id> = <role>        e.g. registrator/roles/node1:redis-a:6379 = master
//
// `promote` sets one instance to master and every other instance of the same service to slave in one /v1/txn.

import type { Logger } from 'pino';
import { BlockingWatcher, CodedError, type BlockingQuery } from '@consul-sidecars/core';
import { ConsulHttp, consulIndex } from './consul-http';
import { isValidRole } from './service-definitions';

export const DEFAULT_ROLE_PREFIX = 'registrator/roles/';

/** "registrator/roles" and "registrator/roles/" both mean the folder. */
export function normaliseRolePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

export function roleKey(prefix: string, serviceId: string): string {
  return `${normaliseRolePrefix(prefix)}${serviceId}`;
}

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

function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
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

export interface RoleAssignment {
  serviceId: string;
  role: string;
}

interface CatalogInstance {
  ServiceID: string;
  ServiceName: string;
}

/** The service name of an instance: the local agent first, then a scan of the catalog. */
export async function serviceNameOf(http: ConsulHttp, serviceId: string): Promise<string> {
  const local = await http.request('GET', `/agent/service/${encodeURIComponent(serviceId)}`);
  if (local.status === 200) {
    const name = (JSON.parse(local.text) as { Service?: string }).Service;
    if (name) return name;
  }
  const { data: names } = await http.json<Record<string, string[]>>('GET', '/catalog/services');
  for (const name of Object.keys(names ?? {})) {
    const { data } = await http.json<CatalogInstance[]>('GET', `/catalog/service/${encodeURIComponent(name)}`);
    if ((data ?? []).some((i) => i.ServiceID === serviceId)) return name;
  }
  throw new CodedError('ERR_UNKNOWN_SERVICE', `no service instance with ID "${serviceId}" in the catalog`, { serviceId });
}

/** Every instance ID of a service, from the catalog. */
export async function instancesOf(http: ConsulHttp, serviceName: string): Promise<string[]> {
  const { data } = await http.json<CatalogInstance[]>('GET', `/catalog/service/${encodeURIComponent(serviceName)}`);
  return [...new Set((data ?? []).map((i) => i.ServiceID))].sort();
}

/** Pure: the assignments of a promotion. */
export function planPromotion(serviceId: string, instances: readonly string[], masterRole = 'master', otherRole = 'slave'): RoleAssignment[] {
  const others = instances.filter((id) => id !== serviceId);
  return [{ serviceId, role: masterRole }, ...others.map((id) => ({ serviceId: id, role: otherRole }))];
}

/** Writes assignments in one /v1/txn (Consul allows 64 operations per transaction). */
export async function writeRoles(http: ConsulHttp, prefix: string, assignments: readonly RoleAssignment[]): Promise<void> {
  for (const a of assignments) {
    if (!isValidRole(a.role)) throw new CodedError('ERR_INVALID_ROLE', `role "${a.role}" is not a valid tag (letters, digits, _ . -)`, { role: a.role });
  }
  if (assignments.length > 64) throw new CodedError('ERR_TOO_MANY_INSTANCES', `${assignments.length} instances exceed Consul's 64 operations per transaction`);
  const ops = assignments.map((a) => ({ KV: { Verb: 'set', Key: roleKey(prefix, a.serviceId), Value: Buffer.from(a.role).toString('base64') } }));
  const reply = await http.request('PUT', '/txn', { body: ops });
  if (reply.status !== 200) throw new CodedError('ERR_TXN_FAILED', `role transaction failed: HTTP ${reply.status}: ${reply.text.trim().slice(0, 300)}`, { status: reply.status });
}

/** Deletes the role key of an instance whose container is gone (no write when there is no key). */
export async function deleteRole(http: ConsulHttp, prefix: string, serviceId: string): Promise<void> {
  await http.call('DELETE', `/kv/${encodeKeyPath(roleKey(prefix, serviceId))}`);
}

// Writes runtime roles (`registrator role promote|set`, and the key of an instance whose container is gone) and finds a service's instances.
//
// `promote` sets one instance to master and every other instance of the same service to slave in one /v1/txn.

import { registratorError } from '../errors';
import { isValidRole } from '../plan/service-definitions';
import type { RoleAssignment } from '../plan/promotion';
import { encodeKeyPath, roleKey } from '../role-keys';
import { ConsulHttp } from './consul-http';

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
  throw registratorError('ERR_UNKNOWN_SERVICE', `no service instance with ID "${serviceId}" in the catalog`, { serviceId });
}

/** Every instance ID of a service, from the catalog. */
export async function instancesOf(http: ConsulHttp, serviceName: string): Promise<string[]> {
  const { data } = await http.json<CatalogInstance[]>('GET', `/catalog/service/${encodeURIComponent(serviceName)}`);
  return [...new Set((data ?? []).map((i) => i.ServiceID))].sort();
}

/** Writes assignments in one /v1/txn (Consul allows 64 operations per transaction). */
export async function writeRoles(http: ConsulHttp, prefix: string, assignments: readonly RoleAssignment[]): Promise<void> {
  for (const a of assignments) {
    if (!isValidRole(a.role)) throw registratorError('ERR_INVALID_ROLE', `role "${a.role}" is not a valid tag (letters, digits, _ . -)`, { role: a.role });
  }
  if (assignments.length > 64) throw registratorError('ERR_TOO_MANY_INSTANCES', `${assignments.length} instances exceed Consul's 64 operations per transaction`);
  const ops = assignments.map((a) => ({ KV: { Verb: 'set', Key: roleKey(prefix, a.serviceId), Value: Buffer.from(a.role).toString('base64') } }));
  const reply = await http.request('PUT', '/txn', { body: ops });
  if (reply.status !== 200) throw registratorError('ERR_TXN_FAILED', `role transaction failed: HTTP ${reply.status}: ${reply.text.trim().slice(0, 300)}`, { status: reply.status });
}

/** Deletes the role key of an instance whose container is gone (no write when there is no key). */
export async function deleteRole(http: ConsulHttp, prefix: string, serviceId: string): Promise<void> {
  await http.call('DELETE', `/kv/${encodeKeyPath(roleKey(prefix, serviceId))}`);
}

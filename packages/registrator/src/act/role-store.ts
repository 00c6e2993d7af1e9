// Writes runtime roles (`registrator role promote|set`, and the key of an instance whose container is gone) and finds a service's instances.
//
// `promote` sets one instance to master and every other instance of the same service to slave in one /v1/txn.

import { ERR_CONSUL_HTTP, errorCodeOf, errorMessage, MAX_TXN_OPS, type ConsulHttpClient } from '@consul-sidecars/core';
import { registratorError } from '../errors';
import { isValidRole } from '../plan/service-definitions';
import type { RoleAssignment } from '../plan/promotion';
import { roleKey } from '../role-keys';

/** An HTTP refusal is an answer to fall back from; anything else (no answer, a bad payload) is not. */
function unlessRefused<T>(err: unknown, fallback: T): T {
  if (errorCodeOf(err) === ERR_CONSUL_HTTP) return fallback;
  throw err;
}

/** The service name of an instance: the local agent first, then a scan of the catalog. */
export async function serviceNameOf(client: ConsulHttpClient, serviceId: string): Promise<string> {
  const local = await client.agent.service(serviceId).catch((err: unknown) => unlessRefused(err, undefined));
  if (local?.Service) return local.Service;
  for (const { Name } of await client.catalogServices()) {
    const instances = await client.catalogService(Name);
    if (instances.some((i) => i.ServiceID === serviceId)) return Name;
  }
  throw registratorError('ERR_UNKNOWN_SERVICE', `no service instance with ID "${serviceId}" in the catalog`, { serviceId });
}

/** Every instance ID of a service, from the catalog. */
export async function instancesOf(client: ConsulHttpClient, serviceName: string): Promise<string[]> {
  const instances = await client.catalogService(serviceName);
  return [...new Set(instances.map((i) => i.ServiceID))].sort();
}

/** Writes assignments in one /v1/txn (Consul allows 64 operations per transaction). */
export async function writeRoles(client: ConsulHttpClient, prefix: string, assignments: readonly RoleAssignment[]): Promise<void> {
  for (const a of assignments) {
    if (!isValidRole(a.role)) throw registratorError('ERR_INVALID_ROLE', `role "${a.role}" is not a valid tag (letters, digits, _ . -)`, { role: a.role });
  }
  if (assignments.length > MAX_TXN_OPS) throw registratorError('ERR_TOO_MANY_INSTANCES', `${assignments.length} instances exceed Consul's ${MAX_TXN_OPS} operations per transaction`);
  const ops = assignments.map((a) => ({ verb: 'set' as const, key: roleKey(prefix, a.serviceId), value: a.role }));
  // Plain sets: resending the transaction after a reset socket writes the same values.
  const result = await client.kv.txn(ops, { idempotent: true }).catch((err: unknown) => {
    throw errorCodeOf(err) === ERR_CONSUL_HTTP ? registratorError('ERR_TXN_FAILED', `role transaction failed: ${errorMessage(err)}`, {}, { cause: err }) : err;
  });
  if (!result.ok) {
    throw registratorError('ERR_TXN_FAILED', `role transaction failed: HTTP 409: ${result.errors.map((e) => e.What).join('; ')}`, { status: 409, errors: result.errors });
  }
}

/** Deletes the role key of an instance whose container is gone (no write when there is no key). */
export async function deleteRole(client: ConsulHttpClient, prefix: string, serviceId: string): Promise<void> {
  await client.kv.delete(roleKey(prefix, serviceId));
}

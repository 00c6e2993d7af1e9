// Writes runtime roles (`registrator role promote|set`, binding each to its container; the daemon's bind/delete of role keys) and finds a service's instances.
//
// `promote` sets one instance to master and every other instance of the same service to slave in one /v1/txn.

import { crashPoint, ERR_CONSUL_HTTP, errorCodeOf, errorMessage, MAX_TXN_OPS, type ConsulHttpClient } from '@consul-sidecars/core';
import { CRASH_POINTS } from '../crash-points';
import { registratorError } from '../errors';
import { META_CONTAINER, META_NODE } from '../plan/registration';
import { isValidRole } from '../plan/service-definitions';
import type { RoleAssignment } from '../plan/promotion';
import { rolesFromEntries } from '../observe/role-watch';
import type { RoleKeyAction } from '../plan/role-keys';
import { encodeRoleValue, normaliseRolePrefix, roleKey, type RoleBinding, type RoleEntry } from '../role-keys';

/** An HTTP refusal is an answer to fall back from; anything else (no answer, a bad payload) is not. */
function unlessRefused<T>(err: unknown, fallback: T): T {
  if (errorCodeOf(err) === ERR_CONSUL_HTTP) return fallback;
  throw err;
}

/** A service instance and the container that owns it (from registrator's Meta marker; none for a service it did not make). */
export interface ServiceInstanceOwner {
  serviceId: string;
  name: string;
  container?: string;
  node?: string;
}

function ownerOf(serviceId: string, name: string, meta: Record<string, string> | undefined): ServiceInstanceOwner {
  return { serviceId, name, container: meta?.[META_CONTAINER], node: meta?.[META_NODE] };
}

/** One instance and its owner: the local agent first, then a scan of the catalog. */
export async function instanceOf(client: ConsulHttpClient, serviceId: string): Promise<ServiceInstanceOwner> {
  const local = await client.agent.service(serviceId).catch((err: unknown) => unlessRefused(err, undefined));
  if (local?.Service) return ownerOf(serviceId, local.Service, local.Meta);
  for (const { Name } of await client.catalogServices()) {
    const found = (await client.catalogService(Name)).find((i) => i.ServiceID === serviceId);
    if (found) return ownerOf(serviceId, Name, found.ServiceMeta);
  }
  throw registratorError('ERR_UNKNOWN_SERVICE', `no service instance with ID "${serviceId}" in the catalog`, { serviceId });
}

/** Every instance of a service and its owner, from the catalog (by ID). */
export async function instancesOf(client: ConsulHttpClient, serviceName: string): Promise<ServiceInstanceOwner[]> {
  const byId = new Map<string, ServiceInstanceOwner>();
  for (const i of await client.catalogService(serviceName)) byId.set(i.ServiceID, ownerOf(i.ServiceID, serviceName, i.ServiceMeta));
  return [...byId.values()].sort((a, b) => a.serviceId.localeCompare(b.serviceId));
}

/** A role assignment bound to the container that owns the instance now (unbound when registrator did not make it). */
export function bindAssignment(a: RoleAssignment, owner: ServiceInstanceOwner | undefined): RoleBinding & { serviceId: string } {
  return owner?.container ? { serviceId: a.serviceId, role: a.role, container: owner.container, node: owner.node } : { serviceId: a.serviceId, role: a.role };
}

/** Writes bound assignments in one /v1/txn (Consul allows 64 operations per transaction): all of a promotion or none. */
export async function writeRoles(client: ConsulHttpClient, prefix: string, assignments: ReadonlyArray<RoleBinding & { serviceId: string }>): Promise<void> {
  for (const a of assignments) {
    if (!isValidRole(a.role)) throw registratorError('ERR_INVALID_ROLE', `role "${a.role}" is not a valid tag (letters, digits, _ . -)`, { role: a.role });
  }
  if (assignments.length > MAX_TXN_OPS) throw registratorError('ERR_TOO_MANY_INSTANCES', `${assignments.length} instances exceed Consul's ${MAX_TXN_OPS} operations per transaction`);
  const ops = assignments.map((a) => ({ verb: 'set' as const, key: roleKey(prefix, a.serviceId), value: encodeRoleValue(a) }));
  // Plain sets: resending the transaction after a reset socket writes the same values.
  const result = await client.kv.txn(ops, { idempotent: true }).catch((err: unknown) => {
    throw errorCodeOf(err) === ERR_CONSUL_HTTP ? registratorError('ERR_TXN_FAILED', `role transaction failed: ${errorMessage(err)}`, {}, { cause: err }) : err;
  });
  if (!result.ok) {
    throw registratorError('ERR_TXN_FAILED', `role transaction failed: HTTP 409: ${result.errors.map((e) => e.What).join('; ')}`, { status: 409, errors: result.errors });
  }
}

/** Applies one planned role-key action as a check-and-set on the index it was planned from; false when the key changed since (left as it is now). */
export async function applyRoleKeyAction(client: ConsulHttpClient, prefix: string, action: RoleKeyAction): Promise<boolean> {
  const key = roleKey(prefix, action.serviceId);
  crashPoint(CRASH_POINTS.beforeRoleWrite);
  const done = action.kind === 'delete-role' ? await client.kv.delete(key, { cas: action.index }) : await client.kv.put(key, encodeRoleValue(action.binding), { cas: action.index });
  crashPoint(CRASH_POINTS.afterRoleWrite);
  return done;
}

/** Every role key under the prefix, read now (the watcher's copy may lag a write). */
export async function readRoles(client: ConsulHttpClient, prefix: string): Promise<Map<string, RoleEntry>> {
  return rolesFromEntries(await client.kv.list(normaliseRolePrefix(prefix)), prefix);
}

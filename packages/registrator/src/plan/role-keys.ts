// Pure: which role keys to bind or delete so that a role belongs to one container instance and dies with it.

import { roleBelongsTo, type RoleBinding, type RoleEntry } from '../role-keys';
import type { ContainerDefinition } from './service-definitions';

export type RoleKeyAction =
  /** A role bound to a container of this node that no longer exists (or a plain one nobody here defines). */
  | { kind: 'delete-role'; serviceId: string; index: number; reason: 'container-gone' | 'unbound-orphan'; container?: string }
  /** A plain (unbound) role: bind it to the container that defines the service ID now. */
  | { kind: 'bind-role'; serviceId: string; index: number; binding: Required<RoleBinding> };

export interface RoleKeyInput {
  /** This registrator's -hostname. */
  node: string;
  roles: ReadonlyMap<string, RoleEntry>;
  /** Every container that exists on this engine, by id (observer.definitions). */
  containers: ReadonlyMap<string, ContainerDefinition>;
}

/**
 * Pure: role keys of this node whose container is gone are deleted; plain roles are bound to the container that
 * defines their service ID (or deleted when the ID is this node's and no container defines it). Every write is a
 * check-and-set on the index read, so a role written since (a new `role set`) is never lost.
 */
export function planRoleKeys({ node, roles, containers }: RoleKeyInput): RoleKeyAction[] {
  const definedBy = new Map<string, string>();
  for (const def of containers.values()) for (const s of def.services) definedBy.set(s.registration.id, def.containerId);
  const actions: RoleKeyAction[] = [];
  for (const [serviceId, entry] of [...roles].sort(([a], [b]) => a.localeCompare(b))) {
    if (entry.container !== undefined) {
      const ours = (entry.node ?? node) === node;
      if (ours && !containers.has(entry.container)) actions.push({ kind: 'delete-role', serviceId, index: entry.modifyIndex, reason: 'container-gone', container: entry.container });
      continue;
    }
    const owner = definedBy.get(serviceId);
    if (owner !== undefined && roleBelongsTo(entry, owner)) {
      actions.push({ kind: 'bind-role', serviceId, index: entry.modifyIndex, binding: { role: entry.role, container: owner, node } });
    } else if (serviceId.startsWith(`${node}:`) && ![...containers.values()].some((d) => serviceId.startsWith(`${node}:${d.containerName}:`))) {
      // A stopped container of that name still exists: it keeps its plain role until it defines the ID again.
      actions.push({ kind: 'delete-role', serviceId, index: entry.modifyIndex, reason: 'unbound-orphan' });
    }
  }
  return actions;
}

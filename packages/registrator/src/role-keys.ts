// Where runtime roles live in Consul KV and what a key holds: `<prefix><service id>` = the role, bound to one container.
//
// e.g. registrator/roles/node1:redis-a:6379 = {"role":"master","container":"<64 hex>","node":"node1"}. The binding is
// what keeps a role from being inherited: a recreated container gets the same service ID but another container id,
// so the key is ignored for it and deleted. A plain value (`master`, written by hand or by an older registrator) is
// unbound: it applies to the container defining the ID and is bound to it on the next pass.

export const DEFAULT_ROLE_PREFIX = 'registrator/roles/';

/** A role as stored: bound to a container of a node, or (a plain value) to whoever has the service ID. */
export interface RoleBinding {
  role: string;
  /** The full id of the container the role belongs to; undefined for a plain (unbound) value. */
  container?: string;
  /** The registrator -hostname that owns that container. */
  node?: string;
}

/** A role key as read: the binding and the key's ModifyIndex (for check-and-set writes). */
export interface RoleEntry extends RoleBinding {
  modifyIndex: number;
}

/** "registrator/roles" and "registrator/roles/" both mean the folder. */
export function normaliseRolePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

export function roleKey(prefix: string, serviceId: string): string {
  return `${normaliseRolePrefix(prefix)}${serviceId}`;
}

export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

/** The stored form: JSON when bound, the plain role when not. */
export function encodeRoleValue(b: RoleBinding): string {
  return b.container === undefined ? b.role : JSON.stringify({ role: b.role, container: b.container, node: b.node });
}

/** A key's value -> its binding; undefined for an empty value or an object that is not a binding (the reason is returned for the log). */
export function decodeRoleValue(value: string): RoleBinding | { invalid: string } | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  if (!text.startsWith('{')) return { role: text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { invalid: `value ${JSON.stringify(text)} is neither a role nor JSON` };
  }
  const o = parsed as Record<string, unknown>;
  if (typeof o.role !== 'string' || o.role.trim() === '') return { invalid: `role is ${JSON.stringify(o.role)}, expected a string` };
  if (typeof o.container !== 'string' || !/^[0-9a-f]{12,64}$/.test(o.container)) return { invalid: `container is ${JSON.stringify(o.container)}, expected a container id` };
  if (o.node !== undefined && typeof o.node !== 'string') return { invalid: `node is ${JSON.stringify(o.node)}, expected a string` };
  return { role: o.role.trim(), container: o.container, node: o.node as string | undefined };
}

/** Whether a role belongs to this container (an unbound role belongs to whoever has the service ID). */
export function roleBelongsTo(b: RoleBinding, containerId: string): boolean {
  return b.container === undefined || b.container === containerId;
}

// Where runtime roles live in Consul KV: `<prefix><service id> = <role>`, e.g. registrator/roles/node1:redis-a:6379 = master.

export const DEFAULT_ROLE_PREFIX = 'registrator/roles/';

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

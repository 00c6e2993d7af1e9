// Pools declared from Consul, validated once at the edge: a service carrying the tag `f5-pool=<name>` or the meta key
// `f5-pool` gets a pool, with its virtual server in meta `f5-virtual=<address:port>` (as F5's AS3 service discovery
// and rancher external-lb read declarations from the registry). Pure; a malformed declaration is an error naming the
// service, the key and the value, and never yields a pool (the caller keeps the last good state for that service).
//
// Not wired into the sync loop yet: the loop watches the configured pools' services only (see README "Left to do").

import type { PoolConfig } from '../config';

export interface DeclarationKeys {
  /** Tag prefix "f5-pool=" and meta key "f5-pool". */
  poolKey: string;
  /** Meta key (or tag prefix) of the virtual server destination. */
  virtualKey: string;
}

export const DEFAULT_DECLARATION_KEYS: DeclarationKeys = { poolKey: 'f5-pool', virtualKey: 'f5-virtual' };

/** What one service declares, as read from its tags and the meta of its instances. */
export interface ServiceDeclarationInput {
  service: string;
  tags: readonly string[];
  /** The meta of each instance (Consul keeps meta per instance; they must agree). */
  metas: ReadonlyArray<Readonly<Record<string, string>>>;
}

export interface DeclarationError {
  service: string;
  key: string;
  value: string;
  message: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const DESTINATION = /^(\d{1,3}(\.\d{1,3}){3}(%\d+)?:\d{1,5}|[0-9A-Fa-f:]+(%\d+)?\.\d{1,5})$/;

/** Every value of `key` the service carries, as tag `key=value` or as meta `key`. */
function valuesOf(input: ServiceDeclarationInput, key: string): Array<{ source: string; value: string }> {
  const out: Array<{ source: string; value: string }> = [];
  for (const tag of input.tags) if (tag.startsWith(`${key}=`)) out.push({ source: `tag ${key}`, value: tag.slice(key.length + 1) });
  for (const meta of input.metas) if (meta[key] !== undefined) out.push({ source: `meta ${key}`, value: meta[key]! });
  return out;
}

/** The one value of a key, or an error when the service gives it two different values. */
function single(input: ServiceDeclarationInput, key: string): { value?: string; source?: string; error?: DeclarationError } {
  const values = valuesOf(input, key);
  const distinct = [...new Set(values.map((v) => v.value))];
  if (distinct.length > 1) {
    return { error: { service: input.service, key, value: distinct.join(', '), message: `service ${input.service}: ${key} has conflicting values ${JSON.stringify(distinct)} across its tags and instances` } };
  }
  return values[0] ?? {};
}

/**
 * The pool a service declares (undefined when it declares none), or the error that makes its declaration unusable.
 * `defaults` gives the settings a declared pool takes (partition, load balancing, priority group activation).
 */
export function declaredPool(
  input: ServiceDeclarationInput,
  defaults: Pick<PoolConfig, 'partition' | 'loadBalancingMode' | 'minActiveMembers'>,
  keys: DeclarationKeys = DEFAULT_DECLARATION_KEYS,
): { pool?: PoolConfig; error?: DeclarationError } {
  const name = single(input, keys.poolKey);
  if (name.error) return { error: name.error };
  if (name.value === undefined) return {};
  if (!NAME.test(name.value)) {
    return { error: { service: input.service, key: keys.poolKey, value: name.value, message: `service ${input.service}: ${name.source} ${JSON.stringify(name.value)} is not a pool name (letters, digits, . _ -)` } };
  }
  const pool: PoolConfig = { consulService: input.service, name: name.value, ...defaults };
  const virtual = single(input, keys.virtualKey);
  if (virtual.error) return { error: virtual.error };
  if (virtual.value !== undefined) {
    if (!DESTINATION.test(virtual.value)) {
      return { error: { service: input.service, key: keys.virtualKey, value: virtual.value, message: `service ${input.service}: ${virtual.source} ${JSON.stringify(virtual.value)} is not a destination "<address>:<port>"` } };
    }
    pool.virtual = { destination: virtual.value, profiles: ['/Common/tcp'], snat: 'none' };
  }
  return { pool };
}

/**
 * Every declared pool of a set of services. Two services declaring one pool are both errors (neither gets it),
 * as is a declaration of a pool the config file already lists.
 */
export function declaredPools(
  inputs: readonly ServiceDeclarationInput[],
  configured: readonly PoolConfig[],
  defaults: Pick<PoolConfig, 'partition' | 'loadBalancingMode' | 'minActiveMembers'>,
  keys: DeclarationKeys = DEFAULT_DECLARATION_KEYS,
): { pools: PoolConfig[]; errors: DeclarationError[] } {
  const errors: DeclarationError[] = [];
  const byPath = new Map<string, PoolConfig[]>();
  for (const input of inputs) {
    const { pool, error } = declaredPool(input, defaults, keys);
    if (error) errors.push(error);
    if (!pool) continue;
    const path = `/${pool.partition}/${pool.name}`;
    byPath.set(path, [...(byPath.get(path) ?? []), pool]);
  }
  const configuredPaths = new Set(configured.map((pool) => `/${pool.partition}/${pool.name}`));
  const pools: PoolConfig[] = [];
  for (const [path, claims] of byPath) {
    if (claims.length === 1 && !configuredPaths.has(path)) {
      pools.push(claims[0]!);
      continue;
    }
    for (const claim of claims) {
      const why = configuredPaths.has(path) ? 'is already in the config file' : `is declared by ${claims.length} services (${claims.map((c) => c.consulService).join(', ')})`;
      errors.push({ service: claim.consulService, key: keys.poolKey, value: claim.name, message: `service ${claim.consulService}: pool ${path} ${why}; not taken from Consul` });
    }
  }
  return { pools, errors };
}

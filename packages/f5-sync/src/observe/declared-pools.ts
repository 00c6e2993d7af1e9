// Pools declared from Consul, validated once at the edge: a service carrying the tag `f5-pool=<name>` or the meta key
// `f5-pool` gets a pool, with its virtual server in meta `f5-virtual=<address:port>` (as F5's AS3 service discovery
// and rancher external-lb read declarations from the registry). Pure; a malformed declaration is an error naming the
// service, the key and the value, and never yields a pool (the caller keeps the last good state for that service).
// The catalog watch (catalog-declarations.ts) feeds it; the loop adds and retires the pools (sync-loop.ts).

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
  /** The pool is in the config file, which wins (a warning, not a broken declaration). */
  configured?: true;
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
  const pool: PoolConfig = { consulService: input.service, name: name.value, ...defaults, origin: 'declaration' };
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

/** The settings a declared pool takes (the syncer's partition, and `declarations`' defaults). */
export type DeclaredPoolDefaults = Pick<PoolConfig, 'partition' | 'loadBalancingMode' | 'minActiveMembers'>;

/**
 * Every declared pool of a set of services. Two services declaring one pool are both errors (neither gets it). A
 * declaration of a pool the config file already lists loses to the config file: an error (`configured: true`)
 * naming the service and the config entry.
 */
export function declaredPools(
  inputs: readonly ServiceDeclarationInput[],
  configured: readonly PoolConfig[],
  defaults: DeclaredPoolDefaults,
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
  const configuredAt = new Map(configured.map((pool, i) => [`/${pool.partition}/${pool.name}`, { index: i, service: pool.consulService }]));
  const pools: PoolConfig[] = [];
  for (const [path, claims] of byPath) {
    const inConfig = configuredAt.get(path);
    if (claims.length === 1 && !inConfig) {
      pools.push(claims[0]!);
      continue;
    }
    for (const claim of claims) {
      const message = inConfig
        ? `service ${claim.consulService}: declares pool ${path}, which the config file lists (pools.${inConfig.index}, consulService ${inConfig.service}); the config file's entry wins, the declaration is ignored`
        : `service ${claim.consulService}: pool ${path} is declared by ${claims.length} services (${claims.map((c) => c.consulService).join(', ')}); not taken from Consul`;
      errors.push({ service: claim.consulService, key: keys.poolKey, value: claim.name, message, ...(inConfig ? { configured: true } : {}) });
    }
  }
  return { pools, errors };
}

export interface NextDeclarations {
  /** Declared pools by declaring service. */
  pools: Map<string, PoolConfig>;
  errors: DeclarationError[];
  /** Services whose declaration is unusable now but whose last good pool stays. */
  kept: string[];
  /** Set when the answer dropped every declaration at once and the last good set is kept (like an empty Consul answer). */
  held?: string;
}

/**
 * Pure: the declared pools after a new catalog answer, from the last good ones. A service whose declaration turned
 * malformed keeps its last good pool (the last good state), except when the config file now lists that pool; an
 * answer that drops every one of at least `holdWhenAllGoneFrom` declarations at once is held, as an empty Consul
 * answer is for members (0 disables the guard).
 */
export function nextDeclarations(
  previous: ReadonlyMap<string, PoolConfig>,
  inputs: readonly ServiceDeclarationInput[],
  configured: readonly PoolConfig[],
  defaults: DeclaredPoolDefaults,
  options: { keys?: DeclarationKeys; holdWhenAllGoneFrom: number },
): NextDeclarations {
  const { pools, errors } = declaredPools(inputs, configured, defaults, options.keys);
  const next = new Map(pools.map((pool) => [pool.consulService, pool]));
  const kept: string[] = [];
  const configuredPaths = new Set(configured.map((pool) => `/${pool.partition}/${pool.name}`));
  const failing = new Set(errors.filter((e) => !e.configured).map((e) => e.service));
  for (const service of [...failing].sort()) {
    const last = previous.get(service);
    if (!last || next.has(service) || configuredPaths.has(`/${last.partition}/${last.name}`)) continue;
    next.set(service, last);
    kept.push(service);
  }
  // A kept pool and a new claim of the same pool: the kept one stays, the new claim is an error.
  const holder = new Map<string, string>();
  for (const service of kept) holder.set(`/${next.get(service)!.partition}/${next.get(service)!.name}`, service);
  for (const [service, pool] of [...next]) {
    const path = `/${pool.partition}/${pool.name}`;
    const owner = holder.get(path);
    if (owner === undefined || owner === service) continue;
    next.delete(service);
    errors.push({ service, key: options.keys?.poolKey ?? DEFAULT_DECLARATION_KEYS.poolKey, value: pool.name, message: `service ${service}: pool ${path} is still held by service ${owner}'s last good declaration; not taken from Consul` });
  }
  if (options.holdWhenAllGoneFrom > 0 && previous.size >= options.holdWhenAllGoneFrom && next.size === 0) {
    return { pools: new Map(previous), errors, kept: [...previous.keys()].sort(), held: `the catalog answer dropped all ${previous.size} declared pools at once; holding them` };
  }
  return { pools: next, errors, kept };
}

// f5-sync's configuration: which Consul services feed which BIG-IP pools, and how to reach and pace the BIG-IP.

import { ConfigError, expandPaths, loadConfig, parseDuration, readJsonFile, validateWithSchema } from '@consul-sidecars/core';
import { CONFIG_SCHEMA } from './config-schema';
import { assertConfigTypes, typedEnv } from './config-types';
import validateF5SyncConfig from './config-validator.generated';

export { CONFIG_SCHEMA } from './config-schema';

export type LoadBalancingMode = string;

/** A Go duration ("30s", "1m30s") or a number of seconds. */
export type Duration = string | number;

/** One BIG-IP pool fed by the passing instances of one Consul service. */
export interface PoolConfig {
  /** Consul service whose passing instances become the pool's members. */
  consulService: string;
  /** Pool name on the BIG-IP (without partition). */
  name: string;
  partition: string;
  loadBalancingMode: LoadBalancingMode;
  /** Pool monitor, e.g. "/Common/http"; left as it is on the BIG-IP when unset. */
  monitor?: string;
  /** Priority Group Activation: 1 sends traffic to the highest group with at least one available member. */
  minActiveMembers: number;
  /** Only instances carrying this tag (e.g. "prod") become members. */
  tag?: string;
  /** The virtual server in front of the pool, created (and owned) by f5-sync; unset: none is managed. */
  virtual?: VirtualConfig;
  /** Set by f5-sync (never in a file) for a pool a Consul service declared: removed with its declaration. */
  origin?: 'declaration';
}

/** Pools declared by Consul services (tag `f5-pool=<name>` or meta `f5-pool`), besides the config file's list. */
export interface DeclarationsConfig {
  /** Off by default: with it on, a tag on any service in the catalog can create a pool. */
  enabled: boolean;
  /** Tag prefix ("f5-pool=<name>") and meta key of the pool name. */
  poolKey: string;
  /** Tag prefix and meta key of the virtual server destination ("10.0.0.10:80"). */
  virtualKey: string;
  loadBalancingMode: LoadBalancingMode;
  minActiveMembers: number;
}

/** A virtual server with the pool as its default pool. */
export interface VirtualConfig {
  /** Default: the pool's name + "_vs". */
  name?: string;
  /** "10.0.0.10:80" (IPv6 "2001:db8::10.80"), in the pool's partition. */
  destination: string;
  /** Profile full paths or names (default ["/Common/tcp"]). */
  profiles: string[];
  /** Source address translation: "none" (default), "automap", or a SNAT pool's name or full path. */
  snat: string;
}

/** A SNAT pool whose capacity f5-sync watches, and optionally whose members it keeps equal to a Consul KV list. */
export interface SnatPoolConfig {
  name: string;
  partition: string;
  /** Consul KV key holding a JSON array of translation addresses (["10.2.0.1", ...]); unset: members left alone. */
  membersKey?: string;
}

export interface BigipConfig {
  /** Management URL, e.g. https://10.1.1.245 (a port is allowed). */
  url: string;
  username: string;
  /** Usually given as BIGIP_PASSWORD in the environment, never in a file that is committed. */
  password: string;
  /** token: /mgmt/shared/authn/login and X-F5-Auth-Token (basic is used when token login is not offered). */
  auth: 'token' | 'basic';
  loginProvider: string;
  /** PEM file of the CA that signs the BIG-IP's management certificate. */
  caFile?: string;
  verifyTls: boolean;
  /** Per-request timeout. */
  timeout: Duration;
}

export interface F5SyncConfig {
  consul: {
    /** Agent address; CONSUL_HTTP_ADDR (and the other CONSUL_HTTP_* variables) when unset. */
    address?: string;
    /** Ceiling of the jittered backoff between failed Consul queries (consul-template's retry max_backoff); default 30s. */
    retryMax: Duration;
  };
  bigip: BigipConfig;
  /** Partition of every pool (and its virtual server) that names none; two syncers sharing a BIG-IP use one each. */
  partition: string;
  pools: PoolConfig[];
  declarations: DeclarationsConfig;
  /** Role tag -> priority group. Instances with none of these tags get `defaultPriority`. */
  roleTags: Record<string, number>;
  defaultPriority: number;
  /** Service meta key holding a member ratio (default 1). */
  ratioMetaKey: string;
  /** Marker written into the description of every member f5-sync creates; only marked members are changed or removed. */
  ownerMark: string;
  /** How long a member leaving Consul stays user-disabled (no new connections) before it is deleted; 0 deletes at once. */
  drainPeriod: Duration;
  /** Quiescence per pool: wait `min` after the last change, but never more than `max` after the first. */
  debounce: { min: Duration; max: Duration };
  /** Full pass re-reading the live BIG-IP (repairs drift); 0 disables it. */
  resyncInterval: Duration;
  /** Cap on iControl calls per second (burst of the same size); 0 (the default) means no cap: `concurrency` bounds the load. */
  rateLimit: { callsPerSecond: number };
  /** Retries of one call on 503/5xx/network errors (jittered backoff). */
  retry: { attempts: number; baseDelay: Duration; maxDelay: Duration };
  safety: {
    /** Hold a pool (change nothing, alert) when Consul suddenly reports no instance while it holds at least this many of ours; 0 disables. */
    holdWhenEmptyFrom: number;
  };
  snat: {
    pools: SnatPoolConfig[];
    /** Utilisation (connections / (addresses x portsPerAddress)) at or above which a SNAT pool is near exhaustion. */
    nearExhaustionRatio: number;
    /** Source ports one translation address offers (1024-65535). */
    portsPerAddress: number;
    /** How often statistics (and the KV member lists) are read. */
    interval: Duration;
  };
  /** iControl requests in flight at once (over as many kept-alive connections), and pool passes at once. */
  concurrency: number;
  leaderLock: { enabled: boolean; key: string; ttl: string; lockDelay: string };
  metrics: { host: string; port?: number };
  logLevel: string;
}

/** Environment variables f5-sync reads (the CONSUL_HTTP_* ones are read by core). */
export const ENV_MAPPING = {
  BIGIP_URL: 'bigip.url',
  F5_SYNC_OPS_PORT: 'metrics.port',
  BIGIP_USER: 'bigip.username',
  BIGIP_PASSWORD: 'bigip.password',
  BIGIP_CA_FILE: 'bigip.caFile',
  F5_SYNC_LOG_LEVEL: 'logLevel',
};

/** Checks what the schema cannot: durations parse, and no two entries claim one pool. */
function checkSemantics(config: F5SyncConfig): F5SyncConfig {
  const durations: Array<[string, Duration]> = [
    ['consul.retryMax', config.consul.retryMax],
    ['bigip.timeout', config.bigip.timeout],
    ['drainPeriod', config.drainPeriod],
    ['debounce.min', config.debounce.min],
    ['debounce.max', config.debounce.max],
    ['resyncInterval', config.resyncInterval],
    ['retry.baseDelay', config.retry.baseDelay],
    ['retry.maxDelay', config.retry.maxDelay],
    ['leaderLock.ttl', config.leaderLock.ttl],
    ['leaderLock.lockDelay', config.leaderLock.lockDelay],
    ['snat.interval', config.snat.interval],
  ];
  const ms = Object.fromEntries(durations.map(([field, value]) => [field, durationMs(value, field)]));
  // Never corrected silently: a quiescence whose minimum exceeds its maximum, or a backoff whose base exceeds its cap, is a mistake.
  for (const [min, max] of [['debounce.min', 'debounce.max'], ['retry.baseDelay', 'retry.maxDelay']] as const) {
    if (ms[min]! > ms[max]!) {
      const value = durations.find(([field]) => field === min)![1];
      const limit = durations.find(([field]) => field === max)![1];
      throw new ConfigError(`${min} (${JSON.stringify(value)}) is longer than ${max} (${JSON.stringify(limit)})`, { field: min, value });
    }
  }
  // A pool without its own partition lives in the syncer's (schema defaults cannot refer to another field).
  for (const pool of config.pools) pool.partition ??= config.partition;
  for (const pool of config.snat.pools) pool.partition ??= config.partition;
  const seen = new Set<string>();
  config.pools.forEach((pool, i) => {
    const key = poolKey(pool);
    if (seen.has(key)) throw new ConfigError(`pools.${i}.name: pool ${key} is configured twice`, { field: `pools.${i}.name`, value: pool.name });
    seen.add(key);
  });
  return config;
}

/** Validates an already-assembled config object (tests and embedders). */
export function parseF5SyncConfig(data: unknown, source = 'f5-sync config'): F5SyncConfig {
  assertConfigTypes(CONFIG_SCHEMA, data, source);
  return checkSemantics(validateWithSchema<F5SyncConfig>(validateF5SyncConfig, structuredClone(data), source));
}

/** The daemon's config: file < env < flags, each source's values of their schema type (nothing converted), validated. */
export function loadF5SyncConfig(options: { file?: string; env?: NodeJS.ProcessEnv; flags?: Record<string, unknown> }): F5SyncConfig {
  let fromFile: Record<string, unknown> = {};
  if (options.file) {
    const raw = readJsonFile(options.file);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`config file ${options.file} must hold a JSON object`, { field: 'file', value: options.file });
    assertConfigTypes(CONFIG_SCHEMA, raw, `config file ${options.file}`);
    fromFile = raw as Record<string, unknown>;
  }
  const env = typedEnv(CONFIG_SCHEMA, options.env ?? process.env, ENV_MAPPING);
  assertConfigTypes(CONFIG_SCHEMA, expandPaths(options.flags ?? {}), 'flags');
  // The file goes in as core's lowest layer (its "defaults"), so it is read once: file < env < flags as before.
  return checkSemantics(loadConfig<F5SyncConfig>(validateF5SyncConfig, { defaults: fromFile, env, flags: options.flags }));
}

/** "/Common/web_pool": how pools are keyed in logs, metrics and maps. */
export function poolKey(pool: { partition: string; name: string }): string {
  return `/${pool.partition}/${pool.name}`;
}

export function durationMs(value: Duration, field: string): number {
  return parseDuration(typeof value === 'number' ? value : String(value), field);
}

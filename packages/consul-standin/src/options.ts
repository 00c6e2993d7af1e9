// Options of the stand-in, with every default in one place.

import { randomUUID } from 'node:crypto';
import { DEFAULT_HTTP_MAX_CONNS_PER_CLIENT } from './connection-limit';
import { persistentNodeId } from './local-state-file';

export interface ConsulStandinOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Node name. Default "standin". */
  node?: string;
  /** Datacenter. Default "dc1". */
  datacenter?: string;
  /** Node ID (a UUID). Default: random. */
  nodeId?: string;
  /** The node's Address in the catalog. Default: host, or 127.0.0.1 when host is a wildcard. */
  advertiseAddress?: string;
  /** When set, ACLs are on and every endpoint but /v1/status/* requires this token. */
  managementToken?: string;
  /** Reaper period for DeregisterCriticalServiceAfter. Consul: about 30 s. Default 30000. */
  reapIntervalMs?: number;
  /** Lowest DeregisterCriticalServiceAfter honoured (Consul clamps to 1 minute). Default 60000. */
  minDeregisterCriticalServiceAfterMs?: number;
  /** Lowest check Interval honoured (Consul clamps to 1 s). Default 1000. */
  minCheckIntervalMs?: number;
  /** Lowest session TTL accepted (Consul's session_ttl_min). Default 10000. */
  sessionTtlMinMs?: number;
  /** A session is invalidated this many TTLs after its last renewal (Consul: 2). Default 2. */
  sessionTtlMultiplier?: number;
  /** Largest KV value, in bytes (Consul's kv_max_value_size). Default 524288. */
  kvMaxValueSize?: number;
  /** Run Args (script) checks; off by default, as in Consul. Default false. */
  enableScriptChecks?: boolean;
  /** Where the agent keeps the services and checks registered through it, restored at start (Consul's data_dir). Default: none (kept in memory only). */
  dataDir?: string;
  /**
   * Open HTTP connections allowed per client IP (Consul's limits.http_max_conns_per_client); one more is answered
   * 429 with connlimit's text and closed. 0: no limit. Default 200, as Consul.
   */
  httpMaxConnsPerClient?: number;
  /**
   * Serialised answers of catalog and health reads kept for the current state, so identical reads between two
   * writes (two renderers waking on one change) cost one build. 0 entries: no cache. Default 4096 entries, 64 MiB.
   */
  readCacheEntries?: number;
  readCacheBytes?: number;
  /** Consul version reported by /v1/agent/self. Default "1.18.1". */
  version?: string;
  /** Receives one structured event per notable action (JSON logs in the CLI). Default: none. */
  log?: (event: Record<string, unknown>) => void;
}

export type ResolvedOptions = Required<Omit<ConsulStandinOptions, 'managementToken' | 'dataDir'>> & { managementToken?: string; dataDir?: string };

export const SESSION_TTL_MAX_MS = 86_400_000;

export function resolveOptions(options: ConsulStandinOptions = {}): ResolvedOptions {
  const host = options.host ?? '127.0.0.1';
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  return {
    host,
    port: options.port ?? 0,
    node: options.node ?? 'standin',
    datacenter: options.datacenter ?? 'dc1',
    nodeId: options.nodeId ?? (options.dataDir ? persistentNodeId(options.dataDir, randomUUID) : randomUUID()),
    advertiseAddress: options.advertiseAddress ?? (wildcard ? '127.0.0.1' : host),
    managementToken: options.managementToken || undefined,
    dataDir: options.dataDir || undefined,
    reapIntervalMs: options.reapIntervalMs ?? 30_000,
    minDeregisterCriticalServiceAfterMs: options.minDeregisterCriticalServiceAfterMs ?? 60_000,
    minCheckIntervalMs: options.minCheckIntervalMs ?? 1000,
    sessionTtlMinMs: options.sessionTtlMinMs ?? 10_000,
    sessionTtlMultiplier: options.sessionTtlMultiplier ?? 2,
    kvMaxValueSize: options.kvMaxValueSize ?? 512 * 1024,
    enableScriptChecks: options.enableScriptChecks ?? false,
    httpMaxConnsPerClient: options.httpMaxConnsPerClient ?? DEFAULT_HTTP_MAX_CONNS_PER_CLIENT,
    readCacheEntries: options.readCacheEntries ?? 4096,
    readCacheBytes: options.readCacheBytes ?? 64 * 1024 * 1024,
    version: options.version ?? '1.18.1',
    log: options.log ?? (() => undefined),
  };
}

/** A server of a cluster: the single node's options plus membership and federation. */
export interface ConsulServerOptions extends ConsulStandinOptions {
  /** How long a client agent's heartbeats may stop before its node is failed (serfHealth critical). Default 5000. */
  failureDetectionMs?: number;
  /** The heartbeat period the server asks of its agents. Default: failureDetectionMs / 5. */
  heartbeatIntervalMs?: number;
  /** Other datacenters' servers to federate with at start (more with `federate()`). */
  federation?: { datacenter: string; address: string }[];
}

/** A client agent: its own node's agent endpoints; everything else goes to its server. */
export interface ConsulAgentOptions extends ConsulStandinOptions {
  /** The server's HTTP address, "host:port" or a URL. */
  serverAddress: string;
  /** Heartbeat period; default: what the server asks for (1000 ms until it answers). */
  heartbeatIntervalMs?: number;
  /** Full anti-entropy sync period (Consul: about a minute); changes sync at once anyway. Default 60000. */
  antiEntropyIntervalMs?: number;
}

export function resolveClusterTiming(options: ConsulServerOptions): { failureDetectionMs: number; heartbeatIntervalMs: number } {
  const failureDetectionMs = options.failureDetectionMs ?? 5000;
  if (!(failureDetectionMs > 0)) throw new Error(`failureDetectionMs: must be > 0, got ${failureDetectionMs}`);
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? Math.max(20, Math.floor(failureDetectionMs / 5));
  if (!(heartbeatIntervalMs > 0 && heartbeatIntervalMs < failureDetectionMs)) {
    throw new Error(`heartbeatIntervalMs: must be > 0 and below failureDetectionMs (${failureDetectionMs}), got ${heartbeatIntervalMs}`);
  }
  return { failureDetectionMs, heartbeatIntervalMs };
}

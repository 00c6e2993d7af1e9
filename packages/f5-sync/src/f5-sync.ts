// Wires one f5-sync instance from a config: Consul client, the pool target (the BIG-IP's iControl client), metrics, the loop.

import { setMaxListeners } from 'node:events';
import { ConsulHttpClient, consulSettingsFromEnv, createConsulClient, ServiceChangeFeed, type ConsulClient, type Logger } from '@consul-sidecars/core';
import type { F5SyncConfig } from './config';
import { F5SyncMetrics } from './metrics';
import { consulWatch, watcherOptions } from './observe/consul-watch-options';
import { SnatCapacityWatch } from './snat-capacity';
import { SyncLoop } from './sync-loop';
import { BigipPoolTarget, createIcontrolClient } from './target/bigip/bigip-target';
import type { IcontrolClient } from './target/bigip/icontrol-client';
import type { CallRecord } from './target/bigip/icontrol-errors';
import type { PoolTarget, TargetCall } from './target/pool-target';

/**
 * Connections f5-sync's other Consul queries hold at most, beside the feed's (README "Connections to Consul"): the
 * declarations' catalog watch (1) and its meta reads (4 at a time), the leader lock's key watch and session renew (2),
 * the SNAT capacity watch's KV reads and writes (1, one at a time).
 */
export const OTHER_CONSUL_CONNECTIONS = 8;

export interface F5SyncOptions {
  logger: Logger;
  dryRun?: boolean;
  printCall?: (pool: string, call: TargetCall) => void;
  metrics?: F5SyncMetrics;
  /** Defaults to config.leaderLock.enabled (never in dry-run). */
  useLeaderLock?: boolean;
  /** CONSUL_HTTP_* variables (default process.env). */
  env?: NodeJS.ProcessEnv;
  consul?: ConsulClient;
  /** The client of the health watches' change feed; default one built from the same settings as `consul`'s. */
  consulHttp?: ConsulHttpClient;
  onCall?: (record: CallRecord) => void;
  consulWaitSeconds?: number;
  /** The pools of the config this one replaces (SIGHUP): a pool whose source changed is held rather than emptied. */
  previousPools?: F5SyncConfig['pools'];
}

export interface F5Sync {
  loop: SyncLoop;
  /** The pool target the loop acts through. */
  target: PoolTarget;
  /** The BIG-IP target's iControl client (logins, direct calls). */
  client: IcontrolClient;
  metrics: F5SyncMetrics;
  /** The health watches' change feed (feed.connectionBudget: its most connections to Consul). */
  feed: ServiceChangeFeed;
  /** The most connections to Consul at once, at any number of pools: feed.connectionBudget + OTHER_CONSUL_CONNECTIONS. */
  consulConnectionBudget: number;
  /** SNAT capacity (snat.pools configured): started with the loop, `check()` for one look now. */
  snat?: SnatCapacityWatch;
  /** Stops the loop and logs out of the BIG-IP. */
  close(): Promise<void>;
}

export function createF5Sync(config: F5SyncConfig, options: F5SyncOptions): F5Sync {
  const metrics = options.metrics ?? new F5SyncMetrics();
  const abort = new AbortController();
  // Every in-flight request and retry sleep listens on this one signal.
  setMaxListeners(0, abort.signal);
  let logins = 0;
  const client = createIcontrolClient(
    config,
    options.logger,
    (record) => {
      metrics.recordCall(record);
      options.onCall?.(record);
      if (client.logins > logins) {
        metrics.logins.inc(client.logins - logins);
        logins = client.logins;
      }
    },
    abort.signal,
  );
  const settings = consulSettingsFromEnv(options.env ?? process.env, config.consul.address);
  const consul = options.consul ?? createConsulClient(settings);
  // Address, token and TLS as the client above; its socket cap (core's default 16) holds the feed's budget (11).
  const consulHttp = options.consulHttp ?? new ConsulHttpClient(settings);
  const feed = new ServiceChangeFeed(consulHttp, { logger: options.logger, ...watcherOptions(consulWatch(config, options.consulWaitSeconds)) });
  const target = new BigipPoolTarget(client, { workers: config.concurrency });
  // The SNAT watch writes (KV member lists) only where the loop may: the leader, never in dry-run.
  let canWrite = () => false;
  const snat = config.snat.pools.length === 0
    ? undefined
    : new SnatCapacityWatch({ config, client, consul, logger: options.logger, metrics, canWrite: () => canWrite() });
  const loop = new SyncLoop({
    config,
    target,
    consul,
    feed,
    logger: options.logger,
    metrics,
    dryRun: options.dryRun,
    printCall: options.printCall,
    useLeaderLock: options.dryRun ? false : options.useLeaderLock,
    consulWaitSeconds: options.consulWaitSeconds,
    companions: snat ? [snat] : [],
    previousPools: options.previousPools,
  });
  canWrite = () => !options.dryRun && loop.isLeader;
  return {
    loop,
    target,
    client,
    metrics,
    feed,
    consulConnectionBudget: feed.connectionBudget + OTHER_CONSUL_CONNECTIONS,
    snat,
    async close() {
      // Abort first: a pass sleeping in a retry must not hold shutdown past its deadline.
      abort.abort(new Error('f5-sync stopped'));
      await loop.stop();
      await target.close();
      if (!options.consulHttp) consulHttp.close();
    },
  };
}

// How f5-sync's Consul watches wait and back off: one shape for the health watches, the declarations' catalog watch
// and the change feed, from the config's consul.retryMax and the daemon's wait.

import type { BackoffOptions } from '@consul-sidecars/core';
import { durationMs, type F5SyncConfig } from '../config';

export interface ConsulWatchOptions {
  /** `wait=` of each blocking query (default: the watcher's 60 s). */
  waitSeconds?: number;
  /** Ceiling of the jittered backoff between failed queries (config consul.retryMax; default: core's 30 s). */
  retryMaxMs?: number;
}

/** The BlockingWatcher / ServiceChangeFeed options these stand for. */
export function watcherOptions(watch: ConsulWatchOptions): { waitSeconds?: number; backoff?: Partial<BackoffOptions> } {
  return {
    ...(watch.waitSeconds !== undefined ? { waitSeconds: watch.waitSeconds } : {}),
    ...(watch.retryMaxMs !== undefined ? { backoff: { maxMs: watch.retryMaxMs } } : {}),
  };
}

/** The watch options of a config: its consul.retryMax, and the daemon's wait (when set). */
export function consulWatch(config: Pick<F5SyncConfig, 'consul'>, waitSeconds?: number): ConsulWatchOptions {
  return { ...(waitSeconds !== undefined ? { waitSeconds } : {}), retryMaxMs: durationMs(config.consul.retryMax, 'consul.retryMax') };
}

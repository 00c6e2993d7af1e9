// Wires one f5-sync instance from a config: Consul client, iControl client, metrics, and the sync loop.

import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { ConfigError, consulSettingsFromEnv, createConsulClient, errorMessage, type ConsulClient, type Logger } from '@consul-sidecars/core';
import { durationMs, type F5SyncConfig } from './config';
import { IcontrolClient, type CallRecord, type IcontrolCall } from './icontrol-client';
import { F5SyncMetrics } from './metrics';
import { SyncLoop } from './sync-loop';

export interface F5SyncOptions {
  logger: Logger;
  dryRun?: boolean;
  printCall?: (pool: string, call: IcontrolCall) => void;
  metrics?: F5SyncMetrics;
  /** Defaults to config.leaderLock.enabled (never in dry-run). */
  useLeaderLock?: boolean;
  /** CONSUL_HTTP_* variables (default process.env). */
  env?: NodeJS.ProcessEnv;
  consul?: ConsulClient;
  onCall?: (record: CallRecord) => void;
  consulWaitSeconds?: number;
}

export interface F5Sync {
  loop: SyncLoop;
  client: IcontrolClient;
  metrics: F5SyncMetrics;
  /** Stops the loop and logs out of the BIG-IP. */
  close(): Promise<void>;
}

export function createIcontrolClient(config: F5SyncConfig, logger: Logger, onCall?: (record: CallRecord) => void, signal?: AbortSignal): IcontrolClient {
  let ca: Buffer | undefined;
  if (config.bigip.caFile) {
    try {
      ca = readFileSync(config.bigip.caFile);
    } catch (err) {
      throw new ConfigError(`bigip.caFile: cannot read ${config.bigip.caFile}: ${errorMessage(err)}`, { field: 'bigip.caFile', value: config.bigip.caFile });
    }
  }
  return new IcontrolClient({
    url: config.bigip.url,
    username: config.bigip.username,
    password: config.bigip.password,
    auth: config.bigip.auth,
    loginProvider: config.bigip.loginProvider,
    ca,
    verifyTls: config.bigip.verifyTls,
    timeoutMs: durationMs(config.bigip.timeout, 'bigip.timeout'),
    callsPerSecond: config.rateLimit.callsPerSecond,
    retry: {
      attempts: config.retry.attempts,
      baseMs: durationMs(config.retry.baseDelay, 'retry.baseDelay'),
      maxMs: durationMs(config.retry.maxDelay, 'retry.maxDelay'),
    },
    logger,
    onCall,
    signal,
  });
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
  const consul = options.consul ?? createConsulClient(consulSettingsFromEnv(options.env ?? process.env, config.consul.address));
  const loop = new SyncLoop({
    config,
    client,
    consul,
    logger: options.logger,
    metrics,
    dryRun: options.dryRun,
    printCall: options.printCall,
    useLeaderLock: options.dryRun ? false : options.useLeaderLock,
    consulWaitSeconds: options.consulWaitSeconds,
  });
  return {
    loop,
    client,
    metrics,
    async close() {
      // Abort first: a pass sleeping in a retry must not hold shutdown past its deadline.
      abort.abort(new Error('f5-sync stopped'));
      await loop.stop();
      await client.close();
    },
  };
}

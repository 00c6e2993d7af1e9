// The first pool target: a BIG-IP's LTM over iControl REST (observe: live-pools.ts; act: apply.ts; the wire: icontrol-client.ts).

import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage, type Logger } from '@consul-sidecars/core';
import { durationMs, type F5SyncConfig } from '../../config';
import type { LivePool, LiveVirtual, PoolRef } from '../pool-model';
import type { ApplyResult, PlanToApply, PoolTarget, TargetCall } from '../pool-target';
import { applyPlan, applyPlans, callsForPlan, type SharedTransactionOptions } from './apply';
import { DEFAULT_MAX_CONCURRENT, IcontrolClient } from './icontrol-client';
import { printablePath, type CallRecord } from './icontrol-errors';
import { readLivePool, readLivePools, readPartitionPools } from './live-pools';
import { isNotFound } from './icontrol-errors';
import { callForVirtual, readLiveVirtuals } from './virtual-servers';
import type { VirtualAction } from '../../plan/virtual-plan';

/** Commands per shared transaction by default: a full pass of 1,000 new pools is ten commits. */
export const DEFAULT_TRANSACTION_COMMANDS = 100;

export class BigipPoolTarget implements PoolTarget {
  private readonly shared: SharedTransactionOptions;

  constructor(readonly client: IcontrolClient, options: Partial<SharedTransactionOptions> = {}) {
    this.shared = { ...options, maxCommands: options.maxCommands ?? DEFAULT_TRANSACTION_COMMANDS, workers: options.workers ?? DEFAULT_MAX_CONCURRENT };
  }

  /** GET /mgmt/tm/sys/version: what iControl clients ask first. */
  connect(): Promise<string | undefined> {
    return this.client.version();
  }

  readPool(ref: PoolRef): Promise<LivePool | undefined> {
    return readLivePool(this.client, ref);
  }

  readPools(refs: readonly PoolRef[]): Promise<Map<string, LivePool | undefined>> {
    return readLivePools(this.client, refs);
  }

  listPools(partitions: readonly string[]): Promise<LivePool[]> {
    return readPartitionPools(this.client, partitions);
  }

  apply(plan: PlanToApply): Promise<ApplyResult> {
    return applyPlan(this.client, plan);
  }

  applyMany(plans: readonly PlanToApply[]): Promise<Array<ApplyResult | Error>> {
    return applyPlans(this.client, plans, this.shared);
  }

  readVirtuals(partitions: readonly string[]): Promise<LiveVirtual[]> {
    return readLiveVirtuals(this.client, partitions);
  }

  async applyVirtual(action: VirtualAction): Promise<void> {
    try {
      await this.client.request(callForVirtual(action));
    } catch (err) {
      if (!(action.kind === 'removeVirtual' && isNotFound(err))) throw err;
    }
  }

  previewVirtual(action: VirtualAction): TargetCall {
    return callForVirtual(action);
  }

  preview(plan: PlanToApply): TargetCall[] {
    return callsForPlan(plan).map((call) => ({ ...call, path: printablePath(call.path) }));
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** The iControl client a config describes (CA file read here: a missing file is a config error naming the field). */
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
    maxConcurrent: config.concurrency,
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

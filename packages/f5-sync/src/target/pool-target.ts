// The pool target seam: the one interface the sync loop reaches a load balancer through (read live pools, apply a plan).
// The BIG-IP over iControl REST (./bigip/bigip-target.ts) is the first implementation; README "Extending" says how to add one.

import { CodedError } from '@consul-sidecars/core';
import type { PoolPlan } from '../plan/pool-plan';
import type { VirtualAction } from '../plan/virtual-plan';
import type { LivePool, LiveVirtual, PoolRef } from './pool-model';

/** One request a target would send for a plan, as --dry-run prints it (secrets never appear here). */
export interface TargetCall {
  method: string;
  path: string;
  body?: unknown;
}

/** What applying one pool's plan cost: write calls sent, and whether they went as one atomic unit. */
export interface ApplyResult {
  calls: number;
  transaction: boolean;
}

/** The part of a plan a target needs to apply it. */
export type PlanToApply = Pick<PoolPlan, 'pool' | 'ref' | 'actions'>;

/** The target moved under us (BIG-IP: 409 on create, 404 on change): re-read the pool and plan again. */
export class StaleLiveStateError extends CodedError {
  constructor(pool: string, cause: unknown) {
    super('ERR_STALE_LIVE_STATE', `pool ${pool} changed on the BIG-IP while we were applying; re-reading`, { pool }, { cause });
    this.name = 'StaleLiveStateError';
  }
}

export interface PoolTarget {
  /** Proves address, TLS and credentials before any pool is touched; the target's version for the log. */
  connect(): Promise<string | undefined>;
  /** One pool and its members as they are now; `undefined` when the pool does not exist. */
  readPool(ref: PoolRef): Promise<LivePool | undefined>;
  /** Many pools in as few reads as the target allows; keys are poolKey(), absent pools map to `undefined`. */
  readPools(refs: readonly PoolRef[]): Promise<Map<string, LivePool | undefined>>;
  /** Every pool of these partitions (a full pass with declarations on finds declared pools left over by them). */
  listPools(partitions: readonly string[]): Promise<LivePool[]>;
  /**
   * Applies one pool's plan, idempotently and all-or-nothing: a removal of something already gone is success,
   * a conflict that says our view was stale throws StaleLiveStateError (the caller re-reads and plans again).
   */
  apply(plan: PlanToApply): Promise<ApplyResult>;
  /**
   * Applies many pools' plans (a full pass) in as few round trips as the target allows, each pool still all-or-nothing.
   * One result per plan, in order: an ApplyResult, or that pool's error (a StaleLiveStateError sends it back to be re-read).
   * A failure of one pool must never lose the others. `Promise.all(plans.map(apply))` is a correct implementation.
   */
  applyMany(plans: readonly PlanToApply[]): Promise<Array<ApplyResult | Error>>;
  /** The virtual servers of these partitions (full passes only: they do not change with Consul). */
  readVirtuals(partitions: readonly string[]): Promise<LiveVirtual[]>;
  /** One virtual server action; removing one already gone is success. */
  applyVirtual(action: VirtualAction): Promise<void>;
  /** What applyVirtual would send, for --dry-run. */
  previewVirtual(action: VirtualAction): TargetCall;
  /** What apply would send, for --dry-run. */
  preview(plan: PlanToApply): TargetCall[];
  /** Logs out and frees connections. */
  close(): Promise<void>;
}

// Act: pool plans become iControl calls: one call, one transaction per pool, or transactions shared by many pools.

import { mapLimit } from '@consul-sidecars/core';
import type { PoolAction, PoolPlan } from '../../plan/pool-plan';
import { StaleLiveStateError, type ApplyResult, type PlanToApply } from '../pool-target';
import { memberPath, membersPath, poolPath } from './icontrol-paths';
import type { IcontrolCall, IcontrolClient } from './icontrol-client';
import { IcontrolError, isConflict, isNotFound } from './icontrol-errors';

/** The iControl request for one action (what --dry-run prints). */
export function callForAction(plan: Pick<PoolPlan, 'ref'>, action: PoolAction): IcontrolCall {
  const ref = plan.ref;
  switch (action.kind) {
    case 'createPool':
      return {
        method: 'POST',
        path: '/mgmt/tm/ltm/pool',
        body: { name: ref.name, partition: ref.partition, description: action.description, ...action.settings, members: action.members },
      };
    case 'updatePool':
      return { method: 'PATCH', path: poolPath(ref), body: action.changes };
    case 'addMember':
      return { method: 'POST', path: membersPath(ref), body: action.member };
    case 'updateMember':
    case 'drainMember':
      return { method: 'PATCH', path: memberPath(ref, action.member), body: action.changes };
    case 'removeMember':
      return { method: 'DELETE', path: memberPath(ref, action.member) };
    case 'removePool':
      return { method: 'DELETE', path: poolPath(ref) };
  }
}

export function callsForPlan(plan: Pick<PoolPlan, 'ref' | 'actions'>): IcontrolCall[] {
  return plan.actions.map((action) => callForAction(plan, action));
}

/**
 * Sends a plan: a single action as one direct call, several as one transaction (all or nothing).
 * 404 on a DELETE is success; 409 on a create or 404 on a PATCH means our view was stale.
 */
export async function applyPlan(client: IcontrolClient, plan: PlanToApply): Promise<ApplyResult> {
  const calls = callsForPlan(plan);
  if (calls.length === 0) return { calls: 0, transaction: false };
  if (calls.length === 1) {
    const [call] = calls;
    try {
      await client.request(call);
    } catch (err) {
      if (call.method === 'DELETE' && isNotFound(err)) return { calls: 1, transaction: false };
      if (isConflict(err) || isNotFound(err)) throw new StaleLiveStateError(plan.pool, err);
      throw err;
    }
    return { calls: 1, transaction: false };
  }
  try {
    await client.transaction(calls);
  } catch (err) {
    if (isConflict(err) || isNotFound(err)) throw new StaleLiveStateError(plan.pool, err);
    throw err;
  }
  return { calls: calls.length, transaction: true };
}

/** How several pools' plans are sent together (the full pass after a start, a leader change or a resync). */
export interface SharedTransactionOptions {
  /** Commands per shared transaction at most (BIG-IP enlists one request per command; the commit applies them all). */
  maxCommands: number;
  /** Shared transactions being built at once; each enlists its commands in order. */
  workers: number;
}

/** Which failures of a shared transaction are one command's fault (so each pool is tried on its own), not the BIG-IP's. */
function blamesACommand(err: unknown): boolean {
  return err instanceof IcontrolError && err.status >= 400 && err.status < 500 && err.status !== 401;
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Sends many pools' plans in as few round trips as keeps each pool's plan all-or-nothing: plans of several calls share
 * transactions of up to `maxCommands` commands, which saves each pool its own create and commit; a single-call plan
 * stays one direct call (sharing would add the create and commit, and concentrate the work in long commits).
 * A shared transaction that one command fails (a 409, a 404, a rejected value) is retried pool by pool, so one bad
 * pool never loses the others; a BIG-IP that is down fails the batch's pools alike, for the loop to retry.
 * Results come back in the order of `plans`: an ApplyResult, or the pool's error.
 */
export async function applyPlans(client: IcontrolClient, plans: readonly PlanToApply[], options: SharedTransactionOptions): Promise<Array<ApplyResult | Error>> {
  const results: Array<ApplyResult | Error> = plans.map(() => ({ calls: 0, transaction: false }));
  const calls = plans.map((plan) => callsForPlan(plan));
  const writing = plans.map((_, i) => i).filter((i) => calls[i].length > 0);
  const shared = writing.filter((i) => calls[i].length > 1 && calls[i].length <= options.maxCommands);
  const sharing = new Set(shared);
  const alone = writing.filter((i) => !sharing.has(i));

  const batches: number[][] = [];
  for (const i of shared) {
    const last = batches[batches.length - 1];
    const size = last ? last.reduce((n, j) => n + calls[j].length, 0) : Infinity;
    if (last && size + calls[i].length <= options.maxCommands) last.push(i);
    else batches.push([i]);
  }
  const single = async (i: number) => {
    results[i] = await applyPlan(client, plans[i]).catch(toError);
  };
  const sendBatch = async (batch: number[]) => {
    if (batch.length === 1) return single(batch[0]);
    try {
      await client.transaction(batch.flatMap((i) => calls[i]));
      for (const i of batch) results[i] = { calls: calls[i].length, transaction: true };
    } catch (err) {
      if (!blamesACommand(err)) {
        for (const i of batch) results[i] = toError(err);
        return;
      }
      await Promise.all(batch.map(single));
    }
  };

  // Direct calls are bounded by the client's in-flight cap; shared transactions by `workers` (sendBatch never rejects).
  await Promise.all([...alone.map(single), mapLimit(batches, Math.max(1, options.workers), sendBatch)]);
  return results;
}

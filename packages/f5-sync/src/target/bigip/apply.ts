// Act: a pool plan becomes iControl calls, sent as one call or one transaction per pool, idempotently.

import type { PoolAction, PoolPlan } from '../../plan/pool-plan';
import { StaleLiveStateError, type ApplyResult, type PlanToApply } from '../pool-target';
import { memberPath, membersPath, poolPath } from './icontrol-paths';
import type { IcontrolCall, IcontrolClient } from './icontrol-client';
import { isConflict, isNotFound } from './icontrol-errors';

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

// Pure: a declared pool whose declaration is gone -> drain and remove our members, then our virtual server, then the
// pool itself, touching nothing f5-sync did not create (a hand-made member, virtual server or pool stays).

import { poolKey, type PoolConfig } from '../config';
import type { LivePool, LiveVirtual } from '../target/pool-model';
import { parseDeclaredPoolDescription, parseOwnerMark } from './owner-mark';
import { planPoolChanges, type PlanOptions, type PoolAction, type PoolPlan } from './pool-plan';
import type { VirtualAction } from './virtual-plan';

export interface RetirePlan {
  /** Member drains and removals (the pool's plan with Consul wanting nothing, the empty-answer guard off). */
  members: PoolPlan;
  /** Our virtual servers defaulting to the pool, once no member of ours is left. */
  virtuals: VirtualAction[];
  /** The pool's own DELETE, after the virtual servers: only a pool we created from a declaration, with nothing foreign in or on it. */
  pool?: Extract<PoolAction, { kind: 'removePool' }>;
  /** Why the pool itself stays (made by hand, a foreign member, a foreign virtual server uses it). */
  keptBecause?: string;
  /** Nothing of ours is left once this plan is applied: the retirement is over. */
  done: boolean;
}

export interface RetireInput {
  pool: PoolConfig;
  live: LivePool | undefined;
  /** The virtual servers of the pool's partition. */
  virtuals: readonly LiveVirtual[];
  now: number;
  options: PlanOptions;
}

export function planRetirement(input: RetireInput): RetirePlan {
  const { pool, live, virtuals, now, options } = input;
  const members = planPoolChanges({
    pool,
    desired: { status: 'ok', members: [], skipped: [] },
    live,
    now,
    options: { ...options, holdWhenEmptyFrom: 0 },
  });
  // A pool already gone is never created again on its way out.
  if (!live) members.actions = [];
  const path = poolKey(pool);
  const onPool = virtuals.filter((virtual) => virtual.pool === path);
  const ours = onPool.filter((virtual) => parseOwnerMark(virtual.description, options.ownerMark) !== undefined);
  const foreignVirtuals = onPool.filter((virtual) => !ours.includes(virtual));
  if (members.draining.length > 0) return { members, virtuals: [], done: false };
  // No member of ours left once the removals are applied: the front end goes, then the pool if it is ours alone.
  const removeVirtuals: VirtualAction[] = ours.map((virtual) => ({ kind: 'removeVirtual', ref: { partition: virtual.partition, name: virtual.name } }));
  if (!live) return { members, virtuals: removeVirtuals, done: true };
  let keptBecause: string | undefined;
  if (parseDeclaredPoolDescription(live.description, options.ownerMark) === undefined) keptBecause = 'the pool was not created by f5-sync';
  else if (members.foreign.length > 0) keptBecause = `members not created by f5-sync remain (${members.foreign.join(', ')})`;
  else if (foreignVirtuals.length > 0) keptBecause = `virtual servers not created by f5-sync use it (${foreignVirtuals.map((v) => `/${v.partition}/${v.name}`).join(', ')})`;
  return { members, virtuals: removeVirtuals, ...(keptBecause ? { keptBecause } : { pool: { kind: 'removePool' } }), done: true };
}

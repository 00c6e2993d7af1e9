// The pure diff of one pool: what Consul wants vs. what the BIG-IP has, as the smallest list of actions.
// No I/O here: every rule (ownership, drain, hold, zero priority sent explicitly) is decided from values.

import { poolKey, type PoolConfig } from '../config';
import { normaliseMonitorRule, type LiveMember, type LivePool, type MemberCreateBody, type MemberFields, type PoolRef, type PoolSettings } from '../target/pool-model';
import type { DesiredMember, DesiredPool } from './desired-members';
import { declaredPoolDescription, ownerDescription, parseOwnerMark, poolDescription, type OwnerMark } from './owner-mark';

/** Why a change is made: Consul changed, or the BIG-IP drifted from what we last applied (a hand edit). */
export type ChangeCause = 'consul' | 'drift';

export type PoolAction =
  | { kind: 'createPool'; settings: PoolSettings; description: string; members: MemberCreateBody[] }
  | { kind: 'updatePool'; changes: Partial<PoolSettings>; cause: ChangeCause }
  | { kind: 'addMember'; member: MemberCreateBody; cause: ChangeCause }
  | { kind: 'updateMember'; member: string; changes: Partial<MemberFields>; cause: ChangeCause }
  /** Session user-disabled (no new connections, existing ones continue) and the drain start noted in the description. */
  | { kind: 'drainMember'; member: string; changes: Pick<MemberFields, 'session' | 'description'> }
  | { kind: 'removeMember'; member: string }
  /** Only for a pool f5-sync created from a declaration that is gone (plan/retire-plan.ts). */
  | { kind: 'removePool' };

export interface PoolPlan {
  /** "/Common/web_pool" */
  pool: string;
  ref: PoolRef;
  actions: PoolAction[];
  /** Set when nothing may be changed (Consul unknown, or a sudden empty answer): the pool is held as it is. */
  hold?: { reason: string };
  /** Members f5-sync did not create: never changed, never removed. */
  foreign: string[];
  /** Members Consul wants that a foreign member already occupies (left alone, reported). */
  conflicts: string[];
  /** Our members being drained, and when the earliest drain ends (the loop comes back then). */
  draining: string[];
  recheckAt?: number;
  /** Count of members (or pool settings) repaired because they drifted from what we had applied. */
  driftRepairs: number;
  /** Our members on the BIG-IP after the plan is applied (for the members-per-pool gauge). */
  ours: number;
}

export interface PlanOptions {
  /** Description prefix marking members we created ("f5-sync" -> "f5-sync:web"). */
  ownerMark: string;
  drainPeriodMs: number;
  /** Hold when Consul answers "no instances" while we hold at least this many live members; 0 disables the guard. */
  holdWhenEmptyFrom: number;
}

/** Why an empty answer would be suspicious for this pool beyond `holdWhenEmptyFrom` (a reload that changed its source). */
export interface EmptyGuard {
  /** Hold from this many serving members of ours (1 after a reload changed the pool's service or tag). */
  from: number;
  reason: string;
}

export interface PlanInput {
  pool: PoolConfig;
  desired: DesiredPool;
  /** undefined: the pool does not exist on the BIG-IP. */
  live: LivePool | undefined;
  now: number;
  options: PlanOptions;
  /** Members as we last applied them (name -> priority/ratio); lets the plan tell drift repairs from Consul changes. */
  lastApplied?: ReadonlyMap<string, Pick<DesiredMember, 'priorityGroup' | 'ratio'>>;
  /** A stricter empty-answer guard for this pool (set by the loop after a reload changed where its members come from). */
  emptyGuard?: EmptyGuard;
}

function memberBody(pool: PoolConfig, member: DesiredMember, mark: string): MemberCreateBody {
  return {
    name: member.name,
    partition: pool.partition,
    address: member.address,
    priorityGroup: member.priorityGroup,
    ratio: member.ratio,
    session: 'user-enabled',
    state: 'user-up',
    description: ownerDescription(mark, pool.consulService),
  };
}

export function settingsOf(pool: PoolConfig): PoolSettings {
  const settings: PoolSettings = { loadBalancingMode: pool.loadBalancingMode, minActiveMembers: pool.minActiveMembers };
  if (pool.monitor !== undefined) settings.monitor = pool.monitor.trim();
  return settings;
}

function settingsChanges(pool: PoolConfig, live: LivePool): Partial<PoolSettings> {
  const want = settingsOf(pool);
  const changes: Partial<PoolSettings> = {};
  if (live.loadBalancingMode !== want.loadBalancingMode) changes.loadBalancingMode = want.loadBalancingMode;
  if (live.minActiveMembers !== want.minActiveMembers) changes.minActiveMembers = want.minActiveMembers;
  if (want.monitor !== undefined && normaliseMonitorRule(live.monitor ?? '') !== normaliseMonitorRule(want.monitor)) changes.monitor = want.monitor;
  return changes;
}

/** Fields of a member of ours that differ from what Consul wants (an enabled member, with our marker). */
function memberChanges(live: LiveMember, want: DesiredMember, description: string): Partial<MemberFields> {
  const changes: Partial<MemberFields> = {};
  if (live.priorityGroup !== want.priorityGroup) changes.priorityGroup = want.priorityGroup;
  if (live.ratio !== want.ratio) changes.ratio = want.ratio;
  if (live.session === 'user-disabled') changes.session = 'user-enabled';
  if (live.state === 'user-down') changes.state = 'user-up';
  if (live.description !== description) changes.description = description;
  return changes;
}

const isEmpty = (o: object) => Object.keys(o).length === 0;

/** Plans one pool. Unchanged state -> `actions: []`. */
export function planPoolChanges(input: PlanInput): PoolPlan {
  const { pool, desired, live, now, options, lastApplied, emptyGuard } = input;
  const ref: PoolRef = { partition: pool.partition, name: pool.name };
  const plan: PoolPlan = { pool: poolKey(ref), ref, actions: [], foreign: [], conflicts: [], draining: [], driftRepairs: 0, ours: 0 };
  const mark = options.ownerMark;

  const liveMembers = live?.members ?? [];
  const ours = new Map<string, { member: LiveMember; owner: OwnerMark }>();
  for (const member of liveMembers) {
    const owner = parseOwnerMark(member.description, mark);
    if (owner) ours.set(member.name, { member, owner });
    else plan.foreign.push(member.name);
  }
  plan.foreign.sort();
  plan.ours = ours.size;

  if (desired.status !== 'ok') {
    plan.hold = { reason: desired.reason };
    return plan;
  }
  const serving = [...ours.values()].filter((o) => o.owner.drainingSince === undefined).length;
  if (desired.members.length === 0 && options.holdWhenEmptyFrom > 0 && serving >= options.holdWhenEmptyFrom) {
    plan.hold = { reason: `Consul reports no passing instance of ${pool.consulService} while the pool has ${serving} serving members; holding` };
    return plan;
  }
  if (desired.members.length === 0 && emptyGuard && emptyGuard.from > 0 && serving >= emptyGuard.from) {
    plan.hold = { reason: `${emptyGuard.reason}: no passing instance of ${pool.consulService} while the pool has ${serving} serving members of ours; holding the last good state` };
    return plan;
  }

  const foreignNames = new Set(plan.foreign);
  const wanted = desired.members.filter((m) => {
    if (!foreignNames.has(m.name)) return true;
    plan.conflicts.push(m.name);
    return false;
  });

  if (!live) {
    plan.actions.push({
      kind: 'createPool',
      settings: settingsOf(pool),
      description: pool.origin === 'declaration' ? declaredPoolDescription(mark, pool.consulService) : poolDescription(mark, pool.consulService),
      members: wanted.map((m) => memberBody(pool, m, mark)),
    });
    plan.ours = wanted.length;
    return plan;
  }

  const poolChanges = settingsChanges(pool, live);
  if (!isEmpty(poolChanges)) plan.actions.push({ kind: 'updatePool', changes: poolChanges, cause: lastApplied ? 'drift' : 'consul' });

  const description = ownerDescription(mark, pool.consulService);
  const adds: PoolAction[] = [];
  const updates: PoolAction[] = [];
  for (const want of wanted) {
    const have = ours.get(want.name);
    const previous = lastApplied?.get(want.name);
    const unchangedInConsul = previous !== undefined && previous.priorityGroup === want.priorityGroup && previous.ratio === want.ratio;
    if (!have) {
      // Ours before, missing now, Consul unchanged: deleted by hand.
      adds.push({ kind: 'addMember', member: memberBody(pool, want, mark), cause: unchangedInConsul ? 'drift' : 'consul' });
      continue;
    }
    const changes = memberChanges(have.member, want, description);
    if (isEmpty(changes)) continue;
    const returning = have.owner.drainingSince !== undefined;
    updates.push({ kind: 'updateMember', member: want.name, changes, cause: unchangedInConsul && !returning ? 'drift' : 'consul' });
  }

  const wantedNames = new Set(wanted.map((m) => m.name));
  const drains: PoolAction[] = [];
  const removes: PoolAction[] = [];
  const gone = [...ours.values()].filter((o) => !wantedNames.has(o.member.name)).sort((a, b) => a.member.name.localeCompare(b.member.name));
  for (const { member, owner } of gone) {
    const since = owner.drainingSince;
    if (options.drainPeriodMs <= 0 || (since !== undefined && now >= since + options.drainPeriodMs)) {
      removes.push({ kind: 'removeMember', member: member.name });
      continue;
    }
    plan.draining.push(member.name);
    if (since === undefined) {
      drains.push({ kind: 'drainMember', member: member.name, changes: { session: 'user-disabled', description: ownerDescription(mark, owner.service, now) } });
      plan.recheckAt = Math.min(plan.recheckAt ?? Infinity, now + options.drainPeriodMs);
    } else {
      // Draining already; someone re-enabled it by hand -> disable again (the drain clock keeps running).
      if (member.session !== 'user-disabled') updates.push({ kind: 'updateMember', member: member.name, changes: { session: 'user-disabled' }, cause: 'drift' });
      plan.recheckAt = Math.min(plan.recheckAt ?? Infinity, since + options.drainPeriodMs);
    }
  }

  plan.actions.push(...adds, ...updates, ...drains, ...removes);
  plan.ours = ours.size + adds.length - removes.length;
  plan.driftRepairs = plan.actions.filter((a) => 'cause' in a && a.cause === 'drift').length;
  return plan;
}

// One pass over one pool, the pipeline in order: observe it live (through the pool target), plan against Consul,
// act (apply through the target, or print in dry-run), and re-read when the target moved under us.

import { crashPoint, errorMessage, type Logger } from '@consul-sidecars/core';
import { CRASH_POINTS } from './crash-points';
import { poolKey, type PoolConfig } from './config';
import type { F5SyncMetrics } from './metrics';
import type { DesiredMember, DesiredPool } from './plan/desired-members';
import { planPoolChanges, type EmptyGuard, type PlanOptions, type PoolPlan } from './plan/pool-plan';
import { planRetirement } from './plan/retire-plan';
import type { LivePool } from './target/pool-model';
import { StaleLiveStateError, type ApplyResult, type PoolTarget, type TargetCall } from './target/pool-target';

export type PoolSyncOutcome = 'unchanged' | 'applied' | 'held' | 'planned' | 'not-leader' | 'retiring' | 'retired';

export interface PoolSyncResult {
  pool: string;
  outcome: PoolSyncOutcome;
  plan: PoolPlan;
  /** Write calls sent (or printed, in dry-run). */
  writes: number;
  transaction: boolean;
}

export interface PoolSyncerOptions {
  target: PoolTarget;
  plan: PlanOptions;
  logger: Logger;
  metrics?: F5SyncMetrics;
  /** Plan and print, never write. */
  dryRun?: boolean;
  /** Where --dry-run prints each planned call. */
  printCall?: (pool: string, call: TargetCall) => void;
  /** Checked right before writing: false when this process is not (or no longer) the leader. */
  canWrite?: () => boolean;
  now?: () => number;
  /** Re-reads after a 409/404 that says our view was stale. */
  maxAttempts?: number;
  /** Stricter empty-answer guards by pool (after a reload changed a pool's source); a non-empty answer clears one. */
  emptyGuards?: Map<string, EmptyGuard>;
}

type Decided = { done: PoolSyncResult } | { plan: PoolPlan };

/** A first attempt decided ahead (syncMany), its writes already on their way with the others. */
interface FirstAttempt {
  decided: Decided;
  applied?: Promise<ApplyResult | Error>;
}

function orThrow(result: ApplyResult | Error): ApplyResult {
  if (result instanceof Error) throw result;
  return result;
}

/** Syncs pools one pass at a time; remembers what it applied so hand edits are told from Consul changes. */
export class PoolSyncer {
  private readonly lastApplied = new Map<string, Map<string, Pick<DesiredMember, 'priorityGroup' | 'ratio'>>>();
  private readonly heldPools = new Map<string, string>();

  constructor(private readonly options: PoolSyncerOptions) {}

  /** Pools held right now, with the reason (for /health). */
  get held(): ReadonlyMap<string, string> {
    return this.heldPools;
  }

  /** `preRead` carries the live pool when it was just read in bulk (a resync); otherwise the pool is read here. */
  sync(pool: PoolConfig, desired: DesiredPool, preRead?: { live: LivePool | undefined }): Promise<PoolSyncResult> {
    return this.pass(pool, desired, preRead);
  }

  /**
   * A full pass over many pools, each against its bulk-read live state: every pool is planned first, then all the
   * writes go to the target together (PoolTarget.applyMany: shared transactions on a BIG-IP). A pool the target
   * moved under is re-read and passed on its own, exactly as sync() does. One promise per item, in order.
   */
  syncMany(items: ReadonlyArray<{ pool: PoolConfig; desired: DesiredPool; live: LivePool | undefined }>): Array<Promise<PoolSyncResult>> {
    const decided = items.map(({ pool, desired, live }) => this.decide(pool, desired, live));
    const writing = new Map<number, number>();
    const plans: PoolPlan[] = [];
    decided.forEach((d, i) => {
      if ('plan' in d) writing.set(i, plans.push(d.plan) - 1);
    });
    const sent = plans.length > 0 ? this.options.target.applyMany(plans) : Promise.resolve([]);
    return items.map(({ pool, desired }, i) => {
      const slot = writing.get(i);
      const applied = slot === undefined ? undefined : sent.then((results) => results[slot]);
      return this.pass(pool, desired, undefined, { decided: decided[i], applied });
    });
  }

  /** One pool: read (unless given), plan, decide, apply; re-read and plan again when the target moved under us. */
  private async pass(pool: PoolConfig, desired: DesiredPool, preRead?: { live: LivePool | undefined }, first?: FirstAttempt): Promise<PoolSyncResult> {
    const { target, logger, metrics } = this.options;
    const key = poolKey(pool);
    const maxAttempts = this.options.maxAttempts ?? 3;
    const end = metrics?.syncSeconds.startTimer();
    try {
      for (let attempt = 1; ; attempt++) {
        const given = attempt === 1 ? first : undefined;
        const decided = given?.decided ?? this.decide(pool, desired, attempt === 1 && preRead ? preRead.live : await target.readPool(pool));
        if ('done' in decided) return decided.done;
        const { plan } = decided;
        try {
          const result = await (given?.applied ? given.applied.then(orThrow) : target.apply(plan));
          crashPoint(CRASH_POINTS.betweenPools);
          metrics?.transactions.inc({ outcome: 'ok' });
          if (plan.driftRepairs > 0) metrics?.driftRepaired.inc({ pool: key }, plan.driftRepairs);
          for (const action of plan.actions) logger.info({ pool: key, action: action.kind, member: 'member' in action ? (typeof action.member === 'string' ? action.member : action.member.name) : undefined, cause: 'cause' in action ? action.cause : undefined }, describe(action.kind));
          this.remember(key, desired);
          metrics?.syncs.inc({ outcome: 'applied' });
          metrics?.lastSuccess.set({ pool: key }, Date.now() / 1000);
          return { pool: key, outcome: 'applied', plan, writes: result.calls, transaction: result.transaction };
        } catch (err) {
          metrics?.transactions.inc({ outcome: err instanceof StaleLiveStateError ? 'stale' : 'failed' });
          if (!(err instanceof StaleLiveStateError) || attempt >= maxAttempts) throw err;
          logger.info({ pool: key, err: errorMessage(err.cause ?? err), attempt }, 'BIG-IP changed under us; re-reading the pool');
        }
      }
    } catch (err) {
      metrics?.syncs.inc({ outcome: 'failed' });
      throw err;
    } finally {
      end?.();
    }
  }

  /** Plan against the live pool, and every decision before acting: held, unchanged, dry-run (printed), not the leader. */
  private decide(pool: PoolConfig, desired: DesiredPool, live: LivePool | undefined): Decided {
    const { target, metrics } = this.options;
    const key = poolKey(pool);
    if (desired.status === 'ok' && desired.members.length > 0 && this.options.emptyGuards?.delete(key)) {
      this.options.logger.info({ pool: key }, 'the reloaded config gives the pool members: its empty-answer guard is lifted');
    }
    const plan = planPoolChanges({
      pool,
      desired,
      live,
      now: (this.options.now ?? Date.now)(),
      options: this.options.plan,
      lastApplied: this.lastApplied.get(key),
      emptyGuard: this.options.emptyGuards?.get(key),
    });
    this.report(plan, live);
    if (plan.hold) {
      metrics?.syncs.inc({ outcome: 'held' });
      return { done: { pool: key, outcome: 'held', plan, writes: 0, transaction: false } };
    }
    if (plan.actions.length === 0) {
      this.remember(key, desired);
      metrics?.syncs.inc({ outcome: 'unchanged' });
      metrics?.lastSuccess.set({ pool: key }, Date.now() / 1000);
      return { done: { pool: key, outcome: 'unchanged', plan, writes: 0, transaction: false } };
    }
    if (this.options.dryRun) {
      for (const call of target.preview(plan)) this.options.printCall?.(key, call);
      metrics?.syncs.inc({ outcome: 'planned' });
      return { done: { pool: key, outcome: 'planned', plan, writes: plan.actions.length, transaction: plan.actions.length > 1 } };
    }
    if (this.options.canWrite && !this.options.canWrite()) {
      metrics?.syncs.inc({ outcome: 'not_leader' });
      return { done: { pool: key, outcome: 'not-leader', plan, writes: 0, transaction: false } };
    }
    return { plan };
  }

  /**
   * One pass over a declared pool whose declaration is gone: drain and remove our members, then (none of ours left)
   * our virtual server and the pool, each only when f5-sync made it. Outcome `retired` once nothing of ours is left.
   */
  async retire(pool: PoolConfig): Promise<PoolSyncResult> {
    const { target, logger, metrics } = this.options;
    const key = poolKey(pool);
    const live = await target.readPool(pool);
    const virtuals = await target.readVirtuals([pool.partition]);
    const plan = planRetirement({ pool, live, virtuals, now: (this.options.now ?? Date.now)(), options: this.options.plan });
    const steps = [
      ...plan.members.actions.map((action) => ({ what: 'member' as const, action })),
      ...plan.virtuals.map((action) => ({ what: 'virtual' as const, action })),
      ...(plan.pool ? [{ what: 'pool' as const, action: plan.pool }] : []),
    ];
    const result = (outcome: PoolSyncOutcome, writes: number): PoolSyncResult => ({ pool: key, outcome, plan: plan.members, writes, transaction: false });
    if (steps.length > 0 && this.options.dryRun) {
      for (const call of target.preview(plan.members)) this.options.printCall?.(key, call);
      for (const action of plan.virtuals) this.options.printCall?.(key, target.previewVirtual(action));
      if (plan.pool) for (const call of target.preview({ pool: key, ref: plan.members.ref, actions: [plan.pool] })) this.options.printCall?.(key, call);
      return result('planned', steps.length);
    }
    if (steps.length > 0 && this.options.canWrite && !this.options.canWrite()) return result('not-leader', 0);
    let writes = 0;
    if (plan.members.actions.length > 0) {
      writes += (await target.apply(plan.members)).calls;
      for (const action of plan.members.actions) logger.info({ pool: key, action: action.kind, member: 'member' in action ? (typeof action.member === 'string' ? action.member : action.member.name) : undefined, cause: 'declaration removed' }, describe(action.kind));
    }
    // The virtual server before the pool it defaults to: a BIG-IP refuses to delete a pool a virtual server uses.
    for (const action of plan.virtuals) {
      await target.applyVirtual(action);
      writes++;
      logger.info({ pool: key, virtual: `/${action.ref.partition}/${action.ref.name}`, action: action.kind }, 'removed virtual server (its declaration is gone)');
    }
    if (plan.virtuals.length > 0) crashPoint(CRASH_POINTS.retireAfterVirtual);
    if (plan.pool) {
      writes += (await target.apply({ pool: key, ref: plan.members.ref, actions: [plan.pool] })).calls;
      logger.info({ pool: key, action: 'removePool' }, describe('removePool'));
    } else if (plan.done && plan.keptBecause && live) {
      logger.warn({ pool: key, reason: plan.keptBecause }, 'declaration gone: our members are removed, the pool itself stays');
    }
    if (plan.done) {
      this.lastApplied.delete(key);
      this.heldPools.delete(key);
      metrics?.members.remove({ pool: key, owner: 'f5-sync' });
      metrics?.members.remove({ pool: key, owner: 'foreign' });
      metrics?.held.remove({ pool: key });
      metrics?.lastSuccess.remove({ pool: key });
    } else {
      metrics?.members.set({ pool: key, owner: 'f5-sync' }, plan.members.ours);
    }
    metrics?.syncs.inc({ outcome: plan.done ? 'retired' : 'retiring' });
    return result(plan.done ? 'retired' : 'retiring', writes);
  }

  private remember(key: string, desired: DesiredPool): void {
    if (desired.status !== 'ok') return;
    this.lastApplied.set(key, new Map(desired.members.map((m) => [m.name, { priorityGroup: m.priorityGroup, ratio: m.ratio }])));
  }

  private report(plan: PoolPlan, live: LivePool | undefined): void {
    const { logger, metrics } = this.options;
    metrics?.members.set({ pool: plan.pool, owner: 'f5-sync' }, plan.ours);
    metrics?.members.set({ pool: plan.pool, owner: 'foreign' }, plan.foreign.length);
    metrics?.held.set({ pool: plan.pool }, plan.hold ? 1 : 0);
    if (plan.hold) {
      if (this.heldPools.get(plan.pool) !== plan.hold.reason) logger.error({ pool: plan.pool, reason: plan.hold.reason }, 'holding pool as it is: not changing anything');
      this.heldPools.set(plan.pool, plan.hold.reason);
    } else if (this.heldPools.delete(plan.pool)) {
      logger.info({ pool: plan.pool }, 'pool no longer held');
    }
    if (plan.foreign.length > 0) logger.debug({ pool: plan.pool, foreign: plan.foreign }, 'members not created by f5-sync left alone');
    if (plan.conflicts.length > 0) logger.warn({ pool: plan.pool, members: plan.conflicts }, 'a member Consul wants is held by a member f5-sync did not create; left alone');
    if (live === undefined && !plan.hold) logger.info({ pool: plan.pool }, 'pool missing on the BIG-IP; creating it');
  }
}

function describe(kind: string): string {
  switch (kind) {
    case 'createPool':
      return 'created pool';
    case 'updatePool':
      return 'updated pool settings';
    case 'addMember':
      return 'added member';
    case 'updateMember':
      return 'updated member';
    case 'drainMember':
      return 'draining member (user-disabled)';
    case 'removePool':
      return 'removed pool (its declaration is gone)';
    default:
      return 'removed member';
  }
}

// The daemon's loop: Consul changes (debounced per pool), a periodic full resync against the live BIG-IP,
// drain deadlines and retries, all funnelled into single-flight pool passes; only the leader touches the BIG-IP.

import { backoffDelay, errorMessage, KeyedSingleFlight, LeaderLock, Semaphore, type ConsulClient, type HealthReport, type Logger } from '@consul-sidecars/core';
import { durationMs, poolKey, type F5SyncConfig, type PoolConfig } from './config';
import type { F5SyncMetrics } from './metrics';
import { ConsulInstances } from './observe/consul-instances';
import { PoolSyncer, type PoolSyncResult } from './pool-pass';
import { planVirtualServers } from './plan/virtual-plan';
import type { LivePool } from './target/pool-model';
import type { PoolTarget, TargetCall } from './target/pool-target';

export interface SyncLoopOptions {
  config: F5SyncConfig;
  /** The load balancer the pools live on (the BIG-IP first): the loop reads and writes only through it. */
  target: PoolTarget;
  consul: ConsulClient;
  logger: Logger;
  metrics?: F5SyncMetrics;
  dryRun?: boolean;
  printCall?: (pool: string, call: TargetCall) => void;
  /** Campaign for the leader lock (config.leaderLock.enabled unless overridden); --once and --dry-run do not. */
  useLeaderLock?: boolean;
  /** How long to wait for Consul's first answers before the first pass (pools without an answer are held). */
  consulReadyTimeoutMs?: number;
  /** `wait=` of the blocking queries. */
  consulWaitSeconds?: number;
  /** Periodic side jobs (SNAT capacity) started once the loop runs and stopped with it. */
  companions?: Array<{ start(): void; stop(): void }>;
}

export interface PassSummary {
  results: PoolSyncResult[];
  failed: Array<{ pool: string; error: string }>;
}

export class SyncLoop {
  readonly instances: ConsulInstances;
  readonly syncer: PoolSyncer;
  private readonly pools = new Map<string, PoolConfig>();
  private readonly byService = new Map<string, string[]>();
  private readonly debounce = new Map<string, { firstAt: number; timer: NodeJS.Timeout }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** One pass per pool at a time; a pass asked for meanwhile runs once after it. */
  private readonly flights = new KeyedSingleFlight<string>();
  private readonly failures = new Map<string, { count: number; error: string }>();
  private readonly semaphore: Semaphore;
  private readonly lock?: LeaderLock;
  private resyncTimer?: NodeJS.Timeout;
  private started = false;
  private versionLogged = false;
  private stopped = false;
  private readonly debounceMinMs: number;
  private readonly debounceMaxMs: number;

  constructor(private readonly options: SyncLoopOptions) {
    const { config, target, consul, logger, metrics } = options;
    for (const pool of config.pools) {
      const key = poolKey(pool);
      this.pools.set(key, pool);
      this.byService.set(pool.consulService, [...(this.byService.get(pool.consulService) ?? []), key]);
    }
    this.debounceMinMs = durationMs(config.debounce.min, 'debounce.min');
    this.debounceMaxMs = Math.max(this.debounceMinMs, durationMs(config.debounce.max, 'debounce.max'));
    this.semaphore = new Semaphore(config.concurrency);
    this.instances = new ConsulInstances(consul, config.pools.map((p) => p.consulService), config, logger, options.consulWaitSeconds);
    if (options.useLeaderLock ?? config.leaderLock.enabled) {
      this.lock = new LeaderLock({ consul, key: config.leaderLock.key, ttl: config.leaderLock.ttl, lockDelay: config.leaderLock.lockDelay, logger });
    }
    this.syncer = new PoolSyncer({
      target,
      logger,
      metrics,
      dryRun: options.dryRun,
      printCall: options.printCall,
      canWrite: () => this.isLeader,
      plan: {
        ownerMark: config.ownerMark,
        drainPeriodMs: durationMs(config.drainPeriod, 'drainPeriod'),
        holdWhenEmptyFrom: config.safety.holdWhenEmptyFrom,
      },
    });
  }

  /** True when this process may write: it holds the lock, or runs without one. */
  get isLeader(): boolean {
    return !this.lock || this.lock.isLeader;
  }

  /** One full pass and done (--once): waits for Consul's first answers, syncs every pool, reports. */
  async runOnce(): Promise<PassSummary> {
    this.instances.start();
    try {
      await this.instances.ready(this.options.consulReadyTimeoutMs ?? 10_000).catch((err) => {
        this.options.logger.error({ err: errorMessage(err) }, 'Consul did not answer for every service; those pools are held');
      });
      return await this.fullPass();
    } finally {
      await this.instances.stop();
    }
  }

  /** Runs until stop(): watches Consul, campaigns for the lock, resyncs periodically. */
  async start(): Promise<void> {
    const { logger, config, metrics } = this.options;
    this.instances.on('change', (service) => this.onServiceChange(service));
    this.instances.on('unavailable', (service) => this.onServiceChange(service));
    this.instances.start();
    await this.instances.ready(this.options.consulReadyTimeoutMs ?? 10_000).catch((err) => {
      logger.error({ err: errorMessage(err) }, 'Consul did not answer for every service; those pools are held until it does');
    });
    if (this.stopped) return;
    this.started = true;
    if (this.lock) {
      this.lock.on('elected', () => {
        metrics?.leader.set(1);
        logger.info('leader: syncing every pool');
        void this.fullPass();
      });
      this.lock.on('lost', (reason) => {
        metrics?.leader.set(0);
        logger.warn({ reason }, 'no longer leader: not writing to the BIG-IP');
      });
      this.lock.start();
    } else {
      metrics?.leader.set(1);
      void this.fullPass();
    }
    const resyncMs = durationMs(config.resyncInterval, 'resyncInterval');
    if (resyncMs > 0) {
      this.resyncTimer = setInterval(() => {
        if (this.isLeader) void this.fullPass();
      }, resyncMs);
    }
    for (const companion of this.options.companions ?? []) companion.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const companion of this.options.companions ?? []) companion.stop();
    clearInterval(this.resyncTimer);
    for (const { timer } of this.debounce.values()) clearTimeout(timer);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.debounce.clear();
    this.timers.clear();
    await this.instances.stop();
    this.flights.cancelReruns();
    await this.flights.settled();
    await this.lock?.stop();
  }

  health(): HealthReport {
    const held = Object.fromEntries(this.syncer.held);
    const failing = Object.fromEntries([...this.failures].map(([pool, f]) => [pool, f.error]));
    return {
      ok: Object.keys(failing).length === 0 && Object.keys(held).length === 0,
      leader: this.isLeader,
      pools: this.pools.size,
      held,
      failing,
    };
  }

  /** Every pool, diffed against a fresh read of the BIG-IP (one collection GET when there are many). */
  async fullPass(): Promise<PassSummary> {
    const summary: PassSummary = { results: [], failed: [] };
    if (this.stopped || !this.isLeader) return summary;
    const refs = [...this.pools.values()];
    if (!this.versionLogged) {
      // What iControl clients ask first: proves address, TLS and credentials before any pool is touched.
      try {
        const version = await this.options.target.connect();
        this.versionLogged = true;
        this.options.logger.info({ version }, 'connected to the BIG-IP');
      } catch (err) {
        this.options.logger.error({ err: errorMessage(err), code: (err as { code?: string }).code }, 'cannot reach the BIG-IP');
      }
    }
    let live: Map<string, LivePool | undefined> | undefined;
    try {
      live = await this.options.target.readPools(refs);
    } catch (err) {
      this.options.logger.warn({ err: errorMessage(err) }, 'reading the BIG-IP pools failed; each pool is read on its own');
    }
    // Pools not mid-pass are planned together and their writes sent together; a pool mid-pass runs again after it.
    const idle = live && !this.stopped && this.isLeader ? refs.filter((pool) => !this.flights.isRunning(poolKey(pool))) : [];
    const passes = this.syncer.syncMany(idle.map((pool) => ({ pool, desired: this.instances.desired(pool), live: live?.get(poolKey(pool)) })));
    // Handled here too, so a pass the loop declines to wait for cannot surface as an unhandled rejection.
    for (const pass of passes) pass.catch(() => undefined);
    const batched = new Map(idle.map((pool, i) => [poolKey(pool), passes[i]]));
    await Promise.all(
      refs.map(async (pool) => {
        const key = poolKey(pool);
        const pass = batched.get(key);
        const result = await this.runPool(key, pass && (() => pass));
        if (result && 'error' in result) summary.failed.push({ pool: key, error: result.error });
        else if (result) summary.results.push(result);
      }),
    );
    // Virtual servers after the pools they default to; they change with the config, not with Consul.
    if (!this.stopped && this.isLeader) await this.syncVirtuals(refs);
    return summary;
  }

  /** Virtual servers the pools name: created, repaired, or removed when ours and no longer named. Failures are logged. */
  private async syncVirtuals(pools: PoolConfig[]): Promise<void> {
    const { target, logger, config } = this.options;
    try {
      const live = await target.readVirtuals([...new Set([config.partition, ...pools.map((pool) => pool.partition)])]);
      const plan = planVirtualServers(pools, live, config.ownerMark);
      if (plan.foreign.length > 0) logger.warn({ virtuals: plan.foreign }, 'a virtual server a pool names exists but was not created by f5-sync; left alone');
      for (const action of plan.actions) {
        const virtual = `/${action.ref.partition}/${action.ref.name}`;
        if (this.options.dryRun) {
          this.options.printCall?.(virtual, target.previewVirtual(action));
          continue;
        }
        try {
          await target.applyVirtual(action);
          logger.info({ virtual, action: action.kind, ...(action.kind === 'updateVirtual' ? { changes: Object.keys(action.changes) } : {}) }, 'virtual server synced');
        } catch (err) {
          // One virtual server (e.g. its pool not created yet) never stops the others.
          logger.error({ virtual, action: action.kind, err: errorMessage(err), code: (err as { code?: string }).code }, 'virtual server sync failed; retried on the next full pass');
        }
      }
    } catch (err) {
      logger.error({ err: errorMessage(err), code: (err as { code?: string }).code }, 'reading virtual servers failed; retried on the next full pass');
    }
  }

  private onServiceChange(service: string): void {
    if (!this.started || this.stopped) return;
    for (const key of this.byService.get(service) ?? []) this.schedule(key);
  }

  /** Quiescence: run `min` after the last change, but at most `max` after the first (CTS's buffer period). */
  private schedule(key: string): void {
    const now = Date.now();
    const pending = this.debounce.get(key);
    const firstAt = pending?.firstAt ?? now;
    if (pending) clearTimeout(pending.timer);
    const fireIn = Math.max(0, Math.min(now + this.debounceMinMs, firstAt + this.debounceMaxMs) - now);
    const timer = setTimeout(() => {
      this.debounce.delete(key);
      void this.runPool(key);
    }, fireIn);
    this.debounce.set(key, { firstAt, timer });
  }

  /** A timer for this pool (drain deadline or retry); the earlier one wins. */
  private later(key: string, at: number): void {
    if (this.stopped) return;
    const existing = this.timers.get(key) as (NodeJS.Timeout & { at?: number }) | undefined;
    if (existing?.at !== undefined && existing.at <= at) return;
    clearTimeout(existing);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      void this.runPool(key);
    }, Math.max(0, at - Date.now())) as NodeJS.Timeout & { at?: number };
    timer.at = at;
    this.timers.set(key, timer);
  }

  /**
   * Single flight per pool: a pass asked for while one runs is run once more afterwards. `started` is a pass of a
   * full pass's batch (bounded by the target's request cap); any other pass takes one of `concurrency` slots.
   */
  private async runPool(key: string, started?: () => Promise<PoolSyncResult>): Promise<PoolSyncResult | { error: string } | undefined> {
    if (this.stopped || !this.isLeader) return undefined;
    const pool = this.pools.get(key);
    if (!pool) return undefined;
    let outcome: PoolSyncResult | { error: string } | undefined;
    const task = () =>
      (started ? started() : this.semaphore.run(() => this.syncer.sync(pool, this.instances.desired(pool))))
        .then((result) => {
          outcome = result;
          if (this.failures.delete(key)) this.options.logger.info({ pool: key }, 'pool sync recovered');
          if (result.plan.recheckAt !== undefined) this.later(key, result.plan.recheckAt + 50);
        })
        .catch((err: unknown) => {
          const failure = { count: (this.failures.get(key)?.count ?? 0) + 1, error: errorMessage(err) };
          this.failures.set(key, failure);
          const delay = backoffDelay(failure.count, { baseMs: 1000, maxMs: 30_000, jitter: 0.5 });
          this.options.logger.error({ pool: key, err: failure.error, code: (err as { code?: string }).code, attempt: failure.count, retryInMs: delay }, 'pool sync failed; keeping the BIG-IP as it is and retrying');
          outcome = { error: failure.error };
          this.later(key, Date.now() + delay);
        });
    const pass = this.flights.run(key, task, () => void this.runPool(key));
    if (!pass) return undefined;
    await pass;
    return outcome;
  }
}

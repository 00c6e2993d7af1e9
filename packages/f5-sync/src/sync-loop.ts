// The daemon's loop: Consul changes (debounced per pool), a periodic full resync against the live BIG-IP,
// drain deadlines and retries, all funnelled into single-flight pool passes; only the leader touches the BIG-IP.

import { backoffDelay, errorMessage, KeyedSingleFlight, LeaderLock, Semaphore, type ConsulClient, type HealthReport, type Logger, type ServiceChangeFeed } from '@consul-sidecars/core';
import { durationMs, poolKey, type F5SyncConfig, type PoolConfig } from './config';
import type { F5SyncMetrics } from './metrics';
import { CatalogDeclarations } from './observe/catalog-declarations';
import { ConsulInstances } from './observe/consul-instances';
import { consulWatch } from './observe/consul-watch-options';
import { nextDeclarations, type ServiceDeclarationInput } from './observe/declared-pools';
import { parseDeclaredPoolDescription } from './plan/owner-mark';
import type { EmptyGuard } from './plan/pool-plan';
import { PoolSyncer, type PoolSyncResult } from './pool-pass';
import { planVirtualServers } from './plan/virtual-plan';
import type { LivePool } from './target/pool-model';
import type { PoolTarget, TargetCall } from './target/pool-target';

export interface SyncLoopOptions {
  config: F5SyncConfig;
  /** The load balancer the pools live on (the BIG-IP first): the loop reads and writes only through it. */
  target: PoolTarget;
  consul: ConsulClient;
  /** The process's one change feed over Consul (core's ConsulHttpClient): every pool's health watch goes through it. */
  feed: ServiceChangeFeed;
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
  /** The pools of the config this one replaces (SIGHUP): a pool whose service or tag changed gets the stricter empty guard. */
  previousPools?: readonly PoolConfig[];
}

export interface PassSummary {
  results: PoolSyncResult[];
  failed: Array<{ pool: string; error: string }>;
}

export class SyncLoop {
  readonly instances: ConsulInstances;
  readonly syncer: PoolSyncer;
  /** Configured and declared pools, by poolKey. */
  private pools = new Map<string, PoolConfig>();
  private readonly byService = new Map<string, string[]>();
  /** Declared pools by declaring service (the last good declarations). */
  private declared = new Map<string, PoolConfig>();
  /** Declared pools whose declaration is gone: drained and removed, then forgotten. */
  private readonly retiring = new Map<string, PoolConfig>();
  /** Declared pools waiting for their service's first Consul answer (their first pass is a full one, for the virtual server). */
  private readonly awaitingFirstAnswer = new Set<string>();
  private readonly emptyGuards = new Map<string, EmptyGuard>();
  private readonly declarations?: CatalogDeclarations;
  private readonly fullPasses = new KeyedSingleFlight<'full'>();
  private lastDeclarationErrors = new Set<string>();
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
    for (const pool of config.pools) this.pools.set(poolKey(pool), pool);
    this.indexServices();
    const previous = new Map((options.previousPools ?? []).map((pool) => [poolKey(pool), pool]));
    for (const pool of config.pools) {
      const before = previous.get(poolKey(pool));
      if (!before || (before.consulService === pool.consulService && before.tag === pool.tag)) continue;
      const change = before.consulService !== pool.consulService ? `consulService ${before.consulService} -> ${pool.consulService}` : `tag ${before.tag ?? '(none)'} -> ${pool.tag ?? '(none)'}`;
      this.emptyGuards.set(poolKey(pool), { from: 1, reason: `the reloaded config changed where pool ${poolKey(pool)} gets its members (${change})` });
    }
    if (config.declarations.enabled) {
      this.declarations = new CatalogDeclarations(consul, config.declarations, logger, consulWatch(config, options.consulWaitSeconds));
      this.declarations.on('change', (inputs) => this.onDeclarations(inputs));
      this.declarations.on('unavailable', (reason, consecutive) => {
        logger.warn({ reason }, 'declarations: keeping the last good declared pools');
        this.consulFailed(consecutive);
      });
      this.declarations.on('change', () => metrics?.consulReachable.set(1));
      this.declarations.on('recovered', () => metrics?.consulReachable.set(1));
    }
    this.debounceMinMs = durationMs(config.debounce.min, 'debounce.min');
    this.debounceMaxMs = durationMs(config.debounce.max, 'debounce.max');
    this.semaphore = new Semaphore(config.concurrency);
    this.instances = new ConsulInstances(options.feed, config.pools.map((p) => p.consulService), config, logger, consulWatch(config, options.consulWaitSeconds));
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
      emptyGuards: this.emptyGuards,
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
    await this.startDeclarations();
    this.instances.start();
    try {
      await this.instances.ready(this.options.consulReadyTimeoutMs ?? 10_000).catch((err) => {
        this.options.logger.error({ err: errorMessage(err) }, 'Consul did not answer for every service; those pools are held');
      });
      return await this.fullPass();
    } finally {
      await this.declarations?.stop();
      await this.instances.stop();
    }
  }

  /** Runs until stop(): watches Consul, campaigns for the lock, resyncs periodically. */
  async start(): Promise<void> {
    const { logger, config, metrics } = this.options;
    this.instances.on('change', (service) => this.onServiceChange(service));
    this.instances.on('unavailable', (service, _reason, consecutive) => {
      this.consulFailed(consecutive);
      this.onServiceChange(service);
    });
    this.instances.on('change', () => metrics?.consulReachable.set(1));
    await this.startDeclarations();
    this.instances.start();
    await this.instances.ready(this.options.consulReadyTimeoutMs ?? 10_000).then(
      () => metrics?.consulReachable.set(1),
      (err) => {
        metrics?.errors.inc({ kind: 'ERR_CONSUL_TIMEOUT' });
        logger.error({ err: errorMessage(err), code: (err as { code?: string }).code }, 'Consul did not answer for every service; those pools are held until it does');
      },
    );
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
    await this.declarations?.stop();
    await this.instances.stop();
    this.fullPasses.cancelReruns();
    await this.fullPasses.settled();
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
      ...(this.declarations ? { declared: this.declared.size, retiring: [...this.retiring.keys()] } : {}),
      held,
      failing,
    };
  }

  /** Every pool, diffed against a fresh read of the BIG-IP (one collection GET when there are many). */
  async fullPass(): Promise<PassSummary> {
    const summary: PassSummary = { results: [], failed: [] };
    if (this.stopped || !this.isLeader) return summary;
    const refs = [...this.pools.values()].filter((pool) => !this.awaitingFirstAnswer.has(poolKey(pool)));
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
    if (!this.stopped && this.isLeader) await this.retireDeclared(summary);
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
    const keys = this.byService.get(service) ?? [];
    const first = keys.filter((key) => this.awaitingFirstAnswer.delete(key)).length > 0;
    if (!this.started || this.stopped) return;
    if (first) {
      this.requestFullPass();
      return;
    }
    for (const key of keys) this.schedule(key);
  }

  /** A Consul query failed: counted by kind; Consul is called unreachable only after consecutive failures (#14 item 4). */
  private consulFailed(consecutive: number): void {
    this.options.metrics?.errors.inc({ kind: 'ERR_CONSUL_UNAVAILABLE' });
    if (consecutive >= 2) this.options.metrics?.consulReachable.set(0);
  }

  /** byService from the pools; the Consul watchers follow: one per service some pool uses. */
  private indexServices(): void {
    this.byService.clear();
    for (const [key, pool] of this.pools) this.byService.set(pool.consulService, [...(this.byService.get(pool.consulService) ?? []), key]);
  }

  /** Starts the catalog watch (declarations on) and waits for its first declarations, so a first pass sees them. */
  private async startDeclarations(): Promise<void> {
    if (!this.declarations) return;
    this.declarations.start();
    const answered = await this.declarations.settled(this.options.consulReadyTimeoutMs ?? 10_000);
    if (!answered) this.options.logger.error('Consul did not answer for the catalog within the deadline: declared pools are added once it does');
  }

  /** A new catalog answer: the declared pools it gives (last good kept per service), then the loop's pools follow. */
  private onDeclarations(inputs: ServiceDeclarationInput[]): void {
    const { config, logger, metrics } = this.options;
    const next = nextDeclarations(this.declared, inputs, config.pools, {
      partition: config.partition,
      loadBalancingMode: config.declarations.loadBalancingMode,
      minActiveMembers: config.declarations.minActiveMembers,
    }, { keys: config.declarations, holdWhenAllGoneFrom: config.safety.holdWhenEmptyFrom });
    const messages = new Set(next.errors.map((e) => e.message));
    for (const error of next.errors) {
      if (this.lastDeclarationErrors.has(error.message)) continue;
      if (error.configured) logger.warn({ service: error.service, key: error.key, value: error.value }, error.message);
      else logger.error({ service: error.service, key: error.key, value: error.value, kept: next.kept.includes(error.service) }, `${error.message}; the last good declaration stays`);
      metrics?.errors.inc({ kind: 'ERR_DECLARATION' });
    }
    this.lastDeclarationErrors = messages;
    if (next.held) logger.error({ declared: next.pools.size }, next.held);
    metrics?.declarationsHeld.set(next.held ? 1 : 0);
    this.declared = next.pools;
    metrics?.declaredPools.set(this.declared.size);
    this.updatePools();
  }

  /** Configured pools, then declared ones; a declared pool no longer declared starts retiring, one declared again stops. */
  private updatePools(): void {
    const { config, logger } = this.options;
    const next = new Map<string, PoolConfig>();
    for (const pool of config.pools) next.set(poolKey(pool), pool);
    for (const pool of this.declared.values()) if (!next.has(poolKey(pool))) next.set(poolKey(pool), pool);
    let changed = false;
    for (const [key, pool] of this.pools) {
      if (next.has(key)) continue;
      changed = true;
      this.awaitingFirstAnswer.delete(key);
      if (pool.origin === 'declaration') {
        this.retiring.set(key, pool);
        logger.info({ pool: key, service: pool.consulService }, 'declaration gone: draining and removing what f5-sync created for the pool');
      }
    }
    for (const [key, pool] of next) {
      const before = this.pools.get(key);
      if (before && JSON.stringify(before) === JSON.stringify(pool)) continue;
      changed = true;
      if (this.retiring.delete(key)) logger.info({ pool: key, service: pool.consulService }, 'declared again: the pool is kept');
      else if (!before) logger.info({ pool: key, service: pool.consulService, virtual: pool.virtual?.destination }, 'pool declared in Consul: syncing it');
      // Before the watchers start, their first answers are awaited anyway (ready()); after, this pool waits for its own.
      if (this.instances.running && !this.instances.has(pool.consulService)) this.awaitingFirstAnswer.add(key);
    }
    if (!changed) return;
    this.pools = next;
    this.indexServices();
    for (const service of this.byService.keys()) this.instances.add(service);
    for (const pool of this.retiring.values()) if (!this.byService.has(pool.consulService)) void this.instances.remove(pool.consulService);
    this.requestFullPass();
  }

  /** A full pass soon (declarations changed, a declared service answered first): one at a time, one more if asked meanwhile. */
  private requestFullPass(): void {
    if (!this.started || this.stopped || !this.isLeader) return;
    const pass = this.fullPasses.run('full', () => this.fullPass(), () => this.requestFullPass());
    pass?.catch(() => undefined);
  }

  /**
   * Declared pools whose declaration is gone: the ones this process saw go, and (declarations on, answered) pools
   * in our partitions whose description says f5-sync created them from a declaration nobody makes now: what a
   * process killed mid-retirement, or restarted after a declaration went, left behind.
   */
  private async retireDeclared(summary: PassSummary): Promise<void> {
    const { config, target, logger } = this.options;
    if (this.declarations?.ready) {
      try {
        const partitions = [...new Set([config.partition, ...[...this.pools.values()].map((pool) => pool.partition)])];
        for (const live of await target.listPools(partitions)) {
          const key = poolKey(live);
          const service = parseDeclaredPoolDescription(live.description, config.ownerMark);
          if (service === undefined || this.pools.has(key) || this.retiring.has(key)) continue;
          this.retiring.set(key, { consulService: service, name: live.name, partition: live.partition, loadBalancingMode: live.loadBalancingMode, minActiveMembers: live.minActiveMembers, origin: 'declaration' });
          logger.info({ pool: key, service }, 'a pool created from a declaration nobody makes now: draining and removing what f5-sync created for it');
        }
      } catch (err) {
        logger.warn({ err: errorMessage(err), code: (err as { code?: string }).code }, 'listing the partitions\' pools failed; left-over declared pools are looked for on the next full pass');
      }
    }
    await Promise.all([...this.retiring.keys()].map(async (key) => {
      const result = await this.runPool(key);
      if (result && 'error' in result) summary.failed.push({ pool: key, error: result.error });
      else if (result) summary.results.push(result);
    }));
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
    const active = this.pools.get(key);
    const retiring = active ? undefined : this.retiring.get(key);
    const pool = active ?? retiring;
    if (!pool) return undefined;
    let outcome: PoolSyncResult | { error: string } | undefined;
    const pass = (): Promise<PoolSyncResult> => {
      if (!retiring) return started ? started() : this.semaphore.run(() => this.syncer.sync(pool, this.instances.desired(pool)));
      return this.semaphore.run(() => this.syncer.retire(pool));
    };
    const task = () =>
      pass()
        .then((result) => {
          outcome = result;
          // Forgotten only if it was not declared again meanwhile.
          if (result.outcome === 'retired' && this.retiring.get(key) === retiring) this.retiring.delete(key);
          if (this.failures.delete(key)) this.options.logger.info({ pool: key }, 'pool sync recovered');
          if (result.plan.recheckAt !== undefined) this.later(key, result.plan.recheckAt + 50);
        })
        .catch((err: unknown) => {
          const failure = { count: (this.failures.get(key)?.count ?? 0) + 1, error: errorMessage(err) };
          this.options.metrics?.errors.inc({ kind: (err as { code?: string }).code ?? 'unknown' });
          this.failures.set(key, failure);
          const delay = backoffDelay(failure.count, { baseMs: 1000, maxMs: 30_000, jitter: 0.5 });
          this.options.logger.error({ pool: key, err: failure.error, code: (err as { code?: string }).code, attempt: failure.count, retryInMs: delay }, 'pool sync failed; keeping the BIG-IP as it is and retrying');
          outcome = { error: failure.error };
          this.later(key, Date.now() + delay);
        });
    const flight = this.flights.run(key, task, () => void this.runPool(key));
    if (!flight) return undefined;
    await flight;
    return outcome;
  }
}

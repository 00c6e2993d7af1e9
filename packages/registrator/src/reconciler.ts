// The observe -> plan -> act loop: Docker events and full resyncs on one side, the agent's services on the other.

import type { Logger } from 'pino';
import { backoffDelay, errorMessage, sleep, type BlockingWatcher } from '@consul-sidecars/core';
import type { ContainerInspect } from './container-inspect';
import type { ContainerSource, DockerEvent } from './docker-source';
import type { ServiceRegistry } from './consul-registry';
import { ConsulHttpError } from './consul-http';
import { isOwned, planRegistrations, type AgentCheck, type AgentService, type Plan, type PlanAction } from './plan';
import { containerDisposition, defineContainerServices, matchesLabelFilter, type ContainerDefinition, type DefinitionOptions } from './service-definitions';
import type { RegistratorMetrics } from './metrics';

export interface RoleSource {
  watcher: BlockingWatcher<Map<string, string>>;
  /** Removes the role key of an instance whose container is gone. */
  deleteRole(serviceId: string): Promise<void>;
}

export interface ReconcilerOptions {
  definition: DefinitionOptions;
  /** -cleanup: adopt and clean gliderlabs-made services of this host (no ownership marker). */
  adoptLegacy: boolean;
  dryRun: boolean;
  /** -resync: full reconcile period (0: only at start and after reconnects). */
  resyncMs: number;
  /** Period of re-posting the status of the TTL checks registrator feeds (0: never). */
  ttlRefreshMs: number;
  /** Minimum gap between two reads of the agent's services. */
  agentPollMs: number;
  /** Blocking wait for the hash-based agent services read. */
  agentWait: string;
  inspectConcurrency: number;
  logger: Logger;
  metrics?: RegistratorMetrics;
  roles?: RoleSource;
}

export const DEFAULT_RECONCILER_TIMINGS = { resyncMs: 0, agentPollMs: 1000, agentWait: '30s', inspectConcurrency: 8 };

export interface SyncResult {
  actions: PlanAction[];
  failed: number;
}

/** A promise-chain mutex: plan and act never interleave between event, agent, role and full passes. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return results;
}

function describeAction(a: PlanAction): Record<string, unknown> {
  switch (a.kind) {
    case 'register':
    case 'update':
      return { action: a.kind, service: a.serviceId, name: a.registration.name, address: a.registration.address, port: a.registration.port, tags: a.registration.tags, reason: a.reason, container: a.containerId.slice(0, 12) };
    case 'deregister':
      return { action: a.kind, service: a.serviceId, reason: a.reason, container: a.containerId?.slice(0, 12) };
    case 'updateTtl':
      return { action: a.kind, service: a.serviceId, check: a.checkId, status: a.status };
  }
}

export class Reconciler {
  private readonly options: ReconcilerOptions;
  private readonly log: Logger;
  private readonly lock = new Mutex();
  private readonly inspects = new Map<string, ContainerInspect>();
  private readonly definitions = new Map<string, ContainerDefinition>();
  private readonly observedSeq = new Map<string, number>();
  private readonly loggedWarnings = new Map<string, string>();
  private readonly failures = new Map<string, { attempts: number; retryAt: number }>();
  private agentServices = new Map<string, AgentService>();
  private agentChecks?: Map<string, AgentCheck>;
  private roles = new Map<string, string>();
  private seq = 0;
  private writeEpoch = 0;
  private dirty = new Set<string>();
  private pump?: Promise<void>;
  private fullPending = false;
  private fullRunning?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  private abort = new AbortController();
  private agentLoop?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  /** True once a full reconcile succeeded: before it, an empty container view must not be planned against the agent. */
  synced = false;
  consulReachable = true;
  fullSyncs = 0;
  lastFullSync?: { at: number; durationMs: number; writes: number };

  constructor(private readonly source: ContainerSource, private readonly registry: ServiceRegistry, options: ReconcilerOptions) {
    this.options = options;
    this.log = options.logger;
  }

  get node(): string {
    return this.options.definition.hostname;
  }

  /** Services this registrator owns on the agent, as last seen or written. */
  ownedServices(): AgentService[] {
    return [...this.agentServices.values()].filter((s) => isOwned(s, this.node));
  }

  health(): { ok: boolean; dockerConnected: boolean; consulReachable: boolean; synced: boolean; ownedServices: number } {
    const dockerConnected = this.source.connected;
    return { ok: dockerConnected && this.consulReachable && this.synced, dockerConnected, consulReachable: this.consulReachable, synced: this.synced, ownedServices: this.ownedServices().length };
  }

  start(): void {
    const { roles, resyncMs, ttlRefreshMs } = this.options;
    this.source.on('event', (e) => this.onDockerEvent(e));
    this.source.on('connected', (reconnect) => this.requestFullSync(reconnect ? 'docker reconnected' : 'startup'));
    this.source.on('disconnected', () => this.options.metrics?.dockerConnected.set(0));
    this.source.start();
    if (roles) {
      roles.watcher.on('change', (data) => void this.applyRoles(data));
      roles.watcher.start();
    }
    if (resyncMs > 0) this.timers.push(setInterval(() => this.requestFullSync('resync'), resyncMs));
    if (ttlRefreshMs > 0 && !this.options.dryRun) this.timers.push(setInterval(() => void this.refreshTtls(), ttlRefreshMs));
    this.agentLoop = this.followAgent(this.abort.signal);
  }

  /** Stops every loop; with `deregister`, removes the services this registrator owns first (within the caller's deadline). */
  async stop(options: { deregister?: boolean } = {}): Promise<void> {
    this.abort.abort(new Error('reconciler stopped'));
    for (const t of this.timers) clearInterval(t);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    // In-flight inspects or writes get a short grace period, never the whole shutdown deadline.
    const grace = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
    await Promise.race([Promise.allSettled([this.source.stop(), this.options.roles?.watcher.stop(), this.agentLoop]), grace(1000)]);
    await Promise.race([Promise.allSettled([this.pump, this.fullRunning]), grace(1000)]);
    if (options.deregister && !this.options.dryRun) {
      await this.lock.run(async () => {
        const owned = this.ownedServices();
        this.log.info({ services: owned.length }, 'deregistering owned services before exit');
        await this.act(owned.map((s) => ({ kind: 'deregister', serviceId: s.id, containerId: s.meta['registrator-container'], reason: 'not-defined' }) as PlanAction), { final: true });
      });
    }
  }

  // ---- full reconcile -------------------------------------------------------------------------------------

  requestFullSync(reason: string): void {
    this.log.debug({ reason }, 'full reconcile requested');
    this.fullPending = true;
    if (!this.fullRunning) this.fullRunning = this.runFullSyncs().finally(() => (this.fullRunning = undefined));
  }

  private async runFullSyncs(): Promise<void> {
    let attempt = 0;
    while (this.fullPending && !this.abort.signal.aborted) {
      this.fullPending = false;
      try {
        await this.fullSync();
        attempt = 0;
      } catch (err) {
        attempt++;
        const delay = backoffDelay(attempt, { baseMs: 250, maxMs: 10_000 });
        this.log.warn({ err: errorMessage(err), attempt, retryInMs: delay }, 'full reconcile failed; retrying');
        this.fullPending = true;
        try {
          await sleep(delay, this.abort.signal);
        } catch {
          return;
        }
      }
    }
  }

  /** List every container, inspect the ones that matter, read the agent, plan everything, act. */
  async fullSync(): Promise<SyncResult> {
    const started = Date.now();
    const seqAtStart = ++this.seq;
    const writesBefore = this.registry.writes;
    const summaries = await this.source.list();
    // Stopped containers are only inspected when -deregister on-success needs their exit code.
    const owners = new Set(this.ownedServices().map((s) => s.meta['registrator-container']));
    // Containers outside -label-filter are not inspected either, unless they still own services (labels cannot change, but be safe).
    const needsInspect = (s: { status: string; id: string; labels: Record<string, string> }) =>
      owners.has(s.id) ||
      (matchesLabelFilter(s.labels, this.options.definition.labelFilter) && (s.status === 'running' || s.status === 'paused' || s.status === 'restarting'));
    const observed = await mapLimit(summaries, this.options.inspectConcurrency, async (s) => {
      const seq = ++this.seq;
      if (!needsInspect(s)) return { summary: s, seq, inspect: undefined, gone: false };
      const inspect = await this.source.inspect(s.id);
      return { summary: s, seq, inspect, gone: inspect === undefined };
    });
    const result = await this.lock.run(async () => {
      const listed = new Set<string>();
      for (const o of observed) {
        if (o.gone) continue;
        listed.add(o.summary.id);
        if ((this.observedSeq.get(o.summary.id) ?? 0) > o.seq) continue; // an event saw it later
        this.observedSeq.set(o.summary.id, o.seq);
        if (o.inspect) {
          this.setInspect(o.inspect);
        } else {
          this.inspects.delete(o.summary.id);
          const disposition = containerDisposition({ status: o.summary.status, exitCode: 0 }, this.options.definition.deregister);
          this.definitions.set(o.summary.id, { containerId: o.summary.id, containerName: o.summary.name, disposition: disposition === 'register' ? 'remove' : disposition, services: [], warnings: [] });
        }
      }
      for (const id of [...this.definitions.keys()]) {
        if (!listed.has(id) && (this.observedSeq.get(id) ?? 0) < seqAtStart) this.forget(id);
      }
      await this.readAgent();
      this.synced = true;
      return this.planAndAct('full');
    });
    this.fullSyncs++;
    this.lastFullSync = { at: started, durationMs: Date.now() - started, writes: this.registry.writes - writesBefore };
    this.log.info({ containers: summaries.length, owned: this.ownedServices().length, actions: result.actions.length, failed: result.failed, ms: Date.now() - started }, 'full reconcile done');
    return result;
  }

  // ---- Docker events: per-container, in order ----------------------------------------------------------

  private onDockerEvent(event: DockerEvent): void {
    this.options.metrics?.dockerEvents.inc({ action: event.action });
    this.log.debug({ container: event.containerId.slice(0, 12), action: event.action, type: event.type }, 'docker event');
    this.markDirty(event.containerId);
  }

  /** Re-observes a container: each container is inspected by one pass at a time, so its events apply in order. */
  markDirty(containerId: string): void {
    this.dirty.add(containerId);
    if (!this.pump) this.pump = this.drainDirty().finally(() => (this.pump = undefined));
  }

  private async drainDirty(): Promise<void> {
    await new Promise((r) => setImmediate(r)); // gather a burst of events into one pass
    while (this.dirty.size > 0 && !this.abort.signal.aborted) {
      const ids = [...this.dirty];
      this.dirty.clear();
      const observed = await mapLimit(ids, this.options.inspectConcurrency, async (id) => {
        const seq = ++this.seq;
        try {
          return { id, seq, inspect: await this.source.inspect(id), ok: true };
        } catch (err) {
          this.log.warn({ container: id.slice(0, 12), err: errorMessage(err) }, 'inspect failed; the next full reconcile will catch up');
          return { id, seq, inspect: undefined, ok: false };
        }
      });
      await this.lock.run(async () => {
        const scope = new Set<string>();
        for (const o of observed) {
          if (!o.ok || (this.observedSeq.get(o.id) ?? 0) > o.seq) continue;
          this.observedSeq.set(o.id, o.seq);
          scope.add(o.id);
          if (o.inspect) this.setInspect(o.inspect);
          else this.forget(o.id, true);
        }
        if (scope.size > 0 && this.synced) await this.planAndAct('container', scope);
      });
    }
  }

  // ---- the agent side: outages, restarts, drift ------------------------------------------------------------

  /** Follows the agent's services (hash-blocking when the agent supports it) and repairs any drift from desired. */
  private async followAgent(signal: AbortSignal): Promise<void> {
    let hash: string | undefined;
    let errors = 0;
    let lastRead = 0;
    while (!signal.aborted) {
      try {
        const gap = this.options.agentPollMs - (Date.now() - lastRead);
        if (gap > 0) await sleep(gap, signal);
        lastRead = Date.now();
        const epoch = this.writeEpoch;
        const answer = await this.registry.services({ hash, wait: hash ? this.options.agentWait : undefined, signal });
        if (errors > 0 || !this.consulReachable) {
          this.log.info({ after: errors }, 'consul agent reachable again; reconciling');
          hash = undefined;
        }
        errors = 0;
        this.setConsulReachable(true);
        if (!this.synced) continue;
        await this.lock.run(async () => {
          if (epoch !== this.writeEpoch || signal.aborted) {
            hash = undefined; // we wrote meanwhile: the answer may predate our write
            return;
          }
          hash = answer.hash;
          this.agentServices = answer.services;
          if (this.needsChecks()) this.agentChecks = await this.registry.checks(signal);
          await this.planAndAct('agent');
        });
      } catch (err) {
        if (signal.aborted) break;
        errors++;
        hash = undefined;
        this.setConsulReachable(false);
        const delay = backoffDelay(errors, { baseMs: 250, maxMs: 5000 });
        this.log.warn({ err: errorMessage(err), attempt: errors, retryInMs: delay }, 'consul agent unreachable; keeping the wanted state');
        try {
          await sleep(delay, signal);
        } catch {
          break;
        }
      }
    }
  }

  private setConsulReachable(value: boolean): void {
    this.consulReachable = value;
    this.options.metrics?.consulReachable.set(value ? 1 : 0);
  }

  private needsChecks(): boolean {
    for (const def of this.definitions.values()) if (def.services.some((s) => s.registration.checks.length > 0)) return true;
    return false;
  }

  private async readAgent(): Promise<void> {
    const answer = await this.registry.services();
    this.agentServices = answer.services;
    this.agentChecks = this.needsChecks() ? await this.registry.checks() : new Map();
    this.setConsulReachable(true);
  }

  // ---- roles -----------------------------------------------------------------------------------------------

  /** New runtime roles: every container's services are redefined and, once synced, reconciled. */
  async applyRoles(roles: Map<string, string>): Promise<void> {
    await this.lock.run(async () => {
      this.roles = roles;
      this.log.info({ roles: roles.size }, 'roles changed');
      for (const inspect of this.inspects.values()) this.setInspect(inspect);
      if (this.synced) await this.planAndAct('roles');
    });
  }

  // ---- TTL heartbeats ---------------------------------------------------------------------------------------

  /** Re-posts the status of every TTL check registrator feeds, so they expire only when registrator is gone. */
  async refreshTtls(): Promise<void> {
    await this.lock.run(async () => {
      const updates: PlanAction[] = [];
      for (const def of this.definitions.values()) {
        for (const s of def.services) {
          if (!this.agentServices.has(s.registration.id)) continue;
          for (const t of s.ttlStatuses) updates.push({ kind: 'updateTtl', serviceId: s.registration.id, checkId: t.checkId, status: t.status, output: t.output });
        }
      }
      if (updates.length > 0) await this.act(updates, { quiet: true });
    });
  }

  // ---- plan and act ------------------------------------------------------------------------------------------

  private setInspect(inspect: ContainerInspect): void {
    this.inspects.set(inspect.id, inspect);
    const def = defineContainerServices(inspect, this.options.definition, this.roles);
    this.definitions.set(inspect.id, def);
    const key = def.warnings.map((w) => `${w.source}|${w.message}`).join('\n');
    if (key !== (this.loggedWarnings.get(inspect.id) ?? '')) {
      for (const w of def.warnings) {
        this.log.warn({ container: w.container, containerId: w.containerId.slice(0, 12), label: w.source }, w.message);
        this.options.metrics?.warnings.inc();
      }
      this.loggedWarnings.set(inspect.id, key);
    }
  }

  private forget(id: string, observedGone = false): void {
    this.inspects.delete(id);
    this.definitions.delete(id);
    this.loggedWarnings.delete(id);
    if (!observedGone) this.observedSeq.delete(id);
  }

  /** The current plan, without acting (for --dry-run output and tests). */
  plan(scope?: ReadonlySet<string>): Plan {
    return planRegistrations({
      node: this.node,
      containers: this.definitions,
      agent: { services: this.agentServices, checks: this.agentChecks },
      scope,
      adoptLegacyFrom: this.options.adoptLegacy ? this.node : undefined,
    });
  }

  private async planAndAct(kind: 'full' | 'container' | 'agent' | 'roles', scope?: ReadonlySet<string>): Promise<SyncResult> {
    const end = this.options.metrics?.reconcileSeconds.startTimer({ kind });
    const plan = this.plan(scope);
    for (const c of plan.conflicts) this.log.warn({ service: c.serviceId, container: c.containerId.slice(0, 12) }, c.message);
    const failed = await this.act(plan.actions);
    end?.();
    this.options.metrics?.reconciles.inc({ kind, result: failed > 0 ? 'partial' : 'ok' });
    this.options.metrics?.ownedServices.set(this.ownedServices().length);
    return { actions: plan.actions, failed };
  }

  /** Applies actions, updating the in-memory agent view after each success; returns how many failed. */
  private async act(actions: readonly PlanAction[], options: { quiet?: boolean; final?: boolean } = {}): Promise<number> {
    if (actions.length === 0) return 0;
    if (this.abort.signal.aborted && !options.final) return 0; // stopping: only the exit deregistration still writes
    if (this.options.dryRun) {
      for (const a of actions) this.log.info({ dryRun: true, ...describeAction(a) }, 'would apply');
      return 0;
    }
    const now = Date.now();
    let failed = 0;
    const due = actions.filter((a) => (this.failures.get(a.serviceId)?.retryAt ?? 0) <= now);
    await mapLimit(due, 8, async (a) => {
      this.writeEpoch++;
      try {
        await this.apply(a);
        this.failures.delete(a.serviceId);
        this.options.metrics?.writes.inc({ action: a.kind, result: 'ok' });
        if (!options.quiet) this.log.info(describeAction(a), a.kind === 'deregister' ? 'deregistered' : a.kind === 'updateTtl' ? 'check updated' : 'registered');
      } catch (err) {
        failed++;
        this.options.metrics?.writes.inc({ action: a.kind, result: 'error' });
        const unreachable = err instanceof ConsulHttpError && err.status === undefined;
        if (unreachable) {
          this.setConsulReachable(false);
        } else {
          // A rejected write would fail the same way at once: back off per service.
          const attempts = (this.failures.get(a.serviceId)?.attempts ?? 0) + 1;
          const delay = backoffDelay(attempts, { baseMs: 1000, maxMs: 60_000 });
          this.failures.set(a.serviceId, { attempts, retryAt: Date.now() + delay });
          this.scheduleRetry(delay);
        }
        this.log.error({ ...describeAction(a), err: errorMessage(err) }, `${a.kind} failed; will retry`);
      }
    });
    return failed + (actions.length - due.length);
  }

  private scheduleRetry(delayMs: number): void {
    if (this.retryTimer || this.abort.signal.aborted) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.lock.run(async () => {
        try {
          await this.readAgent();
          await this.planAndAct('agent');
        } catch (err) {
          this.log.warn({ err: errorMessage(err) }, 'retry pass failed');
        }
      });
    }, delayMs + 10);
    this.retryTimer.unref();
  }

  private async apply(a: PlanAction): Promise<void> {
    switch (a.kind) {
      case 'register':
      case 'update': {
        await this.registry.register(a.registration);
        const r = a.registration;
        this.agentServices.set(r.id, { id: r.id, name: r.name, tags: [...r.tags], address: r.address, port: r.port, meta: { ...r.meta } });
        if (this.agentChecks) for (const c of r.checks) this.agentChecks.set(c.checkId, { checkId: c.checkId, serviceId: r.id, status: c.status ?? 'critical' });
        return;
      }
      case 'deregister': {
        await this.registry.deregister(a.serviceId);
        this.agentServices.delete(a.serviceId);
        if (this.agentChecks) for (const [id, c] of this.agentChecks) if (c.serviceId === a.serviceId) this.agentChecks.delete(id);
        if (a.reason === 'container-gone' && this.options.roles && this.roles.has(a.serviceId)) {
          await this.options.roles.deleteRole(a.serviceId).catch((err: unknown) => this.log.warn({ service: a.serviceId, err: errorMessage(err) }, 'could not delete the role key'));
        }
        return;
      }
      case 'updateTtl': {
        await this.registry.updateTtl(a.checkId, a.status, a.output);
        const c = this.agentChecks?.get(a.checkId);
        if (c) c.status = a.status;
        return;
      }
    }
  }
}

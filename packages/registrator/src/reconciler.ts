// Sequences the loop: observe (containers, agent) -> plan (pure) -> act, one pass at a time, on events, resyncs, agent changes and roles.

import type { Logger } from 'pino';
import { backoffDelay, errorMessage, SerialQueue, sleep, type BlockingWatcher } from '@consul-sidecars/core';
import { Actor } from './act/actor';
import type { RegistryAdapter } from './act/registry-adapter';
import { errorKind, hasErrorCode, registratorError } from './errors';
import type { RegistratorMetrics } from './metrics';
import { AgentFollower } from './observe/agent-follower';
import { AgentView, type AgentService } from './observe/agent-view';
import { ContainerObserver, type ContainerObservation } from './observe/container-observer';
import type { ContainerSource } from './observe/docker-source';
import type { DockerEvent } from './observe/docker-events';
import { planExitDeregistration } from './plan/exit-deregistration';
import { META_CONTAINER } from './plan/registration';
import { planRegistrations, type Plan, type PlanAction } from './plan/registrations';
import type { DefinitionOptions } from './plan/service-definitions';
import { planRoleKeys, type RoleKeyAction } from './plan/role-keys';
import { planTtlRefresh } from './plan/ttl-refresh';
import type { RoleEntry } from './role-keys';

export interface RoleSource {
  watcher: BlockingWatcher<Map<string, RoleEntry>>;
  /** Every role key, read now (the watcher's copy may lag). */
  read(): Promise<Map<string, RoleEntry>>;
  /** One bind or delete as a check-and-set; false when the key changed since it was read. */
  write(action: RoleKeyAction): Promise<boolean>;
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
  /** Containers a full reconcile could not inspect (left as they were); the pass is retried with backoff. */
  uninspected?: number;
}

type PassKind = 'full' | 'container' | 'agent' | 'roles';

export class Reconciler {
  private readonly options: ReconcilerOptions;
  private readonly log: Logger;
  /** Plan and act never interleave between event, agent, role, retry and full passes. */
  private readonly lock = new SerialQueue();
  private readonly abort = new AbortController();
  private readonly view = new AgentView();
  private readonly containers: ContainerObserver;
  private readonly agent: AgentFollower;
  private readonly actor: Actor;
  private dirty = new Set<string>();
  /** Containers being inspected now, and finished inspections not yet applied. */
  private readonly inspecting = new Set<string>();
  private inspected: ContainerObservation[] = [];
  private pump?: Promise<void>;
  private fullPending = false;
  private fullRunning?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  private agentLoop?: Promise<void>;
  /** True once a full reconcile succeeded: before it, an empty container view must not be planned against the agent. */
  synced = false;
  fullSyncs = 0;
  lastFullSync?: { at: number; durationMs: number; writes: number };

  constructor(private readonly source: ContainerSource, private readonly registry: RegistryAdapter, options: ReconcilerOptions) {
    this.options = options;
    this.log = options.logger;
    const { logger, metrics, roles } = options;
    this.containers = new ContainerObserver(source, { definition: options.definition, inspectConcurrency: options.inspectConcurrency, logger, metrics });
    this.agent = new AgentFollower(registry, this.view, { pollMs: options.agentPollMs, wait: options.agentWait, logger, metrics });
    this.actor = new Actor(registry, this.view, {
      dryRun: options.dryRun,
      logger,
      metrics,
      signal: this.abort.signal,
      onUnreachable: () => this.agent.setReachable(false),
      onRetryDue: () => void this.retryPass(),
    });
  }

  get node(): string {
    return this.options.definition.hostname;
  }

  get consulReachable(): boolean {
    return this.agent.reachable;
  }

  /** Services this registrator owns on the agent, as last seen or written. */
  ownedServices(): AgentService[] {
    return this.view.owned(this.node);
  }

  health(): { ok: boolean; dockerConnected: boolean; consulReachable: boolean; synced: boolean; ownedServices: number } {
    const dockerConnected = this.source.connected;
    const consulReachable = this.consulReachable;
    return { ok: dockerConnected && consulReachable && this.synced, dockerConnected, consulReachable, synced: this.synced, ownedServices: this.view.ownedCount(this.node) };
  }

  start(): void {
    const { roles, resyncMs, ttlRefreshMs } = this.options;
    this.source.on('event', (e) => this.onDockerEvent(e));
    this.source.on('connected', (reconnect) => this.requestFullSync(reconnect ? 'docker reconnected' : 'startup'));
    this.source.on('disconnected', () => {
      this.options.metrics?.dockerConnected.set(0);
      this.options.metrics?.errors.inc({ kind: 'ERR_DOCKER_EVENTS' });
    });
    this.source.start();
    if (roles) {
      roles.watcher.on('change', (data) => void this.applyRoles(data));
      // The watcher logs each failure and retries with backoff; here it is counted.
      roles.watcher.on('error', (err) => this.countError(err));
      roles.watcher.start();
    }
    if (resyncMs > 0) this.timers.push(setInterval(() => this.requestFullSync('resync'), resyncMs));
    if (ttlRefreshMs > 0 && !this.options.dryRun) this.timers.push(setInterval(() => void this.refreshTtls(), ttlRefreshMs));
    this.agentLoop = this.agent.follow(this.abort.signal, {
      ready: () => this.synced,
      exclusive: (fn) => this.lock.run(fn),
      needsChecks: () => this.containers.needsChecks(),
      changed: async () => {
        await this.planAndAct('agent');
      },
    });
  }

  /** Stops every loop; with `deregister`, removes the services this registrator owns first (within the caller's deadline). */
  async stop(options: { deregister?: boolean } = {}): Promise<void> {
    this.abort.abort(new Error('reconciler stopped'));
    for (const t of this.timers) clearInterval(t);
    this.actor.stop();
    // In-flight inspects or writes get a short grace period, never the whole shutdown deadline.
    const grace = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
    await Promise.race([Promise.allSettled([this.source.stop(), this.options.roles?.watcher.stop(), this.agentLoop]), grace(1000)]);
    await Promise.race([Promise.allSettled([this.pump, this.fullRunning]), grace(1000)]);
    if (options.deregister && !this.options.dryRun) {
      await this.lock.run(async () => {
        const owned = this.ownedServices();
        this.log.info({ services: owned.length }, 'deregistering owned services before exit');
        await this.actor.act(planExitDeregistration(owned), { final: true });
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
        const { uninspected = 0 } = await this.fullSync();
        if (uninspected > 0) throw registratorError('ERR_DOCKER_INSPECT', `${uninspected} container(s) could not be inspected`, { uninspected });
        attempt = 0;
      } catch (err) {
        attempt++;
        // Role key and inspect failures were counted where they happened, with their cause's code.
        if (!hasErrorCode(err, 'ERR_ROLE_KEYS') && !hasErrorCode(err, 'ERR_DOCKER_INSPECT')) this.countError(err);
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
    const writesBefore = this.registry.writes;
    const observation = await this.containers.observeAll(() => new Set(this.ownedServices().map((s) => s.meta[META_CONTAINER])));
    const result = await this.lock.run(async () => {
      this.containers.applyAll(observation);
      await this.agent.read(this.containers.needsChecks());
      this.synced = true;
      const planned = await this.planAndAct('full');
      // Also where registrator was down when a container went: its role keys are found here (and retried with the
      // full reconcile's backoff when Consul's KV could not be read or written).
      if (!(await this.maintainRoleKeys())) throw registratorError('ERR_ROLE_KEYS', 'role keys not maintained');
      return planned;
    });
    this.fullSyncs++;
    this.lastFullSync = { at: started, durationMs: Date.now() - started, writes: this.registry.writes - writesBefore };
    this.log.info({ containers: observation.listed.length, owned: this.view.ownedCount(this.node), actions: result.actions.length, failed: result.failed, uninspected: observation.uninspected, ms: Date.now() - started }, 'full reconcile done');
    return { ...result, uninspected: observation.uninspected };
  }

  // ---- Docker events: per-container, in order ----------------------------------------------------------

  private onDockerEvent(event: DockerEvent): void {
    this.options.metrics?.dockerEvents.inc({ action: event.action });
    this.log.debug({ container: event.containerId.slice(0, 12), action: event.action, type: event.type }, 'docker event');
    this.markDirty(event.containerId);
  }

  /**
   * Re-observes a container. Inspections run as a pipeline (up to inspectConcurrency at once, one per container at a
   * time, so its events apply in order) and each pass acts on every inspection finished so far: in a burst of starts,
   * a container is registered right after its own inspect, not after the slowest inspect of its batch.
   */
  markDirty(containerId: string): void {
    this.dirty.add(containerId);
    this.startInspections();
  }

  private startInspections(): void {
    for (const id of this.dirty) {
      if (this.abort.signal.aborted || this.inspecting.size >= this.options.inspectConcurrency) return;
      if (this.inspecting.has(id)) continue; // dirty again while in flight: inspected once more after this one
      this.dirty.delete(id);
      this.inspecting.add(id);
      void this.containers.observeContainers([id]).then((observed) => {
        this.inspected.push(...observed);
        this.inspecting.delete(id);
        this.startInspections();
        this.applyInspected();
      });
    }
  }

  /** One pass at a time over every inspection finished since the last pass. */
  private applyInspected(): void {
    if (this.pump || this.inspected.length === 0 || this.abort.signal.aborted) return;
    this.pump = this.lock
      .run(async () => {
        const scope = this.containers.applyContainers(this.inspected.splice(0));
        if (scope.size > 0 && this.synced) {
          await this.planAndAct('container', scope);
          if ([...scope].some((id) => !this.containers.definitions.has(id))) await this.maintainRoleKeys();
        }
      })
      .catch((err: unknown) => {
        this.countError(err);
        this.log.warn({ err: errorMessage(err) }, 'container pass failed; the next full reconcile will catch up');
      })
      .finally(() => {
        this.pump = undefined;
        if (!this.abort.signal.aborted) this.applyInspected();
      });
  }

  // ---- roles and TTL heartbeats -----------------------------------------------------------------------------

  /** New runtime roles: every container's services are redefined and, once synced, reconciled. */
  async applyRoles(roles: ReadonlyMap<string, RoleEntry>): Promise<void> {
    await this.lock.run(async () => {
      this.containers.setRoles(roles);
      this.log.info({ roles: roles.size }, 'roles changed');
      if (this.synced) await this.planAndAct('roles');
    });
  }

  /** Inside the pass lock, once synced: role keys of containers gone from this engine are deleted, plain ones bound (plan/role-keys.ts). */
  private async maintainRoleKeys(): Promise<boolean> {
    const roles = this.options.roles;
    if (!roles || !this.synced || this.abort.signal.aborted) return true;
    try {
      const actions = planRoleKeys({ node: this.node, roles: await roles.read(), containers: this.containers.definitions });
      for (const a of actions) {
        const fields = { action: a.kind, service: a.serviceId, ...(a.kind === 'delete-role' ? { reason: a.reason, container: a.container?.slice(0, 12) } : { role: a.binding.role, container: a.binding.container.slice(0, 12) }) };
        if (this.options.dryRun) {
          this.log.info({ dryRun: true, ...fields }, 'would apply');
          continue;
        }
        const done = await roles.write(a);
        this.log.info(fields, done ? (a.kind === 'delete-role' ? 'role key deleted' : 'role key bound to its container') : 'role key changed since it was read; left as it is');
      }
      return true;
    } catch (err) {
      // The next full reconcile (retried with backoff), container removal or restart plans the same keys again.
      this.countError(err);
      this.log.warn({ err: errorMessage(err) }, 'role keys not maintained');
      return false;
    }
  }

  /** Re-posts the status of every TTL check registrator feeds, so they expire only when registrator is gone. */
  async refreshTtls(): Promise<void> {
    await this.lock.run(async () => {
      const updates = planTtlRefresh(this.containers.definitions.values(), this.view.services);
      if (updates.length > 0) await this.actor.act(updates, { quiet: true });
    });
  }

  /** consul_sidecars_errors_total{kind}: one failure handled here (logged by the caller). */
  private countError(err: unknown): void {
    this.options.metrics?.errors.inc({ kind: errorKind(err) });
  }

  // ---- plan and act ------------------------------------------------------------------------------------------

  /** The current plan, without acting (for --dry-run output and tests). */
  plan(scope?: ReadonlySet<string>): Plan {
    return planRegistrations({
      node: this.node,
      containers: this.containers.definitions,
      agent: this.view.state(),
      scope,
      adoptLegacyFrom: this.options.adoptLegacy ? this.node : undefined,
    });
  }

  private async planAndAct(kind: PassKind, scope?: ReadonlySet<string>): Promise<SyncResult> {
    const end = this.options.metrics?.reconcileSeconds.startTimer({ kind });
    const plan = this.plan(scope);
    for (const c of plan.conflicts) this.log.warn({ service: c.serviceId, container: c.containerId.slice(0, 12) }, c.message);
    const failed = await this.actor.act(plan.actions);
    end?.();
    this.options.metrics?.reconciles.inc({ kind, result: failed > 0 ? 'partial' : 'ok' });
    this.options.metrics?.ownedServices.set(this.view.ownedCount(this.node));
    return { actions: plan.actions, failed };
  }

  /** A backed-off write is due: re-read the agent and reconcile everything. */
  private async retryPass(): Promise<void> {
    await this.lock.run(async () => {
      try {
        await this.agent.read(this.containers.needsChecks());
        await this.planAndAct('agent');
      } catch (err) {
        this.countError(err);
        this.log.warn({ err: errorMessage(err) }, 'retry pass failed');
      }
    });
  }
}

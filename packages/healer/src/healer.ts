// The healer loop: hints -> one single-flight pass (observe -> plan -> act, leader only) -> alerts, metrics, audit log.

import type { Logger } from 'pino';
import { CodedError, CoalescingRunner, LeaderLock, errorMessage, silentLogger, waitFor, type ConsulHttpClient } from '@consul-sidecars/core';
import { Actor } from './act/actor';
import { AlertDispatcher } from './act/alert-dispatch';
import { NoopAlertSink, type AlertSink } from './act/alert-hook';
import { ExpectationStore } from './act/expectation-store';
import { defaultBackends, type ScalingBackends } from './backends/registry';
import type { DesiredState } from './desired/desired-state';
import type { DesiredStateSource, ReloadResult } from './desired/desired-source';
import { HealerMetrics } from './metrics';
import { liveStateHash, type LiveStateReader } from './observe/live-state';
import { ConsulBackendReader } from './observe/reader';
import { startOpsEndpoint, type OpsEndpoint, type TriggerHint } from './ops-endpoint';
import { actionsTaken, leaderPassResult, passLogFields, summarise, type PassReport } from './pass-report';
import { desiredInvalidAlert, type Alert } from './plan/alerts';
import { adoptedMemory, afterDryRun, emptyMemory, openBreakers, recordOutcome, withdrawAction, type HealerMemory } from './plan/memory';
import { plan } from './plan/plan';
import { startCronTrigger, type CronTrigger } from './triggers/cron-trigger';
import { HealthWatchTriggers } from './triggers/health-watch';

export const DEFAULT_LEADER_KEY = 'consul-sidecars/healer/leader';
export const DEFAULT_SCHEDULE = '* * * * *';

export interface HealerOptions {
  desired: DesiredStateSource;
  consul: ConsulHttpClient;
  logger?: Logger;
  reader?: LiveStateReader;
  /** The backend of each `scale.kind` (default: docker-compose and the local Docker API). */
  backends?: Partial<ScalingBackends>;
  alerts?: AlertSink;
  metrics?: HealerMetrics;
  /** Plan and print; never act, never alert through the command. */
  dryRun?: boolean;
  /** false: act without a lock (a single healer by construction). Default: a Consul lock on `leaderKey`. */
  leaderLock?: boolean;
  leaderKey?: string;
  leaderTtl?: string;
  leaderLockDelay?: string;
  /** Cron expression of the periodic pass; false: none. */
  schedule?: string | false;
  /** Blocking queries on each service's health as triggers (default true). */
  watchHealth?: boolean;
  watchWaitSeconds?: number;
  /** Port of the loopback ops endpoint (/metrics, /health, POST /trigger); undefined: none. */
  opsPort?: number;
  opsHost?: string;
  /** Run a pass as soon as this healer is elected (default true; --once runs its own single pass). */
  passOnElection?: boolean;
  /** Quiet time that coalesces a burst of hints into one pass. */
  debounceMs?: number;
  now?: () => number;
  random?: () => number;
}

export class Healer {
  readonly metrics: HealerMetrics;
  readonly backends: ScalingBackends;
  private readonly options: HealerOptions;
  private readonly logger: Logger;
  private readonly reader: LiveStateReader;
  private readonly actor: Actor;
  private readonly alerts: AlertDispatcher;
  private readonly store: ExpectationStore;
  private readonly passes: CoalescingRunner<PassReport>;
  private memory: HealerMemory = emptyMemory();
  private lock?: LeaderLock;
  private cronTask?: CronTrigger;
  private watchers?: HealthWatchTriggers;
  private ops?: OpsEndpoint;
  private desiredHash?: string;
  private lastDesiredError?: string;
  /** The read of a predecessor's memory after an election; passes wait for it before acting. */
  private adoption?: Promise<void>;
  lastPass?: PassReport;

  constructor(options: HealerOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger();
    this.metrics = options.metrics ?? new HealerMetrics();
    this.backends = { ...defaultBackends(this.logger), ...options.backends };
    this.reader = options.reader ?? new ConsulBackendReader({ consul: options.consul, backends: this.backends, onError: (err) => this.metrics.recordError(err) });
    this.actor = new Actor({ backends: this.backends, metrics: this.metrics, logger: this.logger });
    this.alerts = new AlertDispatcher(options.alerts ?? new NoopAlertSink(), this.metrics, this.logger, Boolean(options.dryRun));
    this.store = new ExpectationStore(options.consul, `${options.leaderKey ?? DEFAULT_LEADER_KEY}.memory`, this.logger, (err) => this.metrics.recordError(err));
    this.passes = new CoalescingRunner((reasons) => this.runPass(reasons), options.debounceMs ?? 200);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private get usesLock(): boolean {
    return this.options.leaderLock !== false;
  }

  /** True when this healer may act: it holds the lock (or runs without one). */
  get isLeader(): boolean {
    return !this.usesLock || Boolean(this.lock?.isLeader);
  }

  get opsUrl(): string | undefined {
    return this.ops?.url;
  }

  get state(): HealerMemory {
    return structuredClone(this.memory);
  }

  /** A hint: asks for a pass (coalesced with others); resolves with the report of the pass that covered it. */
  trigger(source: string): Promise<PassReport> {
    this.metrics.triggers.inc({ source: source.split(':')[0] });
    return this.passes.request(source);
  }

  /** Starts the leader campaign, the ops endpoint, the health watchers and the schedule. */
  async start(): Promise<void> {
    const desired = this.options.desired.current;
    this.desiredHash = desired.hash;
    if (this.usesLock) {
      this.lock = new LeaderLock({
        consul: this.options.consul,
        key: this.options.leaderKey ?? DEFAULT_LEADER_KEY,
        ttl: this.options.leaderTtl ?? '15s',
        lockDelay: this.options.leaderLockDelay ?? '15s',
        logger: this.logger,
      });
      this.lock.on('elected', () => {
        this.metrics.leader.set(1);
        // A new leader takes over its predecessor's expectations, backoffs and breakers before acting,
        // so a failover does not repeat an action still settling (Kubernetes' stale-cache double creation).
        this.adoption = this.adoptMemory();
        if (this.options.passOnElection !== false) void this.adoption.then(() => this.trigger('elected')).catch(() => undefined);
      });
      this.lock.on('lost', () => this.metrics.leader.set(0));
      this.lock.start();
    } else {
      this.metrics.leader.set(1);
    }
    if (this.options.opsPort !== undefined) {
      this.ops = await startOpsEndpoint({
        registry: this.metrics.registry,
        host: this.options.opsHost,
        port: this.options.opsPort,
        health: () => this.health(),
        trigger: (hint, wait) => this.onHttpTrigger(hint, wait),
      });
      this.logger.info({ url: this.ops.url }, 'ops endpoint listening (/metrics, /health, POST /trigger)');
    }
    if (this.options.watchHealth !== false) {
      this.watchers = new HealthWatchTriggers(this.options.consul, (service) => void this.trigger(`watch:${service}`).catch(() => undefined), this.logger, this.options.watchWaitSeconds ?? 60);
      this.watchers.sync(desired.services);
    }
    const schedule = this.options.schedule ?? DEFAULT_SCHEDULE;
    if (schedule) this.cronTask = startCronTrigger(schedule, () => void this.trigger('schedule').catch(() => undefined));
  }

  /** Waits (bounded) for the lock; --once runs use it so a one-shot never acts beside a running leader. */
  async awaitLeadership(timeoutMs: number): Promise<boolean> {
    if (!this.usesLock) return true;
    try {
      await waitFor(() => this.lock?.isLeader, { timeoutMs, intervalMs: 50, message: 'leadership' });
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    this.cronTask?.stop();
    await this.passes.stop();
    await this.watchers?.stop();
    await this.ops?.close();
    await this.lock?.stop();
    this.metrics.leader.set(0);
  }

  private async onHttpTrigger(hint: TriggerHint, wait: boolean): Promise<unknown> {
    this.logger.info({ hint }, 'trigger hint received');
    const pass = this.trigger(`http:${hint.source}`);
    if (!wait) return undefined;
    const report = await pass;
    return summarise(report);
  }

  private health(): { ok: boolean; [k: string]: unknown } {
    const last = this.lastPass;
    return {
      ok: !this.options.desired.lastError && !last?.error,
      leader: this.isLeader,
      dryRun: Boolean(this.options.dryRun),
      desiredHash: this.desiredHash,
      desiredError: this.options.desired.lastError?.message,
      lastPass: last ? summarise(last) : undefined,
    };
  }

  /** Re-reads the desired file when it changed (every pass); an invalid edit keeps the last good state. */
  private reloadDesired(): DesiredState {
    this.noteReload(this.options.desired.reloadIfModified(), 'modified');
    return this.options.desired.current;
  }

  /** Re-reads the desired file now (SIGHUP); returns the error, if any, while keeping the last good state. Never throws. */
  reload(): Error | undefined {
    const result = this.options.desired.reload();
    this.noteReload(result, 'reload');
    if (!result.error) void this.trigger('reload').catch(() => undefined);
    return result.error;
  }

  /** One place for what a re-read means: the log line naming the field, the metrics, one alert per distinct error. */
  private noteReload(result: ReloadResult, why: 'modified' | 'reload'): void {
    const source = this.options.desired;
    if (result.error) {
      const message = result.error.message;
      const details = result.error instanceof CodedError ? result.error.details : {};
      this.metrics.desiredValid.set(0);
      this.metrics.recordError(result.error);
      this.metrics.desiredReloads.inc({ result: 'error' });
      this.logger.error({ err: message, file: source.path, field: details.field, value: details.value, trigger: why }, 'desired-state file is invalid; keeping the last good state');
      if (message !== this.lastDesiredError && this.isLeader) {
        this.lastDesiredError = message;
        void this.alerts.send([desiredInvalidAlert(message)]);
      }
    } else if (!result.unmodified) {
      this.metrics.desiredValid.set(1);
      this.metrics.desiredReloads.inc({ result: 'ok' });
      this.lastDesiredError = undefined;
      if (result.changed) this.logger.info({ file: source.path, hash: source.current.hash, trigger: why }, 'desired state reloaded');
      this.watchers?.sync(source.current.services);
    }
    this.desiredHash = source.current.hash;
  }

  private async adoptMemory(): Promise<void> {
    const services = await this.store.adopt();
    if (services) this.memory = { ...this.memory, services: adoptedMemory(services) };
  }

  /** One pass; only ever called through the coalescing runner, so passes never overlap. */
  private async runPass(reasons: string[]): Promise<PassReport> {
    const started = this.now();
    const dryRun = Boolean(this.options.dryRun);
    const leader = this.isLeader;
    if (leader) await this.adoption;
    const desired = this.reloadDesired();
    const report: PassReport = { at: new Date(started).toISOString(), reasons, desiredHash: desired.hash, leader, dryRun, decisions: [], actions: [], alerts: [] };
    try {
      const live = await this.reader.observe(desired);
      // Core's client calls Consul unavailable only after failures in a row: one dropped connection keeps this at 1.
      this.metrics.consulReachable.set(this.options.consul.unavailable ? 0 : 1);
      report.liveHash = liveStateHash(live);
      const planned = plan(desired, live, this.memory, this.now(), this.options.random);
      report.decisions = planned.decisions;
      if (planned.guard) report.guard = planned.guard.kind;
      this.metrics.recordDecisions(planned.decisions, openBreakers(planned.memory), this.now());

      if (!leader) {
        // Followers observe and report, but neither act nor alert nor remember: the leader does.
        this.metrics.passes.inc({ result: 'follower' });
        return this.finish(report, 'pass planned (not leader: not acting)');
      }
      if (dryRun) {
        report.alerts = planned.alerts;
        for (const alert of planned.alerts) this.logger.warn({ alert: alert.key, kind: alert.kind, service: alert.service }, `ALERT (dry run): ${alert.message}`);
        this.memory = afterDryRun(this.memory, planned.memory);
        this.metrics.passes.inc({ result: 'dry-run' });
        return this.finish(report, 'dry run: planned, not acting');
      }

      let memory = planned.memory;
      const alerts: Alert[] = [...planned.alerts];
      for (const decision of planned.decisions) {
        if (decision.actions.length === 0) continue;
        const spec = desired.services.find((s) => s.name === decision.service);
        if (!spec) continue; // the planner decides only for desired services
        const { reports, outcome, acted } = await this.actor.carryOut(decision, spec, desired.policy);
        report.actions.push(...reports);
        // A scale to what the backend already wants (swarm's replicas) took no action: nothing to await or to count.
        if (outcome.ok && !acted && decision.expectation) memory = withdrawAction(memory, decision.service, decision.expectation.since);
        if (!outcome.ok) {
          const corrected = recordOutcome(memory, decision.service, outcome, desired.policy, this.now(), this.options.random);
          memory = corrected.memory;
          alerts.push(...corrected.alerts);
        }
      }
      this.memory = memory;
      if (this.usesLock) await this.store.save(memory);
      report.alerts = alerts;
      await this.alerts.send(alerts);
      this.metrics.passes.inc({ result: leaderPassResult(report) });
      return this.finish(report, actionsTaken(report.actions).length > 0 ? 'pass acted' : 'pass planned nothing to do');
    } catch (err) {
      report.error = errorMessage(err);
      this.metrics.recordError(err);
      this.metrics.passes.inc({ result: 'error' });
      this.logger.error({ err: report.error, reasons }, 'pass failed');
      this.lastPass = report;
      return report;
    }
  }

  private finish(report: PassReport, msg: string): PassReport {
    const level = actionsTaken(report.actions).length > 0 || report.guard ? 'info' : 'debug';
    this.logger[level](passLogFields(report), msg);
    this.lastPass = report;
    return report;
  }
}

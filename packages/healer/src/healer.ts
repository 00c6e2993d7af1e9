// The healer loop: hints -> one single-flight pass (observe -> plan -> act, leader only) -> alerts, metrics, audit log.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ScheduledTask } from 'node-cron';
import { LeaderLock, errorMessage, silentLogger, waitFor, type ConsulClient } from '@consul-sidecars/core';
import { NoopAlertSink, type AlertSink } from './alert-hook';
import { ComposeRunner } from './compose-runner';
import type { DesiredState, DesiredStateSource } from './desired-state';
import { removeContainers } from './docker-containers';
import { ConsulDockerReader, liveStateHash, type LiveStateReader } from './live-state';
import { HealerMetrics } from './metrics';
import { startOpsEndpoint, type OpsEndpoint, type TriggerHint } from './ops-endpoint';
import { emptyMemory, plan, recordOutcome, type Action, type Alert, type HealerMemory, type ServiceDecision } from './plan';
import { CoalescingRunner, HealthWatchTriggers, startCronTrigger } from './triggers';

export const DEFAULT_LEADER_KEY = 'consul-sidecars/healer/leader';
export const DEFAULT_SCHEDULE = '* * * * *';

export interface HealerOptions {
  desired: DesiredStateSource;
  consul: ConsulClient;
  logger?: Logger;
  reader?: LiveStateReader;
  runner?: ComposeRunner;
  /** Removes failed containers by id (default: the Docker API). */
  remove?: (action: Extract<Action, { kind: 'remove' }>) => Promise<void>;
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

export interface ActionReport {
  service: string;
  kind: Action['kind'];
  ok: boolean;
  detail: string;
}

export interface PassReport {
  at: string;
  reasons: string[];
  desiredHash: string;
  liveHash?: string;
  /** Whether this healer was allowed to act (leader, or no lock). */
  leader: boolean;
  dryRun: boolean;
  guard?: string;
  decisions: ServiceDecision[];
  actions: ActionReport[];
  alerts: Alert[];
  error?: string;
}

export class Healer {
  readonly metrics: HealerMetrics;
  readonly runner: ComposeRunner;
  private readonly options: HealerOptions;
  private readonly logger: Logger;
  private readonly reader: LiveStateReader;
  private readonly alerts: AlertSink;
  private readonly passes: CoalescingRunner<PassReport>;
  private memory: HealerMemory = emptyMemory();
  private lock?: LeaderLock;
  private cronTask?: ScheduledTask;
  private watchers?: HealthWatchTriggers;
  private ops?: OpsEndpoint;
  private desiredHash?: string;
  private lastDesiredError?: string;
  /** Memory as last written to Consul, and the read of a predecessor's memory after an election. */
  private persistedMemory?: string;
  private adoption?: Promise<void>;
  lastPass?: PassReport;

  constructor(options: HealerOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger();
    this.metrics = options.metrics ?? new HealerMetrics();
    this.reader = options.reader ?? new ConsulDockerReader({ consul: options.consul });
    this.runner = options.runner ?? new ComposeRunner({ logger: this.logger });
    this.alerts = options.alerts ?? new NoopAlertSink();
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
    await this.cronTask?.destroy();
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

  private reloadDesired(): DesiredState {
    const source = this.options.desired;
    const result = source.reloadIfModified();
    if (result.error) {
      const message = result.error.message;
      this.logger.error({ err: message, file: source.path }, 'desired-state file is invalid; keeping the last good state');
      if (message !== this.lastDesiredError && this.isLeader) {
        this.lastDesiredError = message;
        const key = `desired-invalid:${createHash('sha256').update(message).digest('hex').slice(0, 8)}`;
        void this.sendAlerts([{ key, kind: 'desired-invalid', message }]);
      }
    } else if (result.changed) {
      this.lastDesiredError = undefined;
      this.logger.info({ file: source.path, hash: source.current.hash }, 'desired state reloaded');
      this.watchers?.sync(source.current.services);
    }
    this.desiredHash = source.current.hash;
    return source.current;
  }

  /** Re-reads the desired file now (SIGHUP); returns the error, if any, while keeping the last good state. */
  reload(): Error | undefined {
    const result = this.options.desired.reload();
    if (result.error) {
      this.logger.error({ err: result.error.message }, 'reload failed; keeping the last good desired state');
      return result.error;
    }
    this.watchers?.sync(this.options.desired.current.services);
    void this.trigger('reload').catch(() => undefined);
    return undefined;
  }

  private get memoryKey(): string {
    return `${this.options.leaderKey ?? DEFAULT_LEADER_KEY}.memory`;
  }

  private async adoptMemory(): Promise<void> {
    try {
      const entry = (await this.options.consul.kv.get({ key: this.memoryKey })) as { Value?: string | null } | undefined | null;
      if (!entry?.Value) return;
      const services = parsePersistedMemory(entry.Value);
      if (!services) {
        this.logger.warn({ key: this.memoryKey }, 'ignoring unreadable healer memory in consul');
        return;
      }
      this.memory = { ...this.memory, services };
      this.persistedMemory = entry.Value;
      this.logger.info({ key: this.memoryKey, services: Object.keys(services) }, "adopted the previous leader's expectations and breakers");
    } catch (err) {
      this.logger.warn({ key: this.memoryKey, err: errorMessage(err) }, 'cannot read healer memory from consul; starting fresh');
    }
  }

  private async persistMemory(): Promise<void> {
    if (!this.usesLock) return;
    const text = JSON.stringify(this.memory.services);
    if (text === this.persistedMemory) return;
    try {
      await this.options.consul.kv.set({ key: this.memoryKey, value: text });
      this.persistedMemory = text;
    } catch (err) {
      this.logger.warn({ key: this.memoryKey, err: errorMessage(err) }, 'cannot write healer memory to consul');
    }
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
      report.liveHash = liveStateHash(live);
      const planned = plan(desired, live, this.memory, this.now(), this.options.random);
      report.decisions = planned.decisions;
      if (planned.guard) report.guard = planned.guard.kind;
      const breakers = Object.fromEntries(Object.entries(planned.memory.services).map(([name, m]) => [name, Boolean(m.breaker && !m.breaker.trial)]));
      this.metrics.recordDecisions(planned.decisions, breakers);

      if (!leader) {
        // Followers observe and report, but neither act nor alert nor remember: the leader does.
        this.metrics.passes.inc({ result: 'follower' });
        this.logPass(report, 'pass planned (not leader: not acting)');
        return this.finish(report);
      }
      if (dryRun) {
        report.alerts = planned.alerts;
        for (const alert of planned.alerts) this.logger.warn({ alert: alert.key, kind: alert.kind, service: alert.service }, `ALERT (dry run): ${alert.message}`);
        // Keep only the alert bookkeeping, so a dry run does not print the same alert every pass.
        this.memory = { ...this.memory, activeAlerts: planned.memory.activeAlerts };
        this.metrics.passes.inc({ result: 'dry-run' });
        this.logPass(report, 'dry run: planned, not acting');
        return this.finish(report);
      }

      let memory = planned.memory;
      const alerts = [...planned.alerts];
      for (const decision of planned.decisions) {
        if (decision.actions.length === 0) continue;
        const outcome = await this.act(decision, report);
        if (!outcome.ok) {
          const corrected = recordOutcome(memory, decision.service, outcome, desired.policy, this.now(), this.options.random);
          memory = corrected.memory;
          alerts.push(...corrected.alerts);
        }
      }
      this.memory = memory;
      await this.persistMemory();
      report.alerts = alerts;
      await this.sendAlerts(alerts);
      this.metrics.passes.inc({ result: report.actions.length > 0 ? 'acted' : planned.guard ? 'held' : 'noop' });
      this.logPass(report, report.actions.length > 0 ? 'pass acted' : 'pass planned nothing to do');
      return this.finish(report);
    } catch (err) {
      report.error = errorMessage(err);
      this.metrics.passes.inc({ result: 'error' });
      this.logger.error({ err: report.error, reasons }, 'pass failed');
      return this.finish(report);
    }
  }

  private finish(report: PassReport): PassReport {
    this.lastPass = report;
    return report;
  }

  private logPass(report: PassReport, msg: string): void {
    const decisions = report.decisions.map((d) => ({ service: d.service, state: d.state, healthy: d.healthy, min: d.min, max: d.max, starting: d.starting, failed: d.failed, reason: d.reason, actions: d.actions.map(describeAction) }));
    const level = report.actions.length > 0 || report.guard ? 'info' : 'debug';
    this.logger[level]({ reasons: report.reasons, leader: report.leader, desired: report.desiredHash, live: report.liveHash, guard: report.guard, decisions, actions: report.actions }, msg);
  }

  /** Carries out one service's actions in order: remove failed containers, then one compose run. */
  private async act(decision: ServiceDecision, report: PassReport): Promise<{ ok: true } | { ok: false; failure: string; message: string; deterministic: boolean }> {
    const policy = this.options.desired.current.policy;
    for (const action of decision.actions) {
      if (action.kind === 'remove') {
        try {
          await (this.options.remove ?? ((a) => removeContainers(a.target, a.containers.map((c) => c.id))))(action);
          this.metrics.actions.inc({ service: action.service, kind: 'remove', result: 'ok' });
          report.actions.push({ service: action.service, kind: 'remove', ok: true, detail: describeAction(action) });
          this.logger.info({ service: action.service, containers: action.containers }, 'removed failed containers');
        } catch (err) {
          this.metrics.actions.inc({ service: action.service, kind: 'remove', result: 'error' });
          report.actions.push({ service: action.service, kind: 'remove', ok: false, detail: errorMessage(err) });
          this.logger.error({ service: action.service, err: errorMessage(err) }, 'removing failed containers failed');
          return { ok: false, failure: 'remove-failed', message: errorMessage(err), deterministic: false };
        }
      } else {
        const result = await this.runner.scale(action.target, action.total, policy.composeTimeoutMs);
        const label = result.ok ? 'ok' : (result.failure ?? 'error');
        this.metrics.composeRuns.inc({ service: action.service, result: label });
        this.metrics.actions.inc({ service: action.service, kind: 'scale', result: label });
        report.actions.push({ service: action.service, kind: 'scale', ok: result.ok, detail: result.ok ? describeAction(action) : `${result.failure}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}` });
        if (!result.ok) {
          return { ok: false, failure: result.failure ?? 'compose-error', message: result.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${result.exitCode}`, deterministic: result.deterministic };
        }
      }
    }
    return { ok: true };
  }

  private async sendAlerts(alerts: Alert[]): Promise<void> {
    for (const alert of alerts) {
      this.metrics.alerts.inc({ kind: alert.kind });
      this.logger.warn({ alert: alert.key, kind: alert.kind, service: alert.service, details: alert.details }, `ALERT: ${alert.message}`);
      if (this.options.dryRun) continue;
      try {
        await this.alerts.send(alert);
      } catch (err) {
        this.logger.error({ alert: alert.key, err: errorMessage(err) }, 'alert hook failed');
      }
    }
  }
}

/** Reads memory written by a previous leader; undefined when it is not the shape this version writes. */
export function parsePersistedMemory(text: string): HealerMemory['services'] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  for (const value of Object.values(data)) {
    const m = value as Record<string, unknown>;
    if (typeof m !== 'object' || m === null) return undefined;
    if (typeof m.failures !== 'number' || typeof m.successes !== 'number' || typeof m.notBefore !== 'number' || !Array.isArray(m.actionTimes)) return undefined;
  }
  return data as HealerMemory['services'];
}

export function describeAction(action: Action): string {
  if (action.kind === 'remove') return `remove ${action.containers.map((c) => `${c.name} (${c.reason})`).join(', ')}`;
  return `docker-compose -p ${action.target.composeProject} up --scale ${action.target.composeService}=${action.total} (+${action.add})`;
}

/** The part of a pass report a trigger caller or /health needs. */
export function summarise(report: PassReport): Record<string, unknown> {
  return {
    at: report.at,
    reasons: report.reasons,
    leader: report.leader,
    dryRun: report.dryRun,
    guard: report.guard,
    error: report.error,
    services: report.decisions.map((d) => ({ service: d.service, state: d.state, healthy: d.healthy, min: d.min, max: d.max, reason: d.reason })),
    actions: report.actions,
    alerts: report.alerts.map((a) => a.kind),
  };
}

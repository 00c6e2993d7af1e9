// Act: applies planned actions through the registry adapter, idempotently, logging each; a rejected write backs off per service.

import type { Logger } from 'pino';
import { backoffDelay, crashPoint, errorMessage, mapLimit } from '@consul-sidecars/core';
import { CRASH_POINTS } from '../crash-points';
import { errorKind, hasErrorCode } from '../errors';
import type { RegistratorMetrics } from '../metrics';
import type { AgentView } from '../observe/agent-view';
import type { PlanAction } from '../plan/registrations';
import { appliedMessage, describeAction } from './action-log';
import type { RegistryAdapter } from './registry-adapter';

/** Writes in flight at once. */
const WRITE_CONCURRENCY = 8;

export interface ActorOptions {
  dryRun: boolean;
  logger: Logger;
  metrics?: RegistratorMetrics;
  /** Aborted when registrator stops: only the exit deregistration (`final`) still writes. */
  signal: AbortSignal;
  /** A write found the registry unreachable (the agent follower re-reads it). */
  onUnreachable(): void;
  /** A backed-off service is due again: re-read the agent and reconcile. */
  onRetryDue(): void;
}

export class Actor {
  private readonly failures = new Map<string, { attempts: number; retryAt: number }>();
  private retryTimer?: NodeJS.Timeout;

  constructor(private readonly registry: RegistryAdapter, private readonly view: AgentView, private readonly options: ActorOptions) {}

  /** Applies actions, updating the agent view after each success; returns how many failed (backed-off ones count). */
  async act(actions: readonly PlanAction[], options: { quiet?: boolean; final?: boolean } = {}): Promise<number> {
    const { dryRun, logger: log, metrics, signal } = this.options;
    if (actions.length === 0) return 0;
    if (signal.aborted && !options.final) return 0;
    if (dryRun) {
      for (const a of actions) log.info({ dryRun: true, ...describeAction(a) }, 'would apply');
      return 0;
    }
    const now = Date.now();
    let failed = 0;
    const due = actions.filter((a) => (this.failures.get(a.serviceId)?.retryAt ?? 0) <= now);
    await mapLimit(due, WRITE_CONCURRENCY, async (a) => {
      this.view.writeEpoch++;
      try {
        await this.apply(a);
        this.failures.delete(a.serviceId);
        metrics?.writes.inc({ action: a.kind, result: 'ok' });
        if (!options.quiet) log.info(describeAction(a), appliedMessage(a));
      } catch (err) {
        failed++;
        metrics?.writes.inc({ action: a.kind, result: 'error' });
        metrics?.errors.inc({ kind: errorKind(err) });
        if (hasErrorCode(err, 'ERR_REGISTRY_UNREACHABLE')) {
          this.options.onUnreachable();
        } else {
          // A rejected write would fail the same way at once: back off per service.
          const attempts = (this.failures.get(a.serviceId)?.attempts ?? 0) + 1;
          const delay = backoffDelay(attempts, { baseMs: 1000, maxMs: 60_000 });
          this.failures.set(a.serviceId, { attempts, retryAt: Date.now() + delay });
          this.scheduleRetry(delay);
        }
        log.error({ ...describeAction(a), err: errorMessage(err) }, `${a.kind} failed; will retry`);
      }
    });
    return failed + (actions.length - due.length);
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private scheduleRetry(delayMs: number): void {
    if (this.retryTimer || this.options.signal.aborted) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.options.onRetryDue();
    }, delayMs + 10);
    this.retryTimer.unref();
  }

  private async apply(a: PlanAction): Promise<void> {
    switch (a.kind) {
      case 'register':
      case 'update':
        crashPoint(CRASH_POINTS.beforeRegister);
        await this.registry.register(a.registration);
        crashPoint(CRASH_POINTS.afterRegister);
        this.view.registered(a.registration);
        return;
      case 'deregister':
        crashPoint(CRASH_POINTS.beforeDeregister);
        await this.registry.deregister(a.serviceId);
        crashPoint(CRASH_POINTS.afterDeregister);
        this.view.deregistered(a.serviceId);
        return;
      case 'updateTtl':
        await this.registry.updateTtl(a.checkId, a.status, a.output);
        this.view.ttlUpdated(a.checkId, a.status);
        return;
    }
  }
}

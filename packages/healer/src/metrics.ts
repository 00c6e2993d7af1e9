// The healer's Prometheus metrics: per service desired, healthy, state and actions; compose runs, alerts, passes.

import { Counter, Gauge, type Registry } from 'prom-client';
import { createDaemonMetrics, createLeaderMetric, createMetricsRegistry } from '@consul-sidecars/core';
import { ERROR_CODES, type ErrorCode } from './errors';
import type { ServiceDecision } from './plan/plan';

/** The `kind` of an error: its code when it is one of the catalogue's, else ERR_UNEXPECTED (a bug or a library's own error). */
export function errorKind(err: unknown): ErrorCode {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code in ERROR_CODES ? (code as ErrorCode) : 'ERR_UNEXPECTED';
}

const STATE_VALUE = { passing: 0, warning: 1, critical: 2 } as const;

export class HealerMetrics {
  readonly registry: Registry;
  readonly desiredMin: Gauge<'service'>;
  readonly desiredMax: Gauge<'service'>;
  readonly healthy: Gauge<'service'>;
  readonly state: Gauge<'service'>;
  readonly actions: Counter<'service' | 'kind' | 'result'>;
  readonly composeRuns: Counter<'service' | 'result'>;
  readonly alerts: Counter<'kind'>;
  readonly passes: Counter<'result'>;
  readonly triggers: Counter<'source'>;
  readonly leader: Gauge;
  readonly breakerOpen: Gauge<'service'>;
  readonly desiredValid: Gauge;
  readonly desiredReloads: Counter<'result'>;
  /** 1 while the last pass read Consul (0 once core's client calls it unavailable: consecutive failures). */
  readonly consulReachable: Gauge;
  /** When each service was last seen passing (healthy >= min, at or below max), in Unix seconds. */
  readonly lastSuccess: Gauge<'service'>;
  /** Errors by kind: the code of the healer's error catalogue (errors.ts). */
  readonly errors: Counter<'kind'>;

  constructor(registry: Registry = createMetricsRegistry('healer')) {
    this.registry = registry;
    const registers = [registry];
    this.desiredMin = new Gauge({ name: 'healer_desired_min', help: 'Desired minimum healthy instances', labelNames: ['service'], registers });
    this.desiredMax = new Gauge({ name: 'healer_desired_max', help: 'Desired maximum healthy instances (absent: none)', labelNames: ['service'], registers });
    this.healthy = new Gauge({ name: 'healer_healthy_instances', help: 'Healthy instances seen in the last pass', labelNames: ['service'], registers });
    this.state = new Gauge({ name: 'healer_service_state', help: 'Service state: 0 passing, 1 warning (above max), 2 critical (below min)', labelNames: ['service'], registers });
    this.actions = new Counter({ name: 'healer_actions_total', help: 'Actions taken (remove, scale) by result', labelNames: ['service', 'kind', 'result'], registers });
    this.composeRuns = new Counter({ name: 'healer_compose_runs_total', help: 'docker-compose runs by result', labelNames: ['service', 'result'], registers });
    this.alerts = new Counter({ name: 'healer_alerts_total', help: 'Alerts raised by kind', labelNames: ['kind'], registers });
    this.passes = new Counter({ name: 'healer_passes_total', help: 'Reconcile passes by result (acted, noop, held, error, follower)', labelNames: ['result'], registers });
    this.triggers = new Counter({ name: 'healer_triggers_total', help: 'Trigger hints received by source', labelNames: ['source'], registers });
    // The metrics every daemon shares, under one name (deploy/README.md): the daemon is the scrape job.
    this.leader = createLeaderMetric(registry);
    const shared = createDaemonMetrics(registry, { unitLabel: 'service' });
    this.consulReachable = shared.consulReachable;
    this.lastSuccess = shared.lastSuccess;
    this.errors = shared.errors;
    this.desiredValid = new Gauge({ name: 'healer_desired_state_valid', help: '1 when the last read of the desired-state file was valid; 0: running on the last good state', registers });
    this.desiredValid.set(1);
    this.desiredReloads = new Counter({ name: 'healer_desired_reloads_total', help: 'Re-reads of a changed desired-state file (on change or SIGHUP) by result (ok, error)', labelNames: ['result'], registers });
    this.breakerOpen = new Gauge({ name: 'healer_breaker_open', help: '1 while the service circuit breaker is open', labelNames: ['service'], registers });
  }

  /** One scale call's result; compose runs keep their own counter (the swarm backend will add its own). */
  recordScaleRun(backend: string, service: string, result: string): void {
    if (backend === 'compose') this.composeRuns.inc({ service, result });
  }

  /** Counts an error under its code (one of the catalogue's; ERR_UNEXPECTED for one without a code). */
  recordError(err: unknown): void {
    this.errors.inc({ kind: errorKind(err) });
  }

  recordDecisions(decisions: ServiceDecision[], breakers: Record<string, boolean>, now = Date.now()): void {
    for (const d of decisions) {
      if (d.state === 'passing') this.lastSuccess.set({ service: d.service }, Math.floor(now / 1000));
      this.desiredMin.set({ service: d.service }, d.min);
      if (d.max !== undefined) this.desiredMax.set({ service: d.service }, d.max);
      this.healthy.set({ service: d.service }, d.healthy);
      this.state.set({ service: d.service }, STATE_VALUE[d.state]);
      this.breakerOpen.set({ service: d.service }, breakers[d.service] ? 1 : 0);
    }
  }
}

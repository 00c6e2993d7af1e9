// The metrics every daemon has, under one name across daemons (the daemon is the scrape job): whether it holds the
// leader lock, whether Consul answers, when each unit last reached its goal, and errors by code. Names and meaning
// are documented in deploy/README.md, which the alert rules and dashboards rely on.

import { Counter, Gauge, type Registry } from 'prom-client';

export interface DaemonMetrics {
  /** 1 while the daemon's Consul requests succeed (0 only after consecutive failures). */
  consulReachable: Gauge<string>;
  /** When a unit (template, service, pool; none for registrator) last reached its goal, in Unix seconds. */
  lastSuccess: Gauge<string>;
  /** Errors by kind: the error code of the package's catalogue. */
  errors: Counter<string>;
}

/** Singletons only (healer, f5-sync): 1 while this process holds the leader lock. */
export function createLeaderMetric(registry: Registry): Gauge<string> {
  return new Gauge({ name: 'consul_sidecars_leader', help: '1 while this process holds the leader lock (only the leader acts)', registers: [registry] });
}

export function createDaemonMetrics(registry: Registry, options: { unitLabel?: string } = {}): DaemonMetrics {
  const registers = [registry];
  return {
    consulReachable: new Gauge({ name: 'consul_sidecars_consul_reachable', help: '1 while Consul answers (0 after consecutive failures)', registers }),
    lastSuccess: new Gauge({
      name: 'consul_sidecars_last_success_timestamp_seconds',
      help: 'When each unit last reached its goal (rendered good, healthy, in sync)',
      labelNames: options.unitLabel ? [options.unitLabel] : [],
      registers,
    }),
    errors: new Counter({ name: 'consul_sidecars_errors_total', help: 'Errors by kind (the error code)', labelNames: ['kind'], registers }),
  };
}

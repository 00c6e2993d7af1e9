// Prometheus metrics registrator exposes on its loopback /metrics.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createDaemonMetrics } from '@consul-sidecars/core';

export interface RegistratorMetrics {
  writes: Counter<'action' | 'result'>;
  dockerEvents: Counter<'action'>;
  reconciles: Counter<'kind' | 'result'>;
  reconcileSeconds: Histogram<'kind'>;
  ownedServices: Gauge;
  dockerConnected: Gauge;
  consulReachable: Gauge;
  warnings: Counter;
  /** consul_sidecars_errors_total{kind}: every failure registrator handled (a write, a read, an inspect, the event stream), by error code. */
  errors: Counter<'kind'>;
}

export function createRegistratorMetrics(registry: Registry): RegistratorMetrics {
  const registers = [registry];
  // One name across daemons (deploy/README.md): the daemon is the scrape job.
  const shared = createDaemonMetrics(registry);
  return {
    writes: new Counter({ name: 'registrator_consul_writes_total', help: 'Writes to the Consul agent by action and result', labelNames: ['action', 'result'], registers }),
    dockerEvents: new Counter({ name: 'registrator_docker_events_total', help: 'Docker events handled', labelNames: ['action'], registers }),
    reconciles: new Counter({ name: 'registrator_reconciles_total', help: 'Reconcile passes by kind (full, container, agent, roles) and result', labelNames: ['kind', 'result'], registers }),
    reconcileSeconds: new Histogram({ name: 'registrator_reconcile_seconds', help: 'Duration of reconcile passes', labelNames: ['kind'], buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30], registers }),
    ownedServices: new Gauge({ name: 'registrator_owned_services', help: 'Services on the agent that this registrator owns', registers }),
    dockerConnected: new Gauge({ name: 'registrator_docker_stream_connected', help: '1 while the Docker event stream is up', registers }),
    consulReachable: shared.consulReachable,
    errors: shared.errors as Counter<'kind'>,
    warnings: new Counter({ name: 'registrator_container_warnings_total', help: 'Malformed SERVICE_* keys and labels reported', registers }),
  };
}

// f5-sync's Prometheus metrics: iControl calls by outcome, drift repaired, members per pool, held pools, syncs.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createDaemonMetrics, createLeaderMetric, createMetricsRegistry } from '@consul-sidecars/core';
import type { CallRecord } from './target/bigip/icontrol-errors';

export class F5SyncMetrics {
  readonly registry: Registry;
  readonly calls: Counter<'method' | 'outcome'>;
  readonly logins: Counter;
  readonly transactions: Counter<'outcome'>;
  readonly driftRepaired: Counter<'pool'>;
  readonly members: Gauge<'pool' | 'owner'>;
  readonly held: Gauge<'pool'>;
  readonly syncs: Counter<'outcome'>;
  readonly syncSeconds: Histogram;
  readonly leader: Gauge;
  /** When each pool was last in step with Consul (a pass that ended without error). */
  readonly lastSuccess: Gauge<string>;
  readonly snatUtilisation: Gauge<'snat_pool'>;
  readonly snatNearExhaustion: Gauge<'snat_pool'>;
  readonly declaredPools: Gauge;
  readonly declarationsHeld: Gauge;
  /** consul_sidecars_consul_reachable: 1 while f5-sync's Consul queries succeed. */
  readonly consulReachable: Gauge<string>;
  /** consul_sidecars_errors_total{kind}: errors by code (src/error-codes.ts). */
  readonly errors: Counter<string>;

  constructor(registry: Registry = createMetricsRegistry('f5-sync')) {
    this.registry = registry;
    const registers = [registry];
    this.calls = new Counter({ name: 'f5sync_icontrol_calls_total', help: 'iControl REST calls by HTTP method and outcome', labelNames: ['method', 'outcome'], registers });
    this.logins = new Counter({ name: 'f5sync_icontrol_logins_total', help: 'Token logins to the BIG-IP', registers });
    this.transactions = new Counter({ name: 'f5sync_transactions_total', help: 'Pool changes sent, by outcome (transaction or single call)', labelNames: ['outcome'], registers });
    this.driftRepaired = new Counter({ name: 'f5sync_drift_repaired_total', help: 'Members or pool settings repaired after they drifted on the BIG-IP', labelNames: ['pool'], registers });
    this.members = new Gauge({ name: 'f5sync_pool_members', help: 'Members per pool, ours (f5-sync) or foreign', labelNames: ['pool', 'owner'], registers });
    this.held = new Gauge({ name: 'f5sync_pool_held', help: '1 while a pool is held (Consul unavailable or a sudden empty answer)', labelNames: ['pool'], registers });
    this.syncs = new Counter({ name: 'f5sync_pool_syncs_total', help: 'Pool passes by outcome', labelNames: ['outcome'], registers });
    this.syncSeconds = new Histogram({ name: 'f5sync_pool_sync_seconds', help: 'Duration of one pool pass (read, plan, apply)', buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers });
    this.snatUtilisation = new Gauge({ name: 'f5sync_snat_utilisation_ratio', help: 'SNAT pool connections / (translation addresses x ports per address)', labelNames: ['snat_pool'], registers });
    this.snatNearExhaustion = new Gauge({ name: 'f5sync_snat_near_exhaustion', help: '1 while a SNAT pool is at or above snat.nearExhaustionRatio', labelNames: ['snat_pool'], registers });
    // The metrics every daemon shares, under one name (deploy/README.md): the daemon is the scrape job.
    this.declaredPools = new Gauge({ name: 'f5sync_declared_pools', help: 'Pools declared by Consul services (declarations.enabled), last good set', registers });
    this.declarationsHeld = new Gauge({ name: 'f5sync_declarations_held', help: '1 while a catalog answer that dropped every declared pool at once is held', registers });
    this.leader = createLeaderMetric(registry);
    const shared = createDaemonMetrics(registry, { unitLabel: 'pool' });
    this.lastSuccess = shared.lastSuccess;
    this.consulReachable = shared.consulReachable;
    this.errors = shared.errors;
  }

  recordCall(record: CallRecord): void {
    this.calls.inc({ method: record.method, outcome: record.outcome });
  }
}

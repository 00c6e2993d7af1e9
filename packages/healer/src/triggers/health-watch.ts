// The health hint: one blocking query on /v1/health/state/any for every desired service at once; a real change of a
// service's checks (or of the node checks where it runs) asks for a pass naming that service.
//
// One query, not one per service: core's client holds 16 sockets, and 100 blocking queries of 60 s each held them
// all, so a pass's reads and the leader lock's renewals queued behind them (at 100 services no pass finished in 20 s).

import type { Logger } from 'pino';
import { healthStateRead, mapRead, type BlockingWatcher, type ConsulHttpClient, type HealthCheck } from '@consul-sidecars/core';
import type { ServiceSpec } from '../desired/desired-state';
import type { InstanceHealth } from '../observe/consul-health';

/** The part of a health answer that matters to a healer: which instances exist and their aggregated status. */
export function healthFingerprint(instances: InstanceHealth[]): string[] {
  return instances
    .map((i) => `${i.ID}@${i.Node}=${i.Status}${i.Maintenance ? `/${i.Maintenance}` : ''}`)
    .sort();
}

/**
 * Per desired service, its checks (node, instance, check, status) and the node checks of the nodes it runs on, as one
 * comparable string; a service without checks is absent. Pure: the watcher compares these between answers.
 */
export function serviceCheckFingerprints(checks: readonly HealthCheck[], services: ReadonlySet<string>): Record<string, string> {
  const nodeChecks = new Map<string, string[]>();
  for (const c of checks) if (c.ServiceID === '') nodeChecks.set(c.Node, [...(nodeChecks.get(c.Node) ?? []), `${c.Node}/${c.CheckID}=${c.Status}`]);
  const parts = new Map<string, { lines: string[]; nodes: Set<string> }>();
  for (const c of checks) {
    if (c.ServiceID === '' || !services.has(c.ServiceName)) continue;
    const entry = parts.get(c.ServiceName) ?? { lines: [], nodes: new Set<string>() };
    entry.lines.push(`${c.Node}/${c.ServiceID}/${c.CheckID}=${c.Status}`);
    entry.nodes.add(c.Node);
    parts.set(c.ServiceName, entry);
  }
  const out: Record<string, string> = {};
  for (const [name, { lines, nodes }] of parts) out[name] = [...lines, ...[...nodes].flatMap((n) => nodeChecks.get(n) ?? [])].sort().join('\n');
  return out;
}

/** The services whose fingerprint differs between two answers (appeared, changed or gone). */
export function changedServices(before: Record<string, string> | undefined, after: Record<string, string>, services: Iterable<string>): string[] {
  return [...services].filter((name) => before === undefined || before[name] !== after[name]);
}

export class HealthWatchTriggers {
  private names = new Set<string>();
  private watcher?: BlockingWatcher<Record<string, string>>;
  private last?: Record<string, string>;

  constructor(
    private readonly consul: ConsulHttpClient,
    private readonly onChange: (service: string) => void,
    private readonly logger?: Logger,
    private readonly waitSeconds = 60,
  ) {}

  /** Watches the desired services (after a desired-state reload: the new set; a new service is a hint at once). */
  sync(services: ServiceSpec[]): void {
    const next = new Set(services.map((s) => s.name));
    const added = [...next].filter((n) => !this.names.has(n));
    this.names = next;
    if (!this.watcher) {
      const read = mapRead(healthStateRead('any'), (checks) => serviceCheckFingerprints(checks, this.names));
      this.watcher = this.consul.watch(read, { name: 'health:desired-services', logger: this.logger, waitSeconds: this.waitSeconds });
      this.watcher.on('change', (fingerprints: Record<string, string>) => {
        const changed = changedServices(this.last, fingerprints, this.names);
        this.last = fingerprints;
        for (const name of changed) this.onChange(name);
      });
      this.watcher.on('error', () => undefined);
      this.watcher.start();
      return;
    }
    for (const name of added) this.onChange(name);
  }

  /** Blocking queries held: one, whatever the number of services. */
  get count(): number {
    return this.watcher ? 1 : 0;
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = undefined;
    this.last = undefined;
  }
}

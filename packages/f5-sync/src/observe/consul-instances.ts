// Observe Consul: one blocking query per service on /v1/health/service/<svc>?passing; answers "what should pool P hold".

import { EventEmitter } from 'node:events';
import { BlockingWatcher, CodedError, consulBlockingQuery, type ConsulClient, type Logger } from '@consul-sidecars/core';
import type { PoolConfig } from '../config';
import { desiredMembers, type DesiredPool, type MemberMapping } from '../plan/desired-members';
import { parseHealthEntries, type ServiceInstance } from './health-entries';

interface InstanceEvents {
  /** The service's passing instances changed (or were read for the first time). */
  change: [service: string];
  /** Consul failed for this service (we keep the last data but hold its pools). */
  unavailable: [service: string, reason: string, consecutiveErrors: number];
}

/** One blocking watcher per Consul service; answers "what should pool P hold" from the latest data. */
export class ConsulInstances extends EventEmitter<InstanceEvents> {
  private readonly watchers = new Map<string, BlockingWatcher<ServiceInstance[]>>();
  private readonly lastError = new Map<string, string>();

  private started = false;

  constructor(private readonly consul: ConsulClient, services: Iterable<string>, private readonly mapping: MemberMapping, private readonly logger?: Logger, private readonly waitSeconds = 60) {
    super();
    for (const service of new Set(services)) this.add(service);
  }

  /** Watches one more service (a pool declared at run time); started at once when the others run. */
  add(service: string): void {
    if (this.watchers.has(service)) return;
    const { consul, logger, waitSeconds } = this;
    const readHealth = (opts: Record<string, unknown>): Promise<unknown> => consul.health.service({ ...opts, service, passing: true });
    const query = consulBlockingQuery<ServiceInstance[]>(readHealth, {}, parseHealthEntries);
    const watcher = new BlockingWatcher<ServiceInstance[]>(query, { name: `health:${service}`, logger, waitSeconds });
    watcher.on('change', () => {
      this.lastError.delete(service);
      this.emit('change', service);
    });
    watcher.on('error', (err, consecutiveErrors) => {
      const reason = `consul query for ${service} failed: ${err instanceof Error ? err.message : String(err)}`;
      this.lastError.set(service, reason);
      this.emit('unavailable', service, reason, consecutiveErrors);
    });
    watcher.on('recovered', () => {
      this.lastError.delete(service);
      this.emit('change', service);
    });
    this.watchers.set(service, watcher);
    if (this.started) watcher.start();
  }

  /** Stops watching a service no pool uses any more. */
  async remove(service: string): Promise<void> {
    const watcher = this.watchers.get(service);
    if (!watcher) return;
    this.watchers.delete(service);
    this.lastError.delete(service);
    await watcher.stop();
  }

  /** True between start() and stop(): a service added now is watched at once. */
  get running(): boolean {
    return this.started;
  }

  has(service: string): boolean {
    return this.watchers.has(service);
  }

  start(): this {
    this.started = true;
    for (const watcher of this.watchers.values()) watcher.start();
    return this;
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.watchers.values()].map((w) => w.stop()));
  }

  /** Resolves once every service has answered once (or rejects at the deadline). */
  async ready(timeoutMs: number): Promise<void> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new CodedError('ERR_CONSUL_TIMEOUT', `Consul did not answer for every service within ${timeoutMs} ms`)), timeoutMs);
    try {
      await Promise.all([...this.watchers.values()].map((w) => w.firstData(abort.signal)));
    } finally {
      clearTimeout(timer);
    }
  }

  /** Total Consul requests so far (for tests proving there is no busy loop). */
  get requests(): number {
    let n = 0;
    for (const w of this.watchers.values()) n += w.requests;
    return n;
  }

  desired(pool: PoolConfig): DesiredPool {
    const watcher = this.watchers.get(pool.consulService);
    if (!watcher) return { status: 'unavailable', reason: `no watcher for service ${pool.consulService}` };
    if (!watcher.ready) return { status: 'unavailable', reason: `no answer from Consul yet for ${pool.consulService}` };
    if (!watcher.healthy) return { status: 'unavailable', reason: this.lastError.get(pool.consulService) ?? `consul query for ${pool.consulService} is failing` };
    return desiredMembers(pool, watcher.data ?? [], this.mapping);
  }
}

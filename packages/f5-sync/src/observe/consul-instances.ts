// Observe Consul: /v1/health/service/<svc>?passing per service, woken by core's ServiceChangeFeed (three blocking
// queries for every service, then a bounded read of just the services that changed) rather than one blocking query
// per service: at any number of pools the watches hold at most feed.connectionBudget connections (README
// "Connections to Consul"). Answers "what should pool P hold".

import { EventEmitter, setMaxListeners } from 'node:events';
import { BlockingWatcher, CodedError, errorMessage, healthServiceRead, mapRead, type Logger, type ServiceChangeFeed } from '@consul-sidecars/core';
import type { PoolConfig } from '../config';
import { desiredMembers, type DesiredPool, type MemberMapping } from '../plan/desired-members';
import { toServiceInstances, type ServiceInstance } from './health-entries';
import { watcherOptions, type ConsulWatchOptions } from './consul-watch-options';

interface InstanceEvents {
  /** The service's passing instances changed (or were read for the first time). */
  change: [service: string];
  /** Consul failed for this service (we keep the last data but hold its pools). */
  unavailable: [service: string, reason: string, consecutiveErrors: number];
}

/** One watcher per Consul service, all woken by one feed; answers "what should pool P hold" from the latest data. */
export class ConsulInstances extends EventEmitter<InstanceEvents> {
  private readonly watchers = new Map<string, BlockingWatcher<ServiceInstance[]>>();
  private readonly lastError = new Map<string, string>();
  /** Set while one of the feed's queries fails: changes may be missed, so every pool is held (as a failing watch was). */
  private feedError?: string;
  private feedErrors = 0;

  private started = false;

  /** `feed` is this process's one ServiceChangeFeed; started and stopped with this. */
  constructor(private readonly feed: ServiceChangeFeed, services: Iterable<string>, private readonly mapping: MemberMapping, private readonly logger?: Logger, private readonly watch: ConsulWatchOptions = {}) {
    super();
    for (const service of new Set(services)) this.add(service);
    feed.on('error', (err) => {
      this.feedErrors++;
      this.feedError = `consul's change feed failed: ${errorMessage(err)}`;
      for (const service of this.watchers.keys()) this.emit('unavailable', service, `${this.feedError} (watching ${service})`, this.feedErrors);
    });
    feed.on('recovered', () => {
      if (!this.feedError || !feed.healthy) return;
      this.feedError = undefined;
      this.feedErrors = 0;
      for (const service of this.watchers.keys()) this.emit('change', service);
    });
  }

  /** The most connections the health watches hold at once, whatever the number of services. */
  get connectionBudget(): number {
    return this.feed.connectionBudget;
  }

  /** Watches one more service (a pool declared at run time); started at once when the others run. */
  add(service: string): void {
    if (this.watchers.has(service)) return;
    const { feed, logger, watch } = this;
    const query = feed.blockingQuery(service, mapRead(healthServiceRead(service, { passing: true }), toServiceInstances));
    const watcher = new BlockingWatcher<ServiceInstance[]>(query, { name: `health:${service}`, logger, ...watcherOptions(watch) });
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
    this.feed.start();
    for (const watcher of this.watchers.values()) watcher.start();
    return this;
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.watchers.values()].map((w) => w.stop()));
    await this.feed.stop();
  }

  /** Resolves once every service has answered once (or rejects at the deadline). */
  async ready(timeoutMs: number): Promise<void> {
    const abort = new AbortController();
    // One abort listener per watcher (hundreds of pools) on this one signal.
    setMaxListeners(0, abort.signal);
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
    if (this.feedError) return { status: 'unavailable', reason: this.feedError };
    if (!watcher.healthy) return { status: 'unavailable', reason: this.lastError.get(pool.consulService) ?? `consul query for ${pool.consulService} is failing` };
    return desiredMembers(pool, watcher.data ?? [], this.mapping);
  }
}

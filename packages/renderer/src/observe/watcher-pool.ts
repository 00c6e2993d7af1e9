// One BlockingWatcher per distinct dependency key, shared by every template that uses it; watchers no template
// uses any more are stopped (consul-template #1065/#392: the load on Consul is one view per unique query).

import { EventEmitter } from 'node:events';
import { BlockingWatcher, silentLogger, type BackoffOptions, type BlockingQuery, type Logger } from '@consul-sidecars/core';
import type { Dependency, DependencyData, DependencySource } from './dependency';
import { dependencyKey } from './kinds';
import { sharingAnswers } from './shared-values';

export type QueryFactory = ((dep: Dependency) => BlockingQuery<DependencyData>) & {
  /** Called once every watcher has stopped (a factory that owns a feed stops it). */
  stop?: () => Promise<void>;
};

export interface WatcherPoolOptions {
  query: QueryFactory;
  logger?: Logger;
  waitSeconds?: number;
  backoff?: Partial<BackoffOptions>;
}

interface Entry {
  dep: Dependency;
  watcher: BlockingWatcher<DependencyData>;
}

export interface WatcherPoolEvents {
  /** A dependency answered for the first time or its data changed. */
  change: [key: string];
  /** A watcher failed (Consul unreachable, 5xx...). */
  error: [key: string, err: unknown];
  recovered: [key: string];
}

export class WatcherPool extends EventEmitter<WatcherPoolEvents> implements DependencySource {
  private readonly entries = new Map<string, Entry>();
  /** The error of each watcher whose last request failed (its last good data stays readable). */
  private readonly failures = new Map<string, unknown>();
  private readonly logger: Logger;

  constructor(private readonly options: WatcherPoolOptions) {
    super();
    this.logger = options.logger ?? silentLogger();
  }

  get size(): number {
    return this.entries.size;
  }

  keys(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** True when every watcher's last request succeeded (and there is at least one, or none is needed). */
  get healthy(): boolean {
    return [...this.entries.values()].every((e) => e.watcher.healthy);
  }

  /** Requests sent by all watchers (tests use it to bound the load on Consul). */
  get requests(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.watcher.requests;
    return total;
  }

  /** Of these dependencies, those whose last request failed, and why (their last good data stays readable). */
  failing(keys: Iterable<string>): { key: string; err: unknown }[] {
    const out: { key: string; err: unknown }[] = [];
    for (const key of keys) if (this.failures.has(key)) out.push({ key, err: this.failures.get(key) });
    return out;
  }

  lookup(dep: Dependency): { ready: boolean; data?: DependencyData } {
    const entry = this.ensure(dep);
    return entry.watcher.ready ? { ready: true, data: entry.watcher.data } : { ready: false };
  }

  ensure(dep: Dependency): Entry {
    const key = dependencyKey(dep);
    const existing = this.entries.get(key);
    if (existing) return existing;
    const watcher = new BlockingWatcher<DependencyData>(sharingAnswers(this.options.query(dep)), {
      name: key,
      logger: this.logger,
      waitSeconds: this.options.waitSeconds ?? 60,
      backoff: this.options.backoff,
    });
    watcher.on('change', () => this.emit('change', key));
    watcher.on('error', (err) => {
      this.failures.set(key, err);
      this.emit('error', key, err);
    });
    watcher.on('recovered', () => {
      this.failures.delete(key);
      this.emit('recovered', key);
    });
    const entry = { dep, watcher };
    this.entries.set(key, entry);
    this.logger.debug({ watch: key }, 'watching');
    watcher.start();
    return entry;
  }

  /** Stops the watchers whose keys are not in `keep`. */
  async retain(keep: ReadonlySet<string>): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const [key, entry] of this.entries) {
      if (keep.has(key)) continue;
      this.entries.delete(key);
      this.failures.delete(key);
      this.logger.debug({ watch: key }, 'no template uses it any more; stopped watching');
      stopping.push(entry.watcher.stop());
    }
    await Promise.all(stopping);
  }

  async stopAll(): Promise<void> {
    await this.retain(new Set());
    await this.options.query.stop?.();
  }
}

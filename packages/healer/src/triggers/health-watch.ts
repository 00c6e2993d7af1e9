// The health hint: one blocking query per desired service on /v1/health/service/<name>; a real change asks for a pass.

import type { Logger } from 'pino';
import { mapRead, type BlockingWatcher, type ConsulHttpClient } from '@consul-sidecars/core';
import type { ServiceSpec } from '../desired/desired-state';
import { serviceHealthRead, type InstanceHealth } from '../observe/consul-health';

/** The part of a health answer that matters to a healer: which instances exist and their aggregated status. */
export function healthFingerprint(instances: InstanceHealth[]): string[] {
  return instances
    .map((i) => `${i.ID}@${i.Node}=${i.Status}${i.Maintenance ? `/${i.Maintenance}` : ''}`)
    .sort();
}

/** One blocking query per desired service on /v1/health/service/<name>; a real change of health is a hint. */
export class HealthWatchTriggers {
  private readonly watchers = new Map<string, { key: string; watcher: BlockingWatcher<string[]> }>();

  constructor(
    private readonly consul: ConsulHttpClient,
    private readonly onChange: (service: string) => void,
    private readonly logger?: Logger,
    private readonly waitSeconds = 60,
  ) {}

  /** Starts watchers for new services, stops those of removed ones (after a desired-state reload). */
  sync(services: ServiceSpec[]): void {
    const wanted = new Map(services.map((s) => [s.name, `${s.name}|${s.tag ?? ''}`]));
    for (const [name, entry] of this.watchers) {
      if (wanted.get(name) !== entry.key) {
        void entry.watcher.stop();
        this.watchers.delete(name);
      }
    }
    for (const spec of services) {
      if (this.watchers.has(spec.name)) continue;
      const watcher = this.consul.watch(mapRead(serviceHealthRead(spec), healthFingerprint), { name: `health:${spec.name}`, logger: this.logger, waitSeconds: this.waitSeconds });
      watcher.on('change', () => this.onChange(spec.name));
      watcher.on('error', () => undefined);
      this.watchers.set(spec.name, { key: wanted.get(spec.name)!, watcher: watcher.start() });
    }
  }

  get count(): number {
    return this.watchers.size;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.watchers.values()].map((w) => w.watcher.stop()));
    this.watchers.clear();
  }
}

// Triggers are hints: a cron schedule, blocking queries on health, and POST /trigger all funnel into one
// single-flight, coalescing pass runner; every pass re-reads live state itself.

import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { BlockingWatcher, ConfigError, consulBlockingQuery, sleep, type ConsulClient } from '@consul-sidecars/core';
import { healthServiceMethod, normaliseHealthEntries } from './live-state';
import type { ServiceSpec } from './desired-state';

/**
 * Runs passes one at a time. Requests that arrive while a pass waits to start join it; requests that arrive
 * while a pass runs make exactly one more pass after it. So a burst of hints (agent reload firing every
 * watch, cron and watch together) costs at most two passes, and two passes never overlap.
 */
export class CoalescingRunner<R> {
  private chain: Promise<unknown> = Promise.resolve();
  private next?: { reasons: string[]; promise: Promise<R> };
  private stopped = false;
  /** Requests received and passes started (tests and metrics). */
  requested = 0;
  started = 0;

  constructor(
    private readonly run: (reasons: string[]) => Promise<R>,
    private readonly debounceMs = 200,
  ) {}

  request(reason: string): Promise<R> {
    if (this.stopped) return Promise.reject(new Error('pass runner stopped'));
    this.requested++;
    if (this.next) {
      this.next.reasons.push(reason);
      return this.next.promise;
    }
    const next = { reasons: [reason], promise: undefined as unknown as Promise<R> };
    this.next = next;
    next.promise = this.chain
      .catch(() => undefined)
      .then(() => (this.debounceMs > 0 ? sleep(this.debounceMs) : undefined))
      .then(() => {
        if (this.next === next) this.next = undefined;
        if (this.stopped) throw new Error('pass runner stopped');
        this.started++;
        return this.run(next.reasons);
      });
    this.chain = next.promise;
    return next.promise;
  }

  /** Stops accepting requests and waits for the pass in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain.catch(() => undefined);
  }
}

/** Validates a cron expression (5 fields, or 6 with seconds) and returns it. */
export function validateSchedule(expression: string): string {
  if (!cron.validate(expression)) throw new ConfigError(`invalid --schedule "${expression}" (a cron expression, e.g. "*/1 * * * *")`, { field: 'schedule', value: expression });
  return expression;
}

export function startCronTrigger(expression: string, onTick: () => void): ScheduledTask {
  return cron.schedule(validateSchedule(expression), () => onTick(), { name: 'healer-schedule', noOverlap: true });
}

/** The part of a health answer that matters to a healer: which instances exist and their aggregated status. */
export function healthFingerprint(raw: unknown): string[] {
  return normaliseHealthEntries(raw)
    .map((i) => `${i.id}@${i.node}=${i.status}${i.maintenance ? `/${i.maintenance}` : ''}`)
    .sort();
}

/** One blocking query per desired service on /v1/health/service/<name>; a real change of health is a hint. */
export class HealthWatchTriggers {
  private readonly watchers = new Map<string, { key: string; watcher: BlockingWatcher<string[]> }>();

  constructor(
    private readonly consul: ConsulClient,
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
      const options: Record<string, unknown> = { service: spec.name };
      if (spec.tag) options.tag = spec.tag;
      const query = consulBlockingQuery(healthServiceMethod(this.consul), options, healthFingerprint);
      const watcher = new BlockingWatcher<string[]>(query, { name: `health:${spec.name}`, logger: this.logger, waitSeconds: this.waitSeconds });
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

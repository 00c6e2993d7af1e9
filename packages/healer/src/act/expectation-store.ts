// The leader's memory (expectations, backoffs, breakers) in Consul KV, so a failover does not repeat an action still settling.

import type { Logger } from 'pino';
import { crashPoint, errorMessage, type ConsulHttpClient } from '@consul-sidecars/core';
import { CRASH_POINTS } from '../crash-points';
import { parsePersistedMemory, type HealerMemory } from '../plan/memory';

export class ExpectationStore {
  /** The text last written (or adopted): an unchanged memory is not written again. */
  private persisted?: string;

  constructor(
    private readonly consul: ConsulHttpClient,
    readonly key: string,
    private readonly logger: Logger,
    /** Told of a failed read or write (the errors metric). */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** A predecessor's memory; undefined when there is none, it is unreadable, or Consul does not answer (start fresh). */
  async adopt(): Promise<HealerMemory['services'] | undefined> {
    try {
      const entry = await this.consul.kv.get(this.key);
      if (!entry?.Value) return undefined;
      const services = parsePersistedMemory(entry.Value);
      if (!services) {
        this.logger.warn({ key: this.key }, 'ignoring unreadable healer memory in consul');
        return undefined;
      }
      this.persisted = entry.Value;
      this.logger.info({ key: this.key, services: Object.keys(services) }, "adopted the previous leader's expectations and breakers");
      return services;
    } catch (err) {
      this.onError(err);
      this.logger.warn({ key: this.key, err: errorMessage(err) }, 'cannot read healer memory from consul; starting fresh');
      return undefined;
    }
  }

  /** Writes the memory when it changed; a failed write is logged, and retried on the next pass. */
  async save(memory: HealerMemory): Promise<void> {
    const text = JSON.stringify(memory.services);
    if (text === this.persisted) return;
    try {
      crashPoint(CRASH_POINTS.beforeExpectationWrite);
      await this.consul.kv.put(this.key, text);
      crashPoint(CRASH_POINTS.afterExpectationWrite);
      this.persisted = text;
    } catch (err) {
      this.onError(err);
      this.logger.warn({ key: this.key, err: errorMessage(err) }, 'cannot write healer memory to consul');
    }
  }
}

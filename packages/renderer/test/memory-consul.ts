// A tiny Consul in memory for runner tests (not a test file): a query factory whose answers the test sets.

import { EventEmitter } from 'node:events';
import type { BlockingQuery } from '@consul-sidecars/core';
import { dependencyKey, type Dependency, type DependencyData } from '../src/dependencies';

/** A tiny Consul in memory: set(key, data) bumps the index and wakes blocked queries. */
export class MemoryConsul extends EventEmitter {
  private index = 1;
  readonly values = new Map<string, { data: DependencyData; index: number }>();
  readonly queried: string[] = [];
  set(dep: Dependency, data: DependencyData): void {
    this.values.set(dependencyKey(dep), { data, index: ++this.index });
    this.emit('write');
  }
  query = (dep: Dependency): BlockingQuery<DependencyData> => async ({ index, signal }) => {
    const key = dependencyKey(dep);
    this.queried.push(key);
    for (;;) {
      const value = this.values.get(key);
      if (value && (index === undefined || value.index > index)) return { data: value.data, index: value.index };
      if (!value && index === undefined) return { data: dep.kind === 'kv.key' ? null : [], index: this.index };
      await new Promise<void>((resolve, reject) => {
        const onWrite = () => resolve();
        this.once('write', onWrite);
        signal.addEventListener('abort', () => {
          this.off('write', onWrite);
          reject(signal.reason);
        }, { once: true });
      });
    }
  };
}


// The raft-like index and the per-topic indexes that blocking queries report and wait on.
// Every write takes the next global index; the topics it touched remember that index.

import { BlockingHub } from './blocking';

export const Topics = {
  kvs: 'kvs',
  key: (key: string) => `kv:${key}`,
  keyPrefix: (prefix: string) => `kvp:${prefix}`,
  services: 'services',
  service: (name: string) => `svc:${name}`,
  agentService: (id: string) => `agentsvc:${id}`,
  checks: 'checks',
  nodes: 'nodes',
  sessions: 'sessions',
} as const;

export class WriteContext {
  private allocated = 0;
  readonly touched = new Set<string>();

  constructor(private readonly next: () => number) {}

  /** The index of this write; allocated on first use so a write that changes nothing costs none. */
  index(): number {
    if (this.allocated === 0) this.allocated = this.next();
    return this.allocated;
  }

  touch(...topics: string[]): void {
    this.index();
    for (const topic of topics) this.touched.add(topic);
  }

  get used(): boolean {
    return this.allocated !== 0;
  }
}

export class StateStore {
  readonly hub = new BlockingHub();
  /** Called after every write that took an index (an agent persists its state, schedules its sync). */
  readonly writeListeners = new Set<() => void>();
  private raftIndex: number;
  private readonly topicIndexes = new Map<string, number>();
  private changes = 0;

  constructor(initialIndex = 10) {
    this.raftIndex = initialIndex;
  }

  get lastIndex(): number {
    return this.raftIndex;
  }

  /**
   * Moves on every change to the state, including those that take no index (a check's output) and abandoned
   * writes: what an answer built from the state is valid for (the raft index alone can come back after a rollback).
   */
  get generation(): number {
    return this.changes;
  }

  /** Records a change that takes no index (Consul defers it) but that reads show. */
  changedWithoutIndex(): void {
    this.changes++;
  }

  /** The index of the last write to the topic, or 0 if none. */
  topicIndex(topic: string): number {
    return this.topicIndexes.get(topic) ?? 0;
  }

  /** The highest index among topics, never below 1 (Consul never reports 0). */
  indexOf(...topics: string[]): number {
    let max = 0;
    for (const topic of topics) max = Math.max(max, this.topicIndex(topic));
    return Math.max(1, max);
  }

  /** Runs a write; on success records its index on every touched topic and wakes their waiters. */
  write<T>(apply: (w: WriteContext) => T): T {
    const context = new WriteContext(() => ++this.raftIndex);
    const result = apply(context);
    if (context.used) {
      this.changes++;
      const index = context.index();
      for (const topic of context.touched) this.topicIndexes.set(topic, index);
      this.hub.fire(context.touched);
      for (const listener of this.writeListeners) listener();
    }
    return result;
  }

  /** Like write(), but the changes can be abandoned: `apply` returns false to roll back the topics. */
  tryWrite<T>(apply: (w: WriteContext) => { commit: boolean; result: T }): T {
    const before = this.raftIndex;
    const context = new WriteContext(() => ++this.raftIndex);
    const { commit, result } = apply(context);
    if (context.used) this.changes++;
    if (!commit) {
      this.raftIndex = before;
      return result;
    }
    if (context.used) {
      const index = context.index();
      for (const topic of context.touched) this.topicIndexes.set(topic, index);
      this.hub.fire(context.touched);
      for (const listener of this.writeListeners) listener();
    }
    return result;
  }
}

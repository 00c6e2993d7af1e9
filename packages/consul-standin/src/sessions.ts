// Sessions: creation rules, TTL timers (Consul lets a session live up to TTL x multiplier after its
// last renewal), and invalidation, which releases or deletes the keys it holds and starts lock-delay.

import { randomUUID } from 'node:crypto';
import { Catalog, CheckRecord, HealthStatus } from './catalog';
import { formatGoDuration } from './duration';
import { internal } from './errors';
import { KvStore, SessionBehavior } from './kv-store';
import { StateStore, Topics } from './state-store';

export interface ServiceCheckRef {
  ID: string;
  Namespace: string;
}

export interface SessionRequest {
  name: string;
  node: string;
  lockDelayMs: number;
  behavior: string;
  ttl: string;
  ttlMs: number;
  nodeChecks: string[];
  serviceChecks: ServiceCheckRef[] | null;
}

export interface SessionRecord extends SessionRequest {
  id: string;
  behavior: SessionBehavior;
  createIndex: number;
  modifyIndex: number;
}

export interface SessionTimingOptions {
  ttlMinMs: number;
  ttlMaxMs: number;
  ttlMultiplier: number;
}

export class Sessions {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private kv!: KvStore;

  constructor(
    private readonly store: StateStore,
    private readonly catalog: Catalog,
    private readonly timing: SessionTimingOptions,
  ) {
    catalog.addListener({
      checkStatusChanged: (check, _previous: HealthStatus, node) => {
        if (check.status === 'critical') this.invalidateUsing(check, node.node.node);
      },
      checkRemoved: (check, node) => this.invalidateUsing(check, node.node.node),
      // Consul's state store deletes a node's sessions with the node (a graceful leave, a deregistration).
      nodeRemoved: (node) => {
        for (const session of this.forNode(node.node.node)) this.invalidate(session.id);
      },
    });
  }

  attachKv(kv: KvStore): void {
    this.kv = kv;
  }

  exists(id: string): boolean {
    return this.sessions.has(id);
  }

  get(id: string): SessionRecord | undefined {
    return this.sessions.get(id);
  }

  list(): SessionRecord[] {
    return [...this.sessions.values()].sort((a, b) => a.createIndex - b.createIndex);
  }

  forNode(node: string): SessionRecord[] {
    const name = node.toLowerCase();
    return this.list().filter((s) => s.node.toLowerCase() === name);
  }

  index(): number {
    return this.store.indexOf(Topics.sessions);
  }

  /** Validates as Consul's Session.Apply and the state store do; failures answer 500 with Consul's text. */
  create(request: SessionRequest): SessionRecord {
    if (request.behavior !== '' && request.behavior !== 'release' && request.behavior !== 'delete') {
      throw internal(`Invalid Behavior setting '${request.behavior}'`);
    }
    if (request.ttl !== '' && request.ttlMs !== 0 && (request.ttlMs < this.timing.ttlMinMs || request.ttlMs > this.timing.ttlMaxMs)) {
      throw internal(`Invalid Session TTL '${Math.round(request.ttlMs * 1e6)}', must be between [${formatGoDuration(this.timing.ttlMinMs)}=${formatGoDuration(this.timing.ttlMaxMs)}]`);
    }
    const node = this.catalog.findNode(request.node);
    if (!node) throw internal('Missing node registration');
    const checkIds = [...request.nodeChecks, ...(request.serviceChecks ?? []).map((c) => c.ID)];
    for (const checkId of checkIds) {
      const check = node.checks.get(checkId);
      if (!check) throw internal(`Missing check '${checkId}' registration`);
      if (check.status === 'critical') throw internal(`Check '${checkId}' is in ${check.status} state`);
    }
    return this.store.write((w) => {
      const index = w.index();
      const record: SessionRecord = {
        ...request,
        id: randomUUID(),
        behavior: request.behavior === 'delete' ? 'delete' : 'release',
        createIndex: index,
        modifyIndex: index,
      };
      this.sessions.set(record.id, record);
      w.touch(Topics.sessions);
      this.armTimer(record);
      return record;
    });
  }

  /** Resets the TTL timer; undefined when the session is gone. */
  renew(id: string): SessionRecord | undefined {
    const record = this.sessions.get(id);
    if (record) this.armTimer(record);
    return record;
  }

  destroy(id: string): void {
    this.invalidate(id);
  }

  /** Ends the session: its keys are released (or deleted) and lock-delay starts on each. */
  invalidate(id: string): void {
    const record = this.sessions.get(id);
    if (!record) return;
    this.clearTimer(id);
    this.store.write((w) => {
      this.sessions.delete(id);
      w.touch(Topics.sessions);
      this.kv.sessionEnded(w, id, record.behavior, record.lockDelayMs);
    });
  }

  stop(): void {
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
  }

  private invalidateUsing(check: CheckRecord, node: string): void {
    for (const session of this.forNode(node)) {
      const uses = session.nodeChecks.includes(check.checkId)
        || (session.serviceChecks ?? []).some((ref) => ref.ID === check.checkId);
      if (uses) this.invalidate(session.id);
    }
  }

  private armTimer(record: SessionRecord): void {
    if (!record.ttl || record.ttlMs <= 0) return;
    this.clearTimer(record.id);
    const timer = setTimeout(() => this.invalidate(record.id), record.ttlMs * this.timing.ttlMultiplier);
    timer.unref();
    this.timers.set(record.id, timer);
  }

  private clearTimer(id: string): void {
    const timer = this.timers.get(id);
    if (timer) clearTimeout(timer);
    this.timers.delete(id);
  }
}

// Observe Consul: the passing instances of each service (blocking queries on /v1/health/service/<svc>?passing),
// mapped to the members each pool should have, with role tags turned into priority groups.

import { EventEmitter } from 'node:events';
import { BlockingWatcher, CodedError, consulBlockingQuery, type ConsulClient, type Logger } from '@consul-sidecars/core';
import { ipFamily, memberName } from './bigip-names';
import type { PoolConfig } from './config';

/** One passing instance, as /v1/health/service answers it, reduced to what f5-sync uses. */
export interface ServiceInstance {
  id: string;
  node: string;
  /** Service address, or the node's address when the service has none (Consul's rule). */
  address: string;
  port: number;
  tags: string[];
  meta: Record<string, string>;
}

export interface DesiredMember {
  name: string;
  address: string;
  port: number;
  priorityGroup: number;
  ratio: number;
  /** Consul service IDs behind this member (two registrations of one address:port collapse into one member). */
  instances: string[];
}

/** What Consul says a pool should hold, or why we do not know. */
export type DesiredPool =
  | { status: 'ok'; members: DesiredMember[]; skipped: Array<{ instance: string; reason: string }> }
  | { status: 'unavailable'; reason: string };

export interface MemberMapping {
  roleTags: Record<string, number>;
  defaultPriority: number;
  ratioMetaKey: string;
}

function field(what: string, name: string, value: unknown): CodedError {
  return new CodedError('ERR_CONSUL_PAYLOAD', `unexpected Consul health entry: ${what}.${name} is ${JSON.stringify(value)}`, { field: `${what}.${name}`, value });
}

/** Validates a /v1/health/service answer into instances. */
export function parseHealthEntries(raw: unknown): ServiceInstance[] {
  if (!Array.isArray(raw)) throw field('(body)', 'entries', raw);
  return raw.map((entry: Record<string, any>) => {
    const node = entry?.Node ?? {};
    const svc = entry?.Service ?? {};
    if (typeof svc.ID !== 'string') throw field('Service', 'ID', svc.ID);
    if (!Number.isInteger(svc.Port)) throw field('Service', 'Port', svc.Port);
    const address = typeof svc.Address === 'string' && svc.Address !== '' ? svc.Address : node.Address;
    if (typeof address !== 'string') throw field('Node', 'Address', node.Address);
    const tags = Array.isArray(svc.Tags) ? svc.Tags.filter((t: unknown): t is string => typeof t === 'string') : [];
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(svc.Meta ?? {})) if (typeof v === 'string') meta[k] = v;
    return { id: svc.ID, node: typeof node.Node === 'string' ? node.Node : '', address, port: svc.Port, tags, meta };
  });
}

/** The highest priority among the instance's role tags; `defaultPriority` when it has none. */
export function priorityOf(tags: readonly string[], mapping: Pick<MemberMapping, 'roleTags' | 'defaultPriority'>): number {
  let best: number | undefined;
  for (const tag of tags) {
    const p = mapping.roleTags[tag];
    if (p !== undefined && (best === undefined || p > best)) best = p;
  }
  return best ?? mapping.defaultPriority;
}

/** Pure: passing instances -> the members one pool should have (sorted by name). */
export function desiredMembers(pool: Pick<PoolConfig, 'tag'>, instances: readonly ServiceInstance[], mapping: MemberMapping): Extract<DesiredPool, { status: 'ok' }> {
  const byName = new Map<string, DesiredMember>();
  const skipped: Array<{ instance: string; reason: string }> = [];
  for (const instance of instances) {
    if (pool.tag && !instance.tags.includes(pool.tag)) continue;
    if (ipFamily(instance.address) === 0) {
      skipped.push({ instance: instance.id, reason: `address "${instance.address}" is not an IP address` });
      continue;
    }
    if (instance.port < 1 || instance.port > 65535) {
      skipped.push({ instance: instance.id, reason: `port ${instance.port} is out of range` });
      continue;
    }
    const ratioText = instance.meta[mapping.ratioMetaKey];
    const ratio = ratioText !== undefined && /^\d+$/.test(ratioText) && Number(ratioText) >= 1 ? Number(ratioText) : 1;
    const name = memberName(instance.address, instance.port);
    const member: DesiredMember = { name, address: instance.address, port: instance.port, priorityGroup: priorityOf(instance.tags, mapping), ratio, instances: [instance.id] };
    const existing = byName.get(name);
    if (!existing) {
      byName.set(name, member);
    } else {
      // One address:port registered twice: one member, with the higher priority (and ratio) of the two.
      existing.instances.push(instance.id);
      existing.priorityGroup = Math.max(existing.priorityGroup, member.priorityGroup);
      existing.ratio = Math.max(existing.ratio, member.ratio);
    }
  }
  const members = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const m of members) m.instances.sort();
  return { status: 'ok', members, skipped };
}

interface InstanceEvents {
  /** The service's passing instances changed (or were read for the first time). */
  change: [service: string];
  /** Consul failed for this service (we keep the last data but hold its pools). */
  unavailable: [service: string, reason: string];
}

/** One blocking watcher per Consul service; answers "what should pool P hold" from the latest data. */
export class ConsulInstances extends EventEmitter<InstanceEvents> {
  private readonly watchers = new Map<string, BlockingWatcher<ServiceInstance[]>>();
  private readonly lastError = new Map<string, string>();

  constructor(private readonly consul: ConsulClient, services: Iterable<string>, private readonly mapping: MemberMapping, private readonly logger?: Logger, waitSeconds = 60) {
    super();
    for (const service of new Set(services)) {
      const query = consulBlockingQuery<ServiceInstance[]>(
        consul.health.service.bind(consul.health) as unknown as (opts: Record<string, unknown>) => Promise<unknown>,
        { service, passing: true },
        parseHealthEntries,
      );
      const watcher = new BlockingWatcher<ServiceInstance[]>(query, { name: `health:${service}`, logger, waitSeconds });
      watcher.on('change', () => {
        this.lastError.delete(service);
        this.emit('change', service);
      });
      watcher.on('error', (err) => {
        const reason = `consul query for ${service} failed: ${err instanceof Error ? err.message : String(err)}`;
        this.lastError.set(service, reason);
        this.emit('unavailable', service, reason);
      });
      watcher.on('recovered', () => {
        this.lastError.delete(service);
        this.emit('change', service);
      });
      this.watchers.set(service, watcher);
    }
  }

  start(): this {
    for (const watcher of this.watchers.values()) watcher.start();
    return this;
  }

  async stop(): Promise<void> {
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

// The Consul reads a template can depend on: each kind's typed data, its stable key (identical queries from any
// template share one watcher), its blocking query and the normaliser that turns Consul's JSON into typed values.

import { consulBlockingQuery, type BlockingQuery, type ConsulClient } from '@consul-sidecars/core';
import { isSafeAddress, isSafePort, isSafeServiceName, isSafeTag } from './nginx-safety';

export type HealthStatus = 'passing' | 'warning' | 'critical';
/** passing (default, filtered by Consul), warning (passing or warning), any (every instance). */
export type StatusFilter = 'passing' | 'warning' | 'any';

export interface CatalogService {
  Name: string;
  Tags: string[];
}

export interface HealthCheck {
  CheckID: string;
  Name: string;
  Status: HealthStatus;
  Output: string;
  ServiceID: string;
}

export interface ServiceInstance {
  ID: string;
  Name: string;
  Node: string;
  NodeAddress: string;
  /** The service address, or the node's when the service has none (as Consul's DNS does). */
  Address: string;
  Port: number;
  Tags: string[];
  Meta: Record<string, string>;
  NodeMeta: Record<string, string>;
  Weights: { Passing: number; Warning: number };
  /** Worst status of the node's and the service's checks. */
  Status: HealthStatus;
  Checks: HealthCheck[];
  /** `Meta.role`, else the value of a `role=<r>` tag, else a plain role tag (master, slave...). */
  Role?: string;
}

export interface CatalogNode {
  Node: string;
  ID: string;
  Address: string;
  Datacenter: string;
  Meta: Record<string, string>;
}

export interface KvPair {
  /** Relative to the prefix for `ls`/`tree`, the full key for `key`. */
  Key: string;
  Value: string;
  Flags: number;
}

export type Dependency =
  | { kind: 'catalog.services' }
  /** `dc` absent: the agent's own datacenter. */
  | { kind: 'health.service'; service: string; tag?: string; status: StatusFilter; dc?: string }
  | { kind: 'catalog.nodes' }
  | { kind: 'kv.key'; key: string }
  | { kind: 'kv.prefix'; prefix: string };

export interface DependencyDataMap {
  'catalog.services': CatalogService[];
  'health.service': ServiceInstance[];
  'catalog.nodes': CatalogNode[];
  /** null when the key does not exist. */
  'kv.key': KvPair | null;
  /** Every pair under the prefix, keys relative to it, sorted. */
  'kv.prefix': KvPair[];
}

export type DependencyData = DependencyDataMap[keyof DependencyDataMap];

/** Reports a value the normaliser dropped because it would break the rendered syntax. */
export type RejectListener = (what: 'service' | 'tag' | 'address', value: unknown, context: string) => void;

/** `health.service` with a tag, status and datacenter, as callers write it. Empty tags and datacenters are dropped. */
export function healthServiceDependency(service: string, options: { tag?: string; status?: StatusFilter; dc?: string } = {}): Dependency {
  const tag = options.tag ? options.tag : undefined;
  const dep: Dependency = { kind: 'health.service', service, tag, status: options.status ?? 'passing' };
  return options.dc ? { ...dep, dc: options.dc } : dep;
}

export function kvPrefixPath(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

/** The identity of a query: two dependencies with the same key are the same Consul read. */
export function dependencyKey(dep: Dependency): string {
  switch (dep.kind) {
    case 'catalog.services':
      return 'catalog.services';
    case 'catalog.nodes':
      return 'catalog.nodes';
    case 'health.service':
      return `health.service(${dep.service}${dep.dc ? `@${dep.dc}` : ''}${dep.tag ? `|tag=${dep.tag}` : ''}|${dep.status})`;
    case 'kv.key':
      return `kv.key(${dep.key.replace(/^\/+/, '')})`;
    case 'kv.prefix':
      return `kv.prefix(${kvPrefixPath(dep.prefix)})`;
  }
}

const STATUS_RANK: Record<HealthStatus, number> = { passing: 0, warning: 1, critical: 2 };

/** The worst of a set of check statuses (maintenance checks are critical in Consul); no checks = passing. */
export function aggregateStatus(statuses: readonly string[]): HealthStatus {
  let worst: HealthStatus = 'passing';
  for (const s of statuses) {
    const status: HealthStatus = s === 'passing' || s === 'warning' ? s : 'critical';
    if (STATUS_RANK[status] > STATUS_RANK[worst]) worst = status;
  }
  return worst;
}

export function statusMatches(status: HealthStatus, filter: StatusFilter): boolean {
  if (filter === 'any') return true;
  if (filter === 'warning') return status !== 'critical';
  return status === 'passing';
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const key of Object.keys(value).sort()) out[key] = String((value as Record<string, unknown>)[key]);
  return out;
}

function safeTags(tags: unknown, context: string, onReject?: RejectListener): string[] {
  if (!Array.isArray(tags)) return [];
  return tags.filter((tag) => {
    if (isSafeTag(tag)) return true;
    onReject?.('tag', tag, context);
    return false;
  });
}

/** Code-point order: the same on every machine, whatever its locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareInstances(a: ServiceInstance, b: ServiceInstance): number {
  return compareText(a.Node, b.Node) || compareText(a.Address, b.Address) || a.Port - b.Port || compareText(a.ID, b.ID);
}

/** Plain tags that name a role, as registrator and f5-sync write them (`master`, `slave`). */
const ROLE_TAGS = new Set(['master', 'slave', 'primary', 'replica', 'backup', 'standby']);

function roleOf(meta: Record<string, string>, tags: string[]): string | undefined {
  if (meta.role) return meta.role;
  const tag = tags.find((t) => t.startsWith('role='));
  if (tag) return tag.slice('role='.length);
  return tags.find((t) => ROLE_TAGS.has(t));
}

/** /v1/health/service/<name> entries -> instances matching `status`, sorted (node, address, port, id). */
export function normaliseHealthService(raw: unknown, dep: Extract<Dependency, { kind: 'health.service' }>, onReject?: RejectListener): ServiceInstance[] {
  if (!Array.isArray(raw)) return [];
  const out: ServiceInstance[] = [];
  for (const entry of raw as Record<string, Record<string, unknown>>[]) {
    const node = entry.Node ?? {};
    const service = entry.Service ?? {};
    const checks = (Array.isArray(entry.Checks) ? entry.Checks : []) as Record<string, unknown>[];
    const status = aggregateStatus(checks.map((c) => String(c.Status)));
    if (!statusMatches(status, dep.status)) continue;
    const address = (service.Address as string) || (node.Address as string) || '';
    const id = String(service.ID ?? '');
    if (!isSafeAddress(address) || !isSafePort(service.Port)) {
      onReject?.('address', `${address}:${String(service.Port)}`, `${dep.service}/${id}`);
      continue;
    }
    const tags = safeTags(service.Tags, `${dep.service}/${id}`, onReject);
    const meta = stringMap(service.Meta);
    const weights = (service.Weights ?? {}) as { Passing?: number; Warning?: number };
    out.push({
      ID: id,
      Name: String(service.Service ?? dep.service),
      Node: String(node.Node ?? ''),
      NodeAddress: String(node.Address ?? ''),
      Address: address,
      Port: service.Port as number,
      Tags: tags,
      Meta: meta,
      NodeMeta: stringMap(node.Meta),
      Weights: { Passing: weights.Passing ?? 1, Warning: weights.Warning ?? 1 },
      Status: status,
      Checks: checks
        .map((c) => ({
          CheckID: String(c.CheckID ?? ''),
          Name: String(c.Name ?? ''),
          Status: aggregateStatus([String(c.Status)]),
          Output: String(c.Output ?? ''),
          ServiceID: String(c.ServiceID ?? ''),
        }))
        .sort((a, b) => compareText(a.CheckID, b.CheckID)),
      Role: roleOf(meta, tags),
    });
  }
  return out.sort(compareInstances);
}

/** /v1/catalog/services ({name: tags}) -> [{Name, Tags}] sorted by name, unsafe names and tags dropped. */
export function normaliseCatalogServices(raw: unknown, onReject?: RejectListener): CatalogService[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const out: CatalogService[] = [];
  for (const [name, tags] of Object.entries(raw as Record<string, unknown>)) {
    if (!isSafeServiceName(name)) {
      onReject?.('service', name, 'catalog');
      continue;
    }
    out.push({ Name: name, Tags: [...new Set(safeTags(tags, name, onReject))].sort() });
  }
  return out.sort((a, b) => compareText(a.Name, b.Name));
}

export function normaliseCatalogNodes(raw: unknown): CatalogNode[] {
  if (!Array.isArray(raw)) return [];
  return (raw as Record<string, unknown>[])
    .map((n) => ({
      Node: String(n.Node ?? ''),
      ID: String(n.ID ?? ''),
      Address: String(n.Address ?? ''),
      Datacenter: String(n.Datacenter ?? ''),
      Meta: stringMap(n.Meta),
    }))
    .sort((a, b) => compareText(a.Node, b.Node));
}

function kvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

export function normaliseKvKey(raw: unknown): KvPair | null {
  const item = Array.isArray(raw) ? raw[0] : raw;
  if (typeof item !== 'object' || item === null) return null;
  const pair = item as Record<string, unknown>;
  return { Key: String(pair.Key ?? ''), Value: kvValue(pair.Value), Flags: Number(pair.Flags ?? 0) };
}

/** Recursive listing under `prefix`: keys relative to it, folder placeholders (`a/`) dropped, sorted. */
export function normaliseKvPrefix(raw: unknown, prefix: string): KvPair[] {
  if (!Array.isArray(raw)) return [];
  const base = kvPrefixPath(prefix);
  return (raw as Record<string, unknown>[])
    .map((p) => ({ Key: String(p.Key ?? ''), Value: kvValue(p.Value), Flags: Number(p.Flags ?? 0) }))
    .filter((p) => p.Key.startsWith(base) && p.Key.length > base.length && !p.Key.endsWith('/'))
    .map((p) => ({ ...p, Key: p.Key.slice(base.length) }))
    .sort((a, b) => compareText(a.Key, b.Key));
}

/** `ls`: only the top level of a prefix listing. */
export function topLevelPairs(pairs: readonly KvPair[]): KvPair[] {
  return pairs.filter((p) => !p.Key.includes('/'));
}

/** The blocking query that watches one dependency through the `consul` client. */
export function dependencyQuery(consul: ConsulClient, dep: Dependency, onReject?: RejectListener): BlockingQuery<DependencyData> {
  switch (dep.kind) {
    case 'catalog.services':
      return consulBlockingQuery(consul.catalog.service.list.bind(consul.catalog.service) as never, {}, (raw) => normaliseCatalogServices(raw, onReject));
    case 'catalog.nodes':
      return consulBlockingQuery(consul.catalog.node.list.bind(consul.catalog.node) as never, {}, normaliseCatalogNodes);
    case 'health.service': {
      const options: Record<string, unknown> = { service: dep.service };
      if (dep.tag) options.tag = dep.tag;
      if (dep.dc) options.dc = dep.dc;
      // Only "passing" can be filtered by Consul; warning/any fetch everything and filter here (as consul-template does).
      if (dep.status === 'passing') options.passing = true;
      return consulBlockingQuery(consul.health.service.bind(consul.health) as never, options, (raw) => normaliseHealthService(raw, dep, onReject));
    }
    case 'kv.key':
      return consulBlockingQuery(consul.kv.get.bind(consul.kv) as never, { key: dep.key.replace(/^\/+/, '') }, normaliseKvKey);
    case 'kv.prefix':
      return consulBlockingQuery(consul.kv.get.bind(consul.kv) as never, { key: kvPrefixPath(dep.prefix), recurse: true }, (raw) => normaliseKvPrefix(raw, dep.prefix));
  }
}

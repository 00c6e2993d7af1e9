// The one Dependency interface (as consul-template's dep.Dependency): a query kind knows its identity and its
// blocking query through core's typed client and reader. One file per kind implements it.

import type { BlockingQuery, ConsulHttpClient } from '@consul-sidecars/core';
import type { CatalogNode, CatalogNodeServices, CatalogService, KvPair, ServiceInstance, StatusFilter } from './consul-data';

/** What each kind's descriptor carries (plain values: two equal descriptors are the same Consul read). */
/** `dc` absent: the agent's own datacenter (every Consul kind takes one, sent as `?dc=`). */
export interface DependencyParams {
  'catalog.services': { dc?: string };
  /** `near`: Consul's `?near=` (sorted by round-trip time from that node, `_agent` = this agent). */
  'health.service': { service: string; tag?: string; status: StatusFilter; dc?: string; near?: string };
  /** One node and its services; `node` absent: the agent's own node (consul-template's `node` with no name). */
  'catalog.node': { node?: string; dc?: string };
  'catalog.nodes': { dc?: string; near?: string };
  'catalog.datacenters': Record<never, never>;
  'kv.key': { key: string; dc?: string };
  /** `asGiven`: the prefix is listed as written (consul-template's `ls`/`tree`), not as the folder `prefix/`. */
  'kv.prefix': { prefix: string; dc?: string; asGiven?: boolean };
  /** A local file (consul-template's `file`), polled. */
  file: { path: string };
}

export type DependencyKindName = keyof DependencyParams;

export type Dependency<K extends DependencyKindName = DependencyKindName> = { [P in K]: { kind: P } & DependencyParams[P] }[K];

export interface DependencyDataMap {
  /** Every service, names and tags as Consul has them (the nunjucks functions drop unsafe ones as they read). */
  'catalog.services': CatalogService[];
  /** The instances matching the status filter, every field kept (nunjucks drops unsafe tags/addresses as it reads). */
  'health.service': ServiceInstance[];
  /** null when there is no such node. */
  'catalog.node': CatalogNodeServices | null;
  'catalog.nodes': CatalogNode[];
  /** The local datacenter first (Consul: nearest first). */
  'catalog.datacenters': string[];
  /** null when the key does not exist. */
  'kv.key': KvPair | null;
  /** Every pair under the prefix, keys relative to it, sorted. */
  'kv.prefix': KvPair[];
  /** null when the file does not exist. */
  file: string | null;
}

export type DependencyData = DependencyDataMap[DependencyKindName];

/** Reports a value the parser dropped because it would break the rendered syntax. */
export type RejectListener = (what: 'service' | 'tag' | 'address', value: unknown, context: string) => void;

/** One query kind: `service`, `services`, `nodes`, `key`, `tree`... */
export interface QueryKind<K extends DependencyKindName> {
  /** The watch's identity: identical queries from any template share one watcher. Reads well in logs. */
  key(dep: Dependency<K>): string;
  /** The blocking query that watches `dep` through `consul`, answering parsed data. */
  query(consul: ConsulHttpClient, dep: Dependency<K>, onReject?: RejectListener): BlockingQuery<DependencyDataMap[K]>;
}

/** Where a render reads dependency data; `ready` is true once Consul has answered (the answer may be empty). */
export interface DependencySource {
  lookup(dep: Dependency): { ready: boolean; data?: DependencyData };
}

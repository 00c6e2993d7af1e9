// The one Dependency interface (as consul-template's dep.Dependency): a query kind knows its identity and its
// blocking query through core's typed client and reader. One file per kind implements it.

import type { BlockingQuery, ConsulHttpClient } from '@consul-sidecars/core';
import type { CatalogNode, CatalogService, KvPair, ServiceInstance, StatusFilter } from './consul-data';

/** What each kind's descriptor carries (plain values: two equal descriptors are the same Consul read). */
export interface DependencyParams {
  'catalog.services': Record<never, never>;
  /** `dc` absent: the agent's own datacenter. */
  'health.service': { service: string; tag?: string; status: StatusFilter; dc?: string };
  'catalog.nodes': Record<never, never>;
  'kv.key': { key: string };
  'kv.prefix': { prefix: string };
}

export type DependencyKindName = keyof DependencyParams;

export type Dependency<K extends DependencyKindName = DependencyKindName> = { [P in K]: { kind: P } & DependencyParams[P] }[K];

export interface DependencyDataMap {
  'catalog.services': CatalogService[];
  'health.service': ServiceInstance[];
  'catalog.nodes': CatalogNode[];
  /** null when the key does not exist. */
  'kv.key': KvPair | null;
  /** Every pair under the prefix, keys relative to it, sorted. */
  'kv.prefix': KvPair[];
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

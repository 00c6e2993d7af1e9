// Every query kind by name: where a dependency's identity and blocking query are looked up (add a kind here).

import type { BlockingQuery, ConsulHttpClient } from '@consul-sidecars/core';
import type { Dependency, DependencyData, DependencyKindName, QueryKind, RejectListener } from './dependency';
import { catalogDatacentersKind } from './datacenters';
import { fileKind } from './file';
import { kvKeyKind } from './key';
import { catalogNodeKind } from './node';
import { catalogNodesKind } from './nodes';
import { healthServiceKind } from './service';
import { catalogServicesKind } from './services';
import { namingUnknownDatacenter } from './unknown-datacenter';
import { kvPrefixKind } from './tree';

export const queryKinds: { [K in DependencyKindName]: QueryKind<K> } = {
  'catalog.services': catalogServicesKind,
  'catalog.node': catalogNodeKind,
  'catalog.nodes': catalogNodesKind,
  'catalog.datacenters': catalogDatacentersKind,
  file: fileKind,
  'health.service': healthServiceKind,
  'kv.key': kvKeyKind,
  'kv.prefix': kvPrefixKind,
};

function kindOf<K extends DependencyKindName>(kind: K): QueryKind<K> {
  return queryKinds[kind];
}

/** The identity of a query: two dependencies with the same key are the same Consul read. */
export function dependencyKey<K extends DependencyKindName>(dep: Dependency<K>): string {
  return kindOf<K>(dep.kind).key(dep);
}

/** The blocking query that watches one dependency through the `consul` client. */
export function dependencyQuery<K extends DependencyKindName>(consul: ConsulHttpClient, dep: Dependency<K>, onReject?: RejectListener): BlockingQuery<DependencyData> {
  const query: BlockingQuery<DependencyData> = kindOf<K>(dep.kind).query(consul, dep, onReject);
  return 'dc' in dep && typeof dep.dc === 'string' ? namingUnknownDatacenter(query, dep.dc, dependencyKey(dep)) : query;
}

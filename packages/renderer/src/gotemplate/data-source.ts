// The one seam between the Go template engine and Consul: a template's data calls become parsed dependencies, and a
// data source answers each with its data, or with nothing yet (the render then reports it missing, writes nothing).

import type {
  AgentService,
  CatalogNode as ConsulCatalogNode,
  CatalogService,
  HealthCheck as ConsulHealthCheck,
  KvEntry,
  ServiceAddress as ConsulServiceAddress,
  ServiceInstance,
} from '@consul-sidecars/core';

export type HealthFilter = 'any' | 'passing' | 'warning' | 'critical' | 'maintenance';

/** `?ns=&partition=&peer=&sameness-group=` of a query string, as consul-template accepts them. */
export type QueryParams = Readonly<Record<string, string>>;

export type GoDependency =
  | { kind: 'health.service'; name: string; tag?: string; dc?: string; near?: string; filters: HealthFilter[]; query: QueryParams }
  | { kind: 'catalog.services'; dc?: string; query: QueryParams }
  | { kind: 'catalog.node'; name?: string; dc?: string; query: QueryParams }
  | { kind: 'catalog.nodes'; dc?: string; near?: string; query: QueryParams }
  | { kind: 'catalog.datacenters'; ignoreFailing: boolean }
  /** One key; `key` blocks while it is absent, keyExists/keyOrDefault do not (consul-template's kv.block / kv.get). */
  | { kind: 'kv.get'; key: string; dc?: string; query: QueryParams }
  | { kind: 'kv.list'; prefix: string; dc?: string; query: QueryParams }
  | { kind: 'file'; path: string };

/** api.ServiceAddress: core's, field for field. */
export type ServiceAddress = ConsulServiceAddress;

/** api.HealthCheck as consul-template hands it over: core's check without Namespace; Status is Go's plain string. */
export type HealthCheck = Pick<ConsulHealthCheck, 'Node' | 'CheckID' | 'Name' | 'Notes' | 'Output' | 'ServiceID' | 'ServiceName' | 'ServiceTags' | 'Type'> & { Status: string };

/**
 * consul-template's dependency.HealthService: one instance as `service` gives it to the template. Core's instance
 * fields by the same names; the service's tagged addresses under consul-template's name, its checks as above, and
 * Status as consul-template aggregates it (`maintenance` included, which core reads as critical).
 */
export type HealthService = Pick<ServiceInstance, 'Node' | 'NodeID' | 'NodeAddress' | 'NodeTaggedAddresses' | 'NodeMeta' | 'ServiceMeta' | 'Address' | 'ID' | 'Name' | 'Tags' | 'Port' | 'Weights'> & {
  ServiceTaggedAddresses: Record<string, ServiceAddress>;
  Checks: HealthCheck[];
  Status: string;
};

/** dependency.CatalogSnippet (`services`): core's catalog service, name and sorted tags. */
export type CatalogSnippet = CatalogService;

/** dependency.Node (`nodes`, and a `node`'s .Node): core's catalog node, field for field. */
export type CatalogNodeInfo = ConsulCatalogNode;

/** dependency.CatalogNodeService: the fields of Consul's api.AgentService a node's service listing carries. */
export type CatalogNodeService = Pick<AgentService, 'ID' | 'Service' | 'Tags' | 'Meta' | 'Port' | 'Address' | 'EnableTagOverride'>;

export interface CatalogNode { Node: CatalogNodeInfo; Services: CatalogNodeService[] }

/**
 * consul-template's dependency.KeyPair: core's entry, with a value always (a key holding none reads ''), a session
 * always ('' when unlocked), and the full `Path` (for listings `Key` is relative to the prefix).
 */
export type KeyPair = Pick<KvEntry, 'Key' | 'Flags' | 'LockIndex' | 'CreateIndex' | 'ModifyIndex'> & { Path: string; Value: string; Session: string };

/** An answer, tagged with the kind it answers so the engine can check it without casts. */
export type GoData =
  | { kind: 'health.service'; data: HealthService[] }
  | { kind: 'catalog.services'; data: CatalogSnippet[] }
  /** null: no such node. */
  | { kind: 'catalog.node'; data: CatalogNode | null }
  | { kind: 'catalog.nodes'; data: CatalogNodeInfo[] }
  | { kind: 'catalog.datacenters'; data: string[] }
  /** null: the key does not exist. */
  | { kind: 'kv.get'; data: KeyPair | null }
  | { kind: 'kv.list'; data: KeyPair[] }
  /** null: the file does not exist. */
  | { kind: 'file'; data: string | null };

export interface GoDataSource {
  /** The data Consul (or the file system) last gave for `dep`, or undefined when nothing has arrived yet. */
  lookup(dep: GoDependency): GoData | undefined;
}

/** consul-template's order: `@dc`, then `@partition=`, `@ns=`, `@peer=`, `@sameness-group=`, then `~near`. */
function scope(dc: string | undefined, query: QueryParams, near?: string): string {
  let out = dc ? `@${dc}` : '';
  for (const key of ['partition', 'ns', 'peer', 'sameness-group']) if (query[key]) out += `@${key}=${query[key]}`;
  return near ? `${out}~${near}` : out;
}

const call = (kind: string, arg: string) => (arg === '' ? kind : `${kind}(${arg})`);

/** A stable identity per query, as consul-template's dependency String() (identical queries share one watch). */
export function goDependencyKey(dep: GoDependency): string {
  switch (dep.kind) {
    case 'health.service':
      return `health.service(${dep.tag ? `${dep.tag}.` : ''}${dep.name}${scope(dep.dc, dep.query, dep.near)}|${dep.filters.join(',')})`;
    case 'catalog.services': return call('catalog.services', scope(dep.dc, dep.query));
    case 'catalog.node': return call('catalog.node', `${dep.name ?? ''}${scope(dep.dc, dep.query)}`);
    case 'catalog.nodes': return call('catalog.nodes', scope(dep.dc, dep.query, dep.near));
    case 'catalog.datacenters': return dep.ignoreFailing ? 'catalog.datacenters(ignore-failing)' : 'catalog.datacenters';
    case 'kv.get': return `kv.get(${dep.key}${scope(dep.dc, dep.query)})`;
    case 'kv.list': return `kv.list(${dep.prefix}${scope(dep.dc, dep.query)})`;
    case 'file': return `file(${dep.path})`;
  }
}

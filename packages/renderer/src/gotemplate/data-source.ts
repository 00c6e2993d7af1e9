// The one seam between the Go template engine and Consul: a template's data calls become parsed dependencies, and a
// data source answers each with its data, or with nothing yet (the render then reports it missing, writes nothing).

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

export interface ServiceAddress { Address: string; Port: number }

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: string;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
}

/** consul-template's dependency.HealthService: one instance as `service` gives it to the template. */
export interface HealthService {
  Node: string;
  NodeID: string;
  NodeAddress: string;
  NodeTaggedAddresses: Record<string, string>;
  NodeMeta: Record<string, string>;
  ServiceMeta: Record<string, string>;
  Address: string;
  ServiceTaggedAddresses: Record<string, ServiceAddress>;
  ID: string;
  Name: string;
  Tags: string[];
  Checks: HealthCheck[];
  /** The aggregated status of the node's and service's checks. */
  Status: string;
  Port: number;
  Weights: { Passing: number; Warning: number };
}

export interface CatalogSnippet { Name: string; Tags: string[] }

export interface CatalogNodeInfo {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
}

export interface CatalogNodeService {
  ID: string;
  Service: string;
  Tags: string[];
  Meta: Record<string, string>;
  Port: number;
  Address: string;
  EnableTagOverride: boolean;
}

export interface CatalogNode { Node: CatalogNodeInfo; Services: CatalogNodeService[] }

/** consul-template's dependency.KeyPair; for listings `Key` is relative to the prefix and `Path` the full key. */
export interface KeyPair {
  Path: string;
  Key: string;
  Value: string;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Flags: number;
  Session: string;
}

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

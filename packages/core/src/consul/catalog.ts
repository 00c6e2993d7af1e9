// /v1/catalog/services, /v1/catalog/service/<name> and /v1/catalog/nodes answers, validated.

import { arrayAt, entriesAt, Fields, payloadError } from './payload';
import { compareText, parseServiceTaggedAddresses, parseWeights, type ServiceAddress, type Weights } from './health';

export interface CatalogService {
  Name: string;
  /** Unique and sorted. */
  Tags: string[];
}

export interface CatalogNode {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  Meta: Record<string, string>;
}

/** One entry of /v1/catalog/service/<name>: the node's fields and the service's, Consul's flat shape. */
export interface CatalogServiceInstance {
  ID: string;
  Node: string;
  Address: string;
  Datacenter: string;
  TaggedAddresses: Record<string, string>;
  NodeMeta: Record<string, string>;
  ServiceID: string;
  ServiceName: string;
  ServiceAddress: string;
  ServicePort: number;
  ServiceTags: string[];
  ServiceMeta: Record<string, string>;
  ServiceTaggedAddresses: Record<string, ServiceAddress>;
  ServiceWeights: Weights;
  ServiceEnableTagOverride: boolean;
  ServiceKind: string;
  Namespace?: string;
}

/** /v1/catalog/services ({name: tags}) -> [{Name, Tags}] sorted by name. */
export function parseCatalogServices(body: unknown): CatalogService[] {
  return entriesAt(body, '')
    .map((entry) => {
      const tags = arrayAt(entry.value, entry.path).map((t) => {
        if (typeof t.value !== 'string') throw payloadError(t.path, t.value, 'a string');
        return t.value;
      });
      return { Name: entry.key, Tags: [...new Set(tags)].sort(compareText) };
    })
    .sort((a, b) => compareText(a.Name, b.Name));
}

export function parseCatalogNode(value: unknown, path: string): CatalogNode {
  const f = new Fields(value, path);
  return {
    ID: f.stringOr('ID', ''),
    Node: f.string('Node'),
    Address: f.string('Address'),
    Datacenter: f.stringOr('Datacenter', ''),
    TaggedAddresses: f.stringMap('TaggedAddresses'),
    Meta: f.stringMap('Meta'),
  };
}

/** /v1/catalog/nodes, sorted by node name. */
export function parseCatalogNodes(body: unknown): CatalogNode[] {
  return arrayAt(body, '')
    .map((item) => parseCatalogNode(item.value, item.path))
    .sort((a, b) => compareText(a.Node, b.Node));
}

export function parseCatalogServiceInstance(value: unknown, path: string): CatalogServiceInstance {
  const f = new Fields(value, path);
  const out: CatalogServiceInstance = {
    ID: f.stringOr('ID', ''),
    Node: f.string('Node'),
    Address: f.string('Address'),
    Datacenter: f.stringOr('Datacenter', ''),
    TaggedAddresses: f.stringMap('TaggedAddresses'),
    NodeMeta: f.stringMap('NodeMeta'),
    ServiceID: f.string('ServiceID'),
    ServiceName: f.string('ServiceName'),
    ServiceAddress: f.stringOr('ServiceAddress', ''),
    ServicePort: f.int('ServicePort'),
    ServiceTags: f.strings('ServiceTags'),
    ServiceMeta: f.stringMap('ServiceMeta'),
    ServiceTaggedAddresses: parseServiceTaggedAddresses(f, 'ServiceTaggedAddresses'),
    ServiceWeights: parseWeights(f, 'ServiceWeights'),
    ServiceEnableTagOverride: f.boolOr('ServiceEnableTagOverride', false),
    ServiceKind: f.stringOr('ServiceKind', ''),
  };
  const ns = f.optString('Namespace');
  if (ns !== undefined) out.Namespace = ns;
  return out;
}

/** /v1/catalog/service/<name>, in Consul's order. */
export function parseCatalogService(body: unknown): CatalogServiceInstance[] {
  return arrayAt(body, '').map((item) => parseCatalogServiceInstance(item.value, item.path));
}

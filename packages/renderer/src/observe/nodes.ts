// Query kind `catalog.nodes` (template: nodes()): /v1/catalog/nodes, read by core's parser (sorted by node; with
// `near`, in Consul's round-trip order).

import { catalogNodesRead, mapRead, parseCatalogNodes, type CatalogNode as ConsulCatalogNode } from '@consul-sidecars/core';
import type { CatalogNode } from './consul-data';
import type { QueryKind } from './dependency';

export function templateNodes(nodes: readonly ConsulCatalogNode[]): CatalogNode[] {
  return nodes.map((n) => ({ Node: n.Node, ID: n.ID, Address: n.Address, Datacenter: n.Datacenter, TaggedAddresses: n.TaggedAddresses, Meta: n.Meta }));
}

/** A /v1/catalog/nodes answer (raw JSON) as templates see it; a malformed answer throws ERR_CONSUL_PAYLOAD. */
export function normaliseCatalogNodes(raw: unknown): CatalogNode[] {
  return templateNodes(parseCatalogNodes(raw));
}

/** Consul's order of a ?near= answer (core's parser sorts by name). */
function nearOrder(body: unknown): ConsulCatalogNode[] {
  const sorted = parseCatalogNodes(body);
  if (!Array.isArray(body)) return sorted;
  const position = new Map(body.map((n: unknown, i) => [typeof n === 'object' && n !== null ? String(Reflect.get(n, 'Node')) : '', i]));
  return sorted.sort((a, b) => (position.get(a.Node) ?? 0) - (position.get(b.Node) ?? 0));
}

export const catalogNodesKind: QueryKind<'catalog.nodes'> = {
  key: (dep) => `catalog.nodes${dep.dc || dep.near ? `(${dep.dc ? `@${dep.dc}` : ''}${dep.near ? `~${dep.near}` : ''})` : ''}`,
  query(consul, dep) {
    const read = mapRead(catalogNodesRead(), templateNodes);
    // With ?near= Consul orders by round-trip time: keep its order rather than core's by-name sort.
    const withNear = dep.near ? { ...read, query: { near: dep.near }, parse: (body: unknown) => templateNodes(nearOrder(body)) } : read;
    return consul.blockingQuery(withNear, { dc: dep.dc });
  },
};

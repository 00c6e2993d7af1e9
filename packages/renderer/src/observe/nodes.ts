// Query kind `catalog.nodes` (template: nodes()): /v1/catalog/nodes, read by core's parser (sorted by node).

import { catalogNodesRead, mapRead, parseCatalogNodes, type CatalogNode as ConsulCatalogNode } from '@consul-sidecars/core';
import type { CatalogNode } from './consul-data';
import type { QueryKind } from './dependency';

function templateNodes(nodes: readonly ConsulCatalogNode[]): CatalogNode[] {
  return nodes.map((n) => ({ Node: n.Node, ID: n.ID, Address: n.Address, Datacenter: n.Datacenter, Meta: n.Meta }));
}

/** A /v1/catalog/nodes answer (raw JSON) as templates see it; a malformed answer throws ERR_CONSUL_PAYLOAD. */
export function normaliseCatalogNodes(raw: unknown): CatalogNode[] {
  return templateNodes(parseCatalogNodes(raw));
}

export const catalogNodesKind: QueryKind<'catalog.nodes'> = {
  key: () => 'catalog.nodes',
  query: (consul) => consul.blockingQuery(mapRead(catalogNodesRead(), templateNodes)),
};

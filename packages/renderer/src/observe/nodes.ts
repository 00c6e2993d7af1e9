// Query kind `catalog.nodes` (template: nodes()): /v1/catalog/nodes.

import { consulBlockingQuery } from '@consul-sidecars/core';
import type { CatalogNode } from './consul-data';
import type { QueryKind } from './dependency';
import { compareText, records, stringMap } from './payload';

export function normaliseCatalogNodes(raw: unknown): CatalogNode[] {
  return records(raw)
    .map((n) => ({
      Node: String(n.Node ?? ''),
      ID: String(n.ID ?? ''),
      Address: String(n.Address ?? ''),
      Datacenter: String(n.Datacenter ?? ''),
      Meta: stringMap(n.Meta),
    }))
    .sort((a, b) => compareText(a.Node, b.Node));
}

export const catalogNodesKind: QueryKind<'catalog.nodes'> = {
  key: () => 'catalog.nodes',
  query: (consul) => consulBlockingQuery((request) => consul.catalog.node.list(request), {}, normaliseCatalogNodes),
};

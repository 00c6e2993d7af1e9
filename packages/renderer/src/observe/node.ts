// Query kind `catalog.node` (Go templates' `node`): /v1/catalog/node/<name>, the node and its services; with no name,
// the agent's own node (its name read once from /v1/agent/self, as consul-template asks the agent).

import { arrayAt, entriesAt, Fields, parseCatalogNode, type BlockingQuery, type ConsulRead } from '@consul-sidecars/core';
import type { CatalogNodeServices, NodeService } from './consul-data';
import type { QueryKind } from './dependency';
import { templateNodes } from './nodes';
import { compareText } from './payload';

function parseNodeService(value: unknown, path: string): NodeService {
  const f = new Fields(value, path);
  return {
    ID: f.string('ID'),
    Service: f.string('Service'),
    Tags: f.strings('Tags'),
    Meta: f.stringMap('Meta'),
    Port: f.intOr('Port', 0),
    Address: f.stringOr('Address', ''),
    EnableTagOverride: f.boolOr('EnableTagOverride', false),
  };
}

/** /v1/catalog/node/<name>: `null` (no such node) or {Node, Services: {id: service}}; services sorted by ID. */
export function parseCatalogNodeServices(body: unknown): CatalogNodeServices | null {
  if (body === null) return null;
  const f = new Fields(body, '');
  const [node] = templateNodes([parseCatalogNode(f.raw('Node'), 'Node')]);
  const raw = f.raw('Services') ?? null;
  // Consul answers a map by ID; some versions a list.
  const services = Array.isArray(raw) ? arrayAt(raw, 'Services').map((s) => parseNodeService(s.value, s.path)) : entriesAt(raw, 'Services').map((s) => parseNodeService(s.value, s.path));
  return { Node: node, Services: services.sort((a, b) => compareText(a.ID, b.ID)) };
}

export function catalogNodeRead(node: string): ConsulRead<CatalogNodeServices | null> {
  return { path: `/catalog/node/${encodeURIComponent(node)}`, parse: parseCatalogNodeServices };
}

export const catalogNodeKind: QueryKind<'catalog.node'> = {
  key: (dep) => `catalog.node(${dep.node ?? ''}${dep.dc ? `@${dep.dc}` : ''})`,
  query(consul, dep): BlockingQuery<CatalogNodeServices | null> {
    let name = dep.node;
    return async (params) => {
      name ??= (await consul.agent.self({ signal: params.signal })).NodeName;
      return consul.blockingQuery(catalogNodeRead(name), { dc: dep.dc })(params);
    };
  },
};

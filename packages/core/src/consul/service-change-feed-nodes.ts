// What the catalog holds on each node, as service instance -> (service name, ModifyIndex): how the
// ServiceChangeFeed names the services behind a move of the catalog's index, whose body (names and tags) does not
// say which instance changed. Consul writes an instance's ModifyIndex on every change of it and leaves an equal
// re-registration alone (agent/consul/state/catalog.go, ensureServiceTxn), so two of these taken one after the
// other differ in exactly the instances written between them: one read per node instead of one per service.

import { scanNodeInstances } from './node-instances-scan';
import { entriesAt, Fields } from './payload';
import type { ConsulRead } from './reads';

export interface NodeInstance {
  service: string;
  modifyIndex: number;
}

/** A node's instances by service ID; null when the catalog has no such node (any more). */
export type NodeInstances = Map<string, NodeInstance>;

/** Every node's instances, by node name. */
export type CatalogInstances = Map<string, NodeInstances>;

/** /v1/catalog/node/<node>'s answer: its services' names and ModifyIndex (null: no such node). */
function parseNodeInstances(body: unknown): NodeInstances | null {
  if (body === null) return null;
  const f = new Fields(body, '');
  const out: NodeInstances = new Map();
  for (const entry of entriesAt(f.raw('Services') ?? null, f.at('Services'))) {
    const svc = new Fields(entry.value, entry.path);
    out.set(svc.stringOr('ID', entry.key), { service: svc.string('Service'), modifyIndex: svc.int('ModifyIndex') });
  }
  return out;
}

/**
 * /v1/catalog/node/<node>: its services' names and ModifyIndex (null: no such node). Read from the text: the scan
 * builds only what it keeps; a body it does not vouch for (malformed, mistyped, unusual) goes through the full parse.
 */
export function nodeInstancesRead(node: string): ConsulRead<NodeInstances | null> {
  return {
    path: `/catalog/node/${encodeURIComponent(node)}`,
    parse: parseNodeInstances,
    parseText: (text) => {
      const scanned = scanNodeInstances(text);
      return scanned !== undefined ? scanned : parseNodeInstances(JSON.parse(text));
    },
  };
}

/** The services with an instance added, removed, or written (ModifyIndex moved) between `before` and `after`. */
export function changedServices(before: CatalogInstances, after: CatalogInstances): string[] {
  const out = new Set<string>();
  const none: NodeInstances = new Map();
  for (const node of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(node) ?? none;
    const now = after.get(node) ?? none;
    for (const [id, instance] of now) {
      const old = was.get(id);
      if (!old || old.modifyIndex !== instance.modifyIndex || old.service !== instance.service) {
        out.add(instance.service);
        if (old) out.add(old.service);
      }
    }
    for (const [id, old] of was) if (!now.has(id)) out.add(old.service);
  }
  return [...out].sort();
}

/** The same instances (IDs, services, ModifyIndex) on a node in two readings. */
export function sameNodeInstances(a: NodeInstances, b: NodeInstances): boolean {
  if (a.size !== b.size) return false;
  for (const [id, instance] of b) {
    const old = a.get(id);
    if (!old || old.modifyIndex !== instance.modifyIndex || old.service !== instance.service) return false;
  }
  return true;
}

/** The services with an instance on any of `nodes`. */
export function servicesOnNodes(instances: CatalogInstances, nodes: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const node of nodes) for (const instance of instances.get(node)?.values() ?? []) out.add(instance.service);
  return [...out].sort();
}

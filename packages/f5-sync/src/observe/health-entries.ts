// Observe Consul, at the edge: a /v1/health/service answer validated once (core's strict parser, ERR_CONSUL_PAYLOAD)
// and reduced to what f5-sync uses.

import { parseHealthService, type ServiceInstance as HealthServiceEntry } from '@consul-sidecars/core';

/** One passing instance, as /v1/health/service answers it, reduced to what f5-sync uses. */
export interface ServiceInstance {
  id: string;
  node: string;
  /** Service address, or the node's address when the service has none (Consul's rule). */
  address: string;
  port: number;
  tags: string[];
  meta: Record<string, string>;
}

/** Validates a /v1/health/service answer into instances (throws ERR_CONSUL_PAYLOAD naming the field and value). */
export function parseHealthEntries(raw: unknown): ServiceInstance[] {
  return toServiceInstances(parseHealthService(raw));
}

/** Core's validated entries reduced to what f5-sync uses. */
export function toServiceInstances(entries: readonly HealthServiceEntry[]): ServiceInstance[] {
  return entries.map((entry) => ({ id: entry.ID, node: entry.Node, address: entry.Address, port: entry.Port, tags: entry.Tags, meta: entry.Meta }));
}

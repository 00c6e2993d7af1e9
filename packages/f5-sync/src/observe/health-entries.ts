// Observe Consul, at the edge: a /v1/health/service answer validated once into the instances f5-sync uses.

import { CodedError } from '@consul-sidecars/core';

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

function field(what: string, name: string, value: unknown): CodedError {
  return new CodedError('ERR_CONSUL_PAYLOAD', `unexpected Consul health entry: ${what}.${name} is ${JSON.stringify(value)}`, { field: `${what}.${name}`, value });
}

/** Validates a /v1/health/service answer into instances. */
export function parseHealthEntries(raw: unknown): ServiceInstance[] {
  if (!Array.isArray(raw)) throw field('(body)', 'entries', raw);
  return raw.map((entry: Record<string, any>) => {
    const node = entry?.Node ?? {};
    const svc = entry?.Service ?? {};
    if (typeof svc.ID !== 'string') throw field('Service', 'ID', svc.ID);
    if (!Number.isInteger(svc.Port)) throw field('Service', 'Port', svc.Port);
    const address = typeof svc.Address === 'string' && svc.Address !== '' ? svc.Address : node.Address;
    if (typeof address !== 'string') throw field('Node', 'Address', node.Address);
    const tags = Array.isArray(svc.Tags) ? svc.Tags.filter((t: unknown): t is string => typeof t === 'string') : [];
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(svc.Meta ?? {})) if (typeof v === 'string') meta[k] = v;
    return { id: svc.ID, node: typeof node.Node === 'string' ? node.Node : '', address, port: svc.Port, tags, meta };
  });
}

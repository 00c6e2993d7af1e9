// Query kind `health.service` (template: service("name@dc", {tag, status, dc})): /v1/health/service/<name>, read
// by core's strict parser; this kind filters by status, drops what would break the rendered syntax, and sorts.

import { compareInstances, healthServiceRead, instanceRole, mapRead, parseHealthService, statusMatches, type ServiceInstance as ConsulInstance } from '@consul-sidecars/core';
import { isSafeAddress, isSafePort, isSafeTag } from '../nginx-safety';
import type { ServiceInstance, StatusFilter } from './consul-data';
import type { Dependency, QueryKind, RejectListener } from './dependency';
import { compareText } from './payload';

export type HealthServiceDependency = Dependency<'health.service'>;

/** `health.service` with a tag, status and datacenter, as callers write it. Empty tags and datacenters are dropped. */
export function healthServiceDependency(service: string, options: { tag?: string; status?: StatusFilter; dc?: string } = {}): Dependency {
  const tag = options.tag ? options.tag : undefined;
  const dep: Dependency = { kind: 'health.service', service, tag, status: options.status ?? 'passing' };
  return options.dc ? { ...dep, dc: options.dc } : dep;
}

/** Tags that would break the rendered syntax are dropped, and reported. */
export function safeTags(tags: readonly string[], context: string, onReject?: RejectListener): string[] {
  return tags.filter((tag) => {
    if (isSafeTag(tag)) return true;
    onReject?.('tag', tag, context);
    return false;
  });
}

/** core's instances -> what templates see: matching `status`, safe addresses and tags, sorted (node, address, port, id). */
export function templateInstances(instances: readonly ConsulInstance[], dep: HealthServiceDependency, onReject?: RejectListener): ServiceInstance[] {
  const out: ServiceInstance[] = [];
  for (const instance of [...instances].sort(compareInstances)) {
    if (!statusMatches(instance.Status, dep.status)) continue;
    if (!isSafeAddress(instance.Address) || !isSafePort(instance.Port)) {
      onReject?.('address', `${instance.Address}:${String(instance.Port)}`, `${dep.service}/${instance.ID}`);
      continue;
    }
    const tags = safeTags(instance.Tags, `${dep.service}/${instance.ID}`, onReject);
    const view: ServiceInstance = {
      ID: instance.ID,
      Name: instance.Name,
      Node: instance.Node,
      NodeAddress: instance.NodeAddress,
      Address: instance.Address,
      Port: instance.Port,
      Tags: tags,
      Meta: instance.Meta,
      NodeMeta: instance.NodeMeta,
      Weights: instance.Weights,
      Status: instance.Status,
      Checks: instance.Checks
        .map((c) => ({ CheckID: c.CheckID, Name: c.Name, Status: c.Status, Output: c.Output, ServiceID: c.ServiceID }))
        .sort((a, b) => compareText(a.CheckID, b.CheckID)),
      // core's role convention, over the safe tags only: a dropped tag must not come back as the role.
      Role: instanceRole(instance.Meta, tags),
    };
    out.push(view);
  }
  return out;
}

/** A /v1/health/service answer (raw JSON) as templates see it; a malformed answer throws ERR_CONSUL_PAYLOAD. */
export function normaliseHealthService(raw: unknown, dep: HealthServiceDependency, onReject?: RejectListener): ServiceInstance[] {
  return templateInstances(parseHealthService(raw), dep, onReject);
}

export const healthServiceKind: QueryKind<'health.service'> = {
  key: (dep) => `health.service(${dep.service}${dep.dc ? `@${dep.dc}` : ''}${dep.tag ? `|tag=${dep.tag}` : ''}|${dep.status})`,
  query(consul, dep, onReject) {
    // Only "passing" can be filtered by Consul; warning/any fetch everything and filter here (as consul-template does).
    const read = healthServiceRead(dep.service, { tag: dep.tag, passing: dep.status === 'passing' });
    return consul.blockingQuery(mapRead(read, (instances) => templateInstances(instances, dep, onReject)), { dc: dep.dc });
  },
};

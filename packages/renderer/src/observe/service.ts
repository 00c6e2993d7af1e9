// Query kind `health.service` (template: service("name@dc", {tag, status, dc})): /v1/health/service/<name>, read
// by core's strict parser; this kind filters by status and sorts, keeping every field (Go templates see them all);
// `safeInstances` is the view nunjucks templates read: what would break the rendered syntax dropped.

import { compareInstances, healthServiceRead, instanceRole, mapRead, parseHealthService, statusMatches, type ConsulRead, type ServiceInstance as ConsulInstance } from '@consul-sidecars/core';
import { isSafeAddress, isSafePort, isSafeTag } from '../nginx-safety';
import type { ServiceInstance, StatusFilter } from './consul-data';
import type { Dependency, QueryKind, RejectListener } from './dependency';
import { compareText } from './payload';
import { shareInstanceFields } from './shared-values';

export type HealthServiceDependency = Dependency<'health.service'>;

/** `health.service` with a tag, status and datacenter, as callers write it. Empty tags and datacenters are dropped. */
export function healthServiceDependency(service: string, options: { tag?: string; status?: StatusFilter; dc?: string; near?: string } = {}): Dependency {
  const tag = options.tag ? options.tag : undefined;
  const dep: Dependency = { kind: 'health.service', service, tag, status: options.status ?? 'passing' };
  return { ...dep, ...(options.dc ? { dc: options.dc } : {}), ...(options.near ? { near: options.near } : {}) };
}

/** Tags that would break the rendered syntax are dropped, and reported. */
export function safeTags(tags: readonly string[], context: string, onReject?: RejectListener): string[] {
  return tags.filter((tag) => {
    if (isSafeTag(tag)) return true;
    onReject?.('tag', tag, context);
    return false;
  });
}

/** core's instances -> the watch's data: those matching `status`, every field kept, sorted (node, address, port, id). */
export function instanceViews(instances: readonly ConsulInstance[], dep: HealthServiceDependency): ServiceInstance[] {
  const out: ServiceInstance[] = [];
  let previousTags: string[] | undefined;
  for (const instance of [...instances].sort(compareInstances)) {
    if (!statusMatches(instance.Status, dep.status)) continue;
    const view: ServiceInstance = {
      ID: instance.ID,
      Name: instance.Name,
      Node: instance.Node,
      NodeID: instance.NodeID,
      NodeAddress: instance.NodeAddress,
      NodeTaggedAddresses: instance.NodeTaggedAddresses,
      Address: instance.Address,
      TaggedAddresses: instance.TaggedAddresses,
      Port: instance.Port,
      Tags: instance.Tags,
      Meta: instance.Meta,
      NodeMeta: instance.NodeMeta,
      Weights: instance.Weights,
      Status: instance.Status,
      Checks: instance.Checks
        .map((c) => ({ Node: c.Node, CheckID: c.CheckID, Name: c.Name, Status: c.Status, Notes: c.Notes, Output: c.Output, ServiceID: c.ServiceID, ServiceName: c.ServiceName, ServiceTags: c.ServiceTags, Type: c.Type }))
        .sort((a, b) => compareText(a.CheckID, b.CheckID)),
      Role: instance.Role,
    };
    if (view.Role === undefined) delete view.Role;
    if (instance.Maintenance) view.Maintenance = instance.Maintenance;
    shareInstanceFields(view, dep.service, previousTags);
    previousTags = view.Tags;
    out.push(view);
  }
  return out;
}

/**
 * What nunjucks templates see: instances with an address or port that would break the rendered syntax dropped,
 * tags likewise, each reported; the role read over the safe tags only (a dropped tag must not come back as the role).
 */
export function safeInstances(instances: readonly ServiceInstance[], service: string, onReject?: RejectListener): ServiceInstance[] {
  const out: ServiceInstance[] = [];
  for (const instance of instances) {
    if (!isSafeAddress(instance.Address) || !isSafePort(instance.Port)) {
      onReject?.('address', `${instance.Address}:${String(instance.Port)}`, `${service}/${instance.ID}`);
      continue;
    }
    const tags = safeTags(instance.Tags, `${service}/${instance.ID}`, onReject);
    if (tags.length === instance.Tags.length) {
      out.push(instance);
      continue;
    }
    const view: ServiceInstance = { ...instance, Tags: tags, Role: instanceRole(instance.Meta, tags) };
    if (view.Role === undefined) delete view.Role;
    out.push(view);
  }
  return out;
}

/** core's instances -> what nunjucks templates see (status filter, safe values, sorted). */
export function templateInstances(instances: readonly ConsulInstance[], dep: HealthServiceDependency, onReject?: RejectListener): ServiceInstance[] {
  return safeInstances(instanceViews(instances, dep), dep.service, onReject);
}

/** A /v1/health/service answer (raw JSON) as nunjucks templates see it; a malformed answer throws ERR_CONSUL_PAYLOAD. */
export function normaliseHealthService(raw: unknown, dep: HealthServiceDependency, onReject?: RejectListener): ServiceInstance[] {
  return templateInstances(parseHealthService(raw), dep, onReject);
}

/** The read behind a `health.service` dependency (a blocking query per dependency, or a read the feed wakes). */
export function healthServiceDependencyRead(dep: HealthServiceDependency): ConsulRead<ServiceInstance[]> {
  // Only "passing" can be filtered by Consul; warning/any fetch everything and filter here (as consul-template does).
  const read = healthServiceRead(dep.service, { tag: dep.tag, passing: dep.status === 'passing' });
  const withNear = dep.near ? { ...read, query: { ...read.query, near: dep.near } } : read;
  return mapRead(withNear, (instances) => instanceViews(instances, dep));
}

export const healthServiceKind: QueryKind<'health.service'> = {
  key: (dep) => `health.service(${dep.service}${dep.dc ? `@${dep.dc}` : ''}${dep.near ? `~${dep.near}` : ''}${dep.tag ? `|tag=${dep.tag}` : ''}|${dep.status})`,
  query(consul, dep) {
    return consul.blockingQuery(healthServiceDependencyRead(dep), { dc: dep.dc });
  },
};

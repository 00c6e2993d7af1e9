// Query kind `health.service` (template: service("tag", "name@dc", {status})): /v1/health/service/<name>.

import { consulBlockingQuery } from '@consul-sidecars/core';
import { isSafeAddress, isSafePort, isSafeTag } from '../nginx-safety';
import type { ServiceInstance, StatusFilter } from './consul-data';
import type { Dependency, QueryKind, RejectListener } from './dependency';
import { aggregateStatus, statusMatches } from './health-status';
import { compareText, isRecord, records, stringMap } from './payload';

export type HealthServiceDependency = Dependency<'health.service'>;

/** `health.service` with a tag, status and datacenter, as callers write it. Empty tags and datacenters are dropped. */
export function healthServiceDependency(service: string, options: { tag?: string; status?: StatusFilter; dc?: string } = {}): Dependency {
  const tag = options.tag ? options.tag : undefined;
  const dep: Dependency = { kind: 'health.service', service, tag, status: options.status ?? 'passing' };
  return options.dc ? { ...dep, dc: options.dc } : dep;
}

/** Tags that would break the rendered syntax are dropped, and reported. */
export function safeTags(tags: unknown, context: string, onReject?: RejectListener): string[] {
  if (!Array.isArray(tags)) return [];
  return tags.filter((tag): tag is string => {
    if (isSafeTag(tag)) return true;
    onReject?.('tag', tag, context);
    return false;
  });
}

function compareInstances(a: ServiceInstance, b: ServiceInstance): number {
  return compareText(a.Node, b.Node) || compareText(a.Address, b.Address) || a.Port - b.Port || compareText(a.ID, b.ID);
}

/** Plain tags that name a role, as registrator and f5-sync write them (`master`, `slave`). */
const ROLE_TAGS = new Set(['master', 'slave', 'primary', 'replica', 'backup', 'standby']);

function roleOf(meta: Record<string, string>, tags: string[]): string | undefined {
  if (meta.role) return meta.role;
  const tag = tags.find((t) => t.startsWith('role='));
  if (tag) return tag.slice('role='.length);
  return tags.find((t) => ROLE_TAGS.has(t));
}

function weightsOf(value: unknown): ServiceInstance['Weights'] {
  const weights = isRecord(value) ? value : {};
  return { Passing: typeof weights.Passing === 'number' ? weights.Passing : 1, Warning: typeof weights.Warning === 'number' ? weights.Warning : 1 };
}

/** /v1/health/service/<name> entries -> instances matching `status`, sorted (node, address, port, id). */
export function normaliseHealthService(raw: unknown, dep: HealthServiceDependency, onReject?: RejectListener): ServiceInstance[] {
  const out: ServiceInstance[] = [];
  for (const entry of records(raw)) {
    const node = isRecord(entry.Node) ? entry.Node : {};
    const service = isRecord(entry.Service) ? entry.Service : {};
    const checks = records(entry.Checks);
    const status = aggregateStatus(checks.map((c) => String(c.Status)));
    if (!statusMatches(status, dep.status)) continue;
    const address = (typeof service.Address === 'string' && service.Address) || (typeof node.Address === 'string' && node.Address) || '';
    const id = String(service.ID ?? '');
    const port = service.Port;
    if (!isSafeAddress(address) || !isSafePort(port)) {
      onReject?.('address', `${address}:${String(port)}`, `${dep.service}/${id}`);
      continue;
    }
    const tags = safeTags(service.Tags, `${dep.service}/${id}`, onReject);
    const meta = stringMap(service.Meta);
    out.push({
      ID: id,
      Name: String(service.Service ?? dep.service),
      Node: String(node.Node ?? ''),
      NodeAddress: String(node.Address ?? ''),
      Address: address,
      Port: port,
      Tags: tags,
      Meta: meta,
      NodeMeta: stringMap(node.Meta),
      Weights: weightsOf(service.Weights),
      Status: status,
      Checks: checks
        .map((c) => ({
          CheckID: String(c.CheckID ?? ''),
          Name: String(c.Name ?? ''),
          Status: aggregateStatus([String(c.Status)]),
          Output: String(c.Output ?? ''),
          ServiceID: String(c.ServiceID ?? ''),
        }))
        .sort((a, b) => compareText(a.CheckID, b.CheckID)),
      Role: roleOf(meta, tags),
    });
  }
  return out.sort(compareInstances);
}

export const healthServiceKind: QueryKind<'health.service'> = {
  key: (dep) => `health.service(${dep.service}${dep.dc ? `@${dep.dc}` : ''}${dep.tag ? `|tag=${dep.tag}` : ''}|${dep.status})`,
  query(consul, dep, onReject) {
    const options: { tag?: string; dc?: string; passing?: boolean } = {};
    if (dep.tag) options.tag = dep.tag;
    if (dep.dc) options.dc = dep.dc;
    // Only "passing" can be filtered by Consul; warning/any fetch everything and filter here (as consul-template does).
    if (dep.status === 'passing') options.passing = true;
    return consulBlockingQuery((request) => consul.health.service({ ...request, service: dep.service }), options, (raw) => normaliseHealthService(raw, dep, onReject));
  },
};

// JSON shapes of the API, field for field as Consul prints them (PascalCase, empty lists and maps
// rather than null where Consul normalises them).

import { createHash } from 'node:crypto';
import { CheckRecord, NodeRecord, ServiceRecord } from './catalog';
import { formatGoDuration } from './duration';
import { KvEntry } from './kv-store';
import { SessionRecord } from './sessions';

export function nodeView(node: NodeRecord): Record<string, unknown> {
  return {
    ID: node.id,
    Node: node.node,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: node.taggedAddresses,
    Meta: node.meta,
    CreateIndex: node.createIndex,
    ModifyIndex: node.modifyIndex,
  };
}

/** /v1/agent/services and /v1/agent/service/:id entries. */
export function agentServiceView(service: ServiceRecord, datacenter: string): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  if (service.kind) view.Kind = service.kind;
  Object.assign(view, {
    ID: service.id,
    Service: service.name,
    Tags: service.tags,
    Meta: service.meta,
    Port: service.port,
    Address: service.address,
  });
  if (Object.keys(service.taggedAddresses).length > 0) view.TaggedAddresses = service.taggedAddresses;
  Object.assign(view, {
    Weights: service.weights,
    EnableTagOverride: service.enableTagOverride,
    Datacenter: datacenter,
  });
  return view;
}

/** Consul's ContentHash: a stable hash of the agent's view of the service. */
export function contentHash(view: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(view)).digest('hex').slice(0, 16);
}

/** The Service object inside /v1/health/service and /v1/catalog/node results. */
export function nodeServiceView(service: ServiceRecord): Record<string, unknown> {
  return {
    ID: service.id,
    Service: service.name,
    Tags: service.tags,
    Address: service.address,
    TaggedAddresses: service.taggedAddresses,
    Meta: service.meta,
    Port: service.port,
    Weights: service.weights,
    EnableTagOverride: service.enableTagOverride,
    CreateIndex: service.createIndex,
    ModifyIndex: service.modifyIndex,
  };
}

export function catalogServiceView(node: NodeRecord, service: ServiceRecord): Record<string, unknown> {
  return {
    ID: node.id,
    Node: node.node,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: node.taggedAddresses,
    NodeMeta: node.meta,
    ServiceKind: service.kind,
    ServiceID: service.id,
    ServiceName: service.name,
    ServiceTags: service.tags,
    ServiceAddress: service.address,
    ServiceTaggedAddresses: service.taggedAddresses,
    ServiceWeights: service.weights,
    ServiceMeta: service.meta,
    ServicePort: service.port,
    ServiceEnableTagOverride: service.enableTagOverride,
    CreateIndex: service.createIndex,
    ModifyIndex: service.modifyIndex,
  };
}

function durationOrZero(ms: number | undefined): string {
  return formatGoDuration(ms ?? 0);
}

export function checkView(check: CheckRecord, node: string): Record<string, unknown> {
  const d = check.definition;
  const interval = d.ttlMs === undefined && d.intervalMs !== undefined ? formatGoDuration(d.intervalMs) : '';
  const timeout = d.timeoutMs !== undefined ? formatGoDuration(d.timeoutMs) : '';
  return {
    Node: node,
    CheckID: check.checkId,
    Name: check.name,
    Status: check.status,
    Notes: check.notes,
    Output: check.output,
    ServiceID: check.serviceId,
    ServiceName: check.serviceName,
    ServiceTags: check.serviceTags,
    Type: check.type,
    Interval: interval,
    Timeout: timeout,
    ExposedPort: 0,
    Definition: {
      ...(d.http ? { HTTP: d.http, Header: d.header ?? null, Method: d.method ?? '', Body: d.body ?? '', TLSSkipVerify: d.tlsSkipVerify ?? false } : {}),
      ...(d.tcp ? { TCP: d.tcp } : {}),
      ...(d.args ? { ScriptArgs: d.args } : {}),
      Interval: durationOrZero(d.intervalMs),
      Timeout: durationOrZero(d.timeoutMs),
      DeregisterCriticalServiceAfter: durationOrZero(d.deregisterCriticalServiceAfterMs),
    },
    CreateIndex: check.createIndex,
    ModifyIndex: check.modifyIndex,
  };
}

export function kvView(entry: KvEntry, withValue = true): Record<string, unknown> {
  const view: Record<string, unknown> = {
    LockIndex: entry.lockIndex,
    Key: entry.key,
    Flags: entry.flags,
    Value: withValue && entry.value && entry.value.length > 0 ? entry.value.toString('base64') : null,
  };
  if (entry.session) view.Session = entry.session;
  view.CreateIndex = entry.createIndex;
  view.ModifyIndex = entry.modifyIndex;
  return view;
}

export function sessionView(session: SessionRecord): Record<string, unknown> {
  return {
    ID: session.id,
    Name: session.name,
    Node: session.node,
    LockDelay: Math.round(session.lockDelayMs * 1e6),
    Behavior: session.behavior,
    TTL: session.ttl,
    NodeChecks: session.nodeChecks,
    ServiceChecks: session.serviceChecks,
    CreateIndex: session.createIndex,
    ModifyIndex: session.modifyIndex,
  };
}

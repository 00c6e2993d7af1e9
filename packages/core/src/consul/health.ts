// /v1/health/service, /v1/health/checks, /v1/health/state and /v1/health/node answers, validated into one instance
// shape with every field consul-template exposes, plus what the daemons derive: Status, Maintenance, Role.

import { arrayAt, entriesAt, Fields, payloadError } from './payload';
import { aggregateStatus, maintenanceOf, type HealthStatus, type Maintenance } from './health-status';
import { instanceRole } from './role';

export interface HealthCheck {
  Node: string;
  CheckID: string;
  Name: string;
  /** Consul's "maintenance" (and the critical status of maintenance checks) is critical. */
  Status: HealthStatus;
  Notes: string;
  Output: string;
  /** '' for a node check. */
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  /** "ttl", "http", "tcp", "script", "grpc", ... ('' from agents that do not say). */
  Type: string;
  Namespace?: string;
}

export interface ServiceAddress {
  Address: string;
  Port: number;
}

export interface Weights {
  Passing: number;
  Warning: number;
}

/** One entry of /v1/health/service/<name>: node, service and checks together. */
export interface ServiceInstance {
  /** Service ID. */
  ID: string;
  /** Service name. */
  Name: string;
  Kind: string;
  Node: string;
  NodeID: string;
  NodeAddress: string;
  NodeDatacenter: string;
  NodeTaggedAddresses: Record<string, string>;
  NodeMeta: Record<string, string>;
  /** The service address, or the node's when the service has none (Consul's DNS rule). */
  Address: string;
  /** The service's own address as registered ('' when it has none). */
  ServiceAddress: string;
  Port: number;
  Tags: string[];
  ServiceMeta: Record<string, string>;
  /** Same object as ServiceMeta (the name the renderer's templates and f5-sync use). */
  Meta: Record<string, string>;
  TaggedAddresses: Record<string, ServiceAddress>;
  Weights: Weights;
  EnableTagOverride: boolean;
  Namespace?: string;
  Partition?: string;
  /** The worst status of the node's and the service's checks. */
  Status: HealthStatus;
  Checks: HealthCheck[];
  /** Set when the node or the service is in maintenance mode. */
  Maintenance?: Maintenance;
  /** CheckIDs of the checks that are not passing. */
  FailingChecks: string[];
  /** The role convention (see role.ts): Meta.role, a role=<r> tag, or a configured role tag. */
  Role?: string;
}

export interface HealthParseOptions {
  /** Plain tags that name a role (default DEFAULT_ROLE_TAGS). */
  roleTags?: Iterable<string>;
}

const STATUSES: Record<string, HealthStatus> = { passing: 'passing', warning: 'warning', critical: 'critical', maintenance: 'critical' };

function checkStatus(f: Fields): HealthStatus {
  const status = STATUSES[f.string('Status')];
  if (!status) f.fail('Status', 'passing, warning, critical or maintenance');
  return status;
}

export function parseHealthCheck(value: unknown, path: string): HealthCheck {
  const f = new Fields(value, path);
  const check: HealthCheck = {
    Node: f.stringOr('Node', ''),
    CheckID: f.string('CheckID'),
    Name: f.stringOr('Name', ''),
    Status: checkStatus(f),
    Notes: f.stringOr('Notes', ''),
    Output: f.stringOr('Output', ''),
    ServiceID: f.stringOr('ServiceID', ''),
    ServiceName: f.stringOr('ServiceName', ''),
    ServiceTags: f.strings('ServiceTags'),
    Type: f.stringOr('Type', ''),
  };
  const ns = f.optString('Namespace');
  if (ns !== undefined) check.Namespace = ns;
  return check;
}

/** /v1/health/checks/<service>, /v1/health/state/<state>, /v1/health/node/<node>: a list of checks. */
export function parseHealthChecks(body: unknown): HealthCheck[] {
  return arrayAt(body, '').map((item) => parseHealthCheck(item.value, item.path));
}

function serviceTaggedAddresses(f: Fields, key: string): Record<string, ServiceAddress> {
  const out: Record<string, ServiceAddress> = {};
  for (const entry of entriesAt(f.raw(key) ?? null, f.at(key)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const addr = new Fields(entry.value, entry.path);
    out[entry.key] = { Address: addr.string('Address'), Port: addr.int('Port') };
  }
  return out;
}

/** Weights as Consul writes them; absent (older agents) means {Passing: 1, Warning: 1}, Consul's default. */
export function parseWeights(f: Fields, key: string): Weights {
  const w = f.optObject(key);
  if (!w) return { Passing: 1, Warning: 1 };
  return { Passing: w.intOr('Passing', 1), Warning: w.intOr('Warning', 1) };
}

export function parseServiceTaggedAddresses(f: Fields, key: string): Record<string, ServiceAddress> {
  return serviceTaggedAddresses(f, key);
}

export function parseHealthEntry(value: unknown, path: string, options: HealthParseOptions = {}): ServiceInstance {
  const entry = new Fields(value, path);
  const node = entry.object('Node');
  const svc = entry.object('Service');
  const checks = arrayAt(entry.raw('Checks') ?? null, entry.at('Checks')).map((c) => parseHealthCheck(c.value, c.path));
  const nodeAddress = node.string('Address');
  const serviceAddress = svc.stringOr('Address', '');
  const tags = svc.strings('Tags');
  const meta = svc.stringMap('Meta');
  const instance: ServiceInstance = {
    ID: svc.string('ID'),
    Name: svc.string('Service'),
    Kind: svc.stringOr('Kind', ''),
    Node: node.string('Node'),
    NodeID: node.stringOr('ID', ''),
    NodeAddress: nodeAddress,
    NodeDatacenter: node.stringOr('Datacenter', ''),
    NodeTaggedAddresses: node.stringMap('TaggedAddresses'),
    NodeMeta: node.stringMap('Meta'),
    Address: serviceAddress || nodeAddress,
    ServiceAddress: serviceAddress,
    Port: svc.int('Port'),
    Tags: tags,
    ServiceMeta: meta,
    Meta: meta,
    TaggedAddresses: serviceTaggedAddresses(svc, 'TaggedAddresses'),
    Weights: parseWeights(svc, 'Weights'),
    EnableTagOverride: svc.boolOr('EnableTagOverride', false),
    Status: aggregateStatus(checks.map((c) => c.Status)),
    Checks: checks,
    FailingChecks: checks.filter((c) => c.Status !== 'passing').map((c) => c.CheckID),
  };
  const ns = svc.optString('Namespace');
  if (ns !== undefined) instance.Namespace = ns;
  const partition = svc.optString('Partition');
  if (partition !== undefined) instance.Partition = partition;
  const maintenance = maintenanceOf(checks.map((c) => c.CheckID));
  if (maintenance) instance.Maintenance = maintenance;
  const role = instanceRole(meta, tags, options.roleTags);
  if (role !== undefined) instance.Role = role;
  return instance;
}

/** /v1/health/service/<name> (with or without ?passing): every entry, in Consul's order. */
export function parseHealthService(body: unknown, options: HealthParseOptions = {}): ServiceInstance[] {
  if (!Array.isArray(body)) throw payloadError('', body, 'a list of health entries', '/v1/health/service');
  return arrayAt(body, '').map((item) => parseHealthEntry(item.value, item.path, options));
}

/** Code-point order: the same on every machine, whatever its locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A stable order for instances: node, address, port, id (what the renderer renders in). */
export function compareInstances(a: ServiceInstance, b: ServiceInstance): number {
  return compareText(a.Node, b.Node) || compareText(a.Address, b.Address) || a.Port - b.Port || compareText(a.ID, b.ID);
}

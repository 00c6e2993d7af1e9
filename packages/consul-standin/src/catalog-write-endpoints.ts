// PUT /v1/catalog/register and /v1/catalog/deregister: nodes, services and checks written straight
// into the catalog (external services, other hosts), decoded and validated in Consul's order
// (agent/catalog_endpoint.go, then Catalog.Register / Catalog.Deregister on the server).

import { Agent } from './agent';
import { CatalogCheck, CatalogRegistration, CheckDefinition, HEALTH_STATUSES, HealthStatus, ServiceDefinition } from './catalog';
import { Fields } from './decode';
import { badRequest, internal } from './errors';
import { decodeBody, readServiceFields, validateMeta } from './registration';
import { RequestContext, Route } from './router';

const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ANY_ADDRESSES = ['0.0.0.0', '::', '[::]'];

interface RawService {
  id: string;
  name: string;
  kind: string;
  tags: string[];
  address: string;
  port: number;
  meta: Record<string, string>;
  taggedAddresses: ServiceDefinition['taggedAddresses'];
  enableTagOverride: boolean;
  weights?: { Passing: number; Warning: number };
}

interface RawCheck {
  node: string;
  checkId: string;
  name: string;
  status: string;
  notes: string;
  output: string;
  serviceId: string;
  type: string;
  definition: CheckDefinition;
}

function readDefinition(fields: Fields | undefined, top: Fields): CheckDefinition {
  const definition: CheckDefinition = {
    http: fields?.string('HTTP'),
    method: fields?.string('Method'),
    header: fields?.headerMap('Header'),
    body: fields?.string('Body'),
    tlsSkipVerify: fields?.bool('TLSSkipVerify'),
    tcp: fields?.string('TCP'),
    intervalMs: fields?.duration('Interval') ?? top.duration('Interval'),
    timeoutMs: fields?.duration('Timeout') ?? top.duration('Timeout'),
    deregisterCriticalServiceAfterMs: fields?.duration('DeregisterCriticalServiceAfter'),
  };
  for (const key of Object.keys(definition) as (keyof CheckDefinition)[]) {
    if (definition[key] === undefined) delete definition[key];
  }
  return definition;
}

function readCheck(fields: Fields): RawCheck {
  const definition = readDefinition(fields.object('Definition', 'HealthCheckDefinition'), fields);
  const type = fields.string('Type') ?? (definition.http ? 'http' : definition.tcp ? 'tcp' : '');
  return {
    node: fields.string('Node') ?? '',
    checkId: fields.string('CheckID') ?? '',
    name: fields.string('Name') ?? '',
    status: fields.string('Status') ?? '',
    notes: fields.string('Notes') ?? '',
    output: fields.string('Output') ?? '',
    serviceId: fields.string('ServiceID') ?? '',
    type,
    definition,
  };
}

function readService(fields: Fields): RawService {
  return readServiceFields(fields, 'Service');
}

/** go-uuid's ParseUUID texts. */
function uuidProblem(id: string): string | undefined {
  if (id.length !== 36) return 'uuid string is wrong length';
  if (!UUID_PATTERN.test(id)) return 'uuid is improperly formatted';
  return undefined;
}

function checkDatacenter(agent: Agent, datacenter: string | undefined): void {
  if (datacenter && datacenter !== agent.options.datacenter) throw internal('No path to datacenter');
}

/** The PUT /v1/catalog/register body, checked as Catalog.Register and the state store do. */
export function parseCatalogRegistration(agent: Agent, body: Buffer): CatalogRegistration {
  const raw = decodeBody(body, 'RegisterRequest', (fields) => {
    const service = fields.object('Service', 'NodeService');
    const check = fields.object('Check', 'HealthCheck');
    return {
      datacenter: fields.string('Datacenter'),
      id: fields.string('ID') ?? '',
      node: fields.string('Node') ?? '',
      address: fields.string('Address') ?? '',
      taggedAddresses: fields.stringMap('TaggedAddresses') ?? {},
      meta: fields.stringMap('NodeMeta') ?? {},
      skipNodeUpdate: fields.bool('SkipNodeUpdate') ?? false,
      service: service ? readService(service) : undefined,
      checks: [...(fields.objectList('Checks', 'HealthCheck') ?? []), ...(check ? [check] : [])].map(readCheck),
    };
  });
  checkDatacenter(agent, raw.datacenter);
  if (!raw.node) throw internal('Must provide node');
  if (raw.id) {
    const problem = uuidProblem(raw.id);
    if (problem) throw internal(`Bad node ID: ${problem}`);
  }
  if (!raw.address && !raw.skipNodeUpdate) throw internal('Must provide address if SkipNodeUpdate is not set');

  const service = raw.service && (raw.service.id || raw.service.name) ? toServiceDefinition(raw.service, raw.node) : undefined;
  const checks = raw.checks.map((c) => toCatalogCheck(c, raw.node));

  return {
    node: {
      id: raw.id,
      node: raw.node,
      address: raw.address,
      datacenter: agent.options.datacenter,
      taggedAddresses: raw.taggedAddresses,
      meta: raw.meta,
    },
    skipNodeUpdate: raw.skipNodeUpdate,
    service,
    checks,
  };
}

function toServiceDefinition(s: RawService, node: string): ServiceDefinition {
  const id = s.id || s.name;
  if (!s.name) throw internal('Must provide service name (Service.Service) when service ID is provided');
  if (ANY_ADDRESSES.includes(s.address)) throw internal('Invalid service address');
  const metaProblem = validateMeta(s.meta);
  if (metaProblem) throw internal(`failed inserting service: Invalid Service Meta for node ${node} and serviceID ${id}: ${metaProblem}`);
  return {
    id,
    name: s.name,
    kind: s.kind,
    tags: s.tags,
    address: s.address,
    port: s.port,
    meta: s.meta,
    taggedAddresses: s.taggedAddresses,
    enableTagOverride: s.enableTagOverride,
    weights: s.weights ?? { Passing: 1, Warning: 1 },
  };
}

function toCatalogCheck(c: RawCheck, node: string): CatalogCheck {
  const status = c.status || 'critical';
  if (!HEALTH_STATUSES.includes(status as HealthStatus)) {
    throw badRequest(`Invalid check status "${status}" (the stand-in keeps passing, warning and critical only)`);
  }
  return {
    node: c.node || node,
    checkId: c.checkId || c.name,
    name: c.name,
    notes: c.notes,
    status: status as HealthStatus,
    output: c.output,
    serviceId: c.serviceId,
    type: c.type,
    definition: c.definition,
  };
}

/** A client agent's anti-entropy sync: its node's services and checks in Catalog.Register's shapes. */
export interface NodeSync {
  node: string;
  syncVersion: string;
  services: ServiceDefinition[];
  checks: CatalogCheck[];
}

export function parseNodeSync(body: Buffer): NodeSync {
  const raw = decodeBody(body, 'NodeSync', (fields) => ({
    node: fields.string('Node') ?? '',
    syncVersion: fields.string('SyncVersion') ?? '',
    services: (fields.objectList('Services', 'NodeService') ?? []).map(readService),
    checks: (fields.objectList('Checks', 'HealthCheck') ?? []).map(readCheck),
  }));
  if (!raw.node) throw internal('Must provide node');
  return {
    node: raw.node,
    syncVersion: raw.syncVersion,
    services: raw.services.map((s) => toServiceDefinition(s, raw.node)),
    checks: raw.checks.map((c) => toCatalogCheck(c, raw.node)),
  };
}

function nodeInBody(ctx: RequestContext): string | undefined {
  try {
    const parsed = JSON.parse(ctx.body.toString('utf8')) as { Node?: unknown };
    return typeof parsed?.Node === 'string' ? parsed.Node : undefined;
  } catch {
    return undefined;
  }
}

export function catalogWriteRoutes(agent: Agent): Route[] {
  const { catalog, options } = agent;
  return [
    {
      pattern: '/v1/catalog/register',
      methods: ['PUT'],
      acl: (ctx) => ({ resource: 'node', level: 'write', name: nodeInBody(ctx) }),
      handle: (ctx) => {
        const registration = parseCatalogRegistration(agent, ctx.body);
        catalog.catalogRegister(registration);
        options.log({ level: 'info', msg: 'catalog register', node: registration.node.node, service: registration.service?.id, checks: registration.checks.length });
        return { json: true };
      },
    },
    {
      pattern: '/v1/catalog/deregister',
      methods: ['PUT'],
      acl: (ctx) => ({ resource: 'node', level: 'write', name: nodeInBody(ctx) }),
      handle: (ctx) => {
        const request = decodeBody(ctx.body, 'DeregisterRequest', (fields) => ({
          datacenter: fields.string('Datacenter'),
          node: fields.string('Node') ?? '',
          serviceId: fields.string('ServiceID') ?? '',
          checkId: fields.string('CheckID') ?? '',
        }));
        checkDatacenter(agent, request.datacenter);
        if (!request.node) throw internal('Must provide node');
        catalog.catalogDeregister(request.node, request.serviceId || undefined, request.checkId || undefined);
        options.log({ level: 'info', msg: 'catalog deregister', node: request.node, service: request.serviceId, check: request.checkId });
        return { json: true };
      },
    },
  ];
}

// Decoding and validating service and check definitions as Consul's agent endpoints do,
// with Consul's status codes and texts for each rejection.

import { Agent } from './agent';
import { CheckDefinition, CheckRegistration, HEALTH_STATUSES, HealthStatus, ServiceDefinition } from './catalog';
import { DecodeError, Fields, parseJsonBody } from './decode';
import { badRequest, internal, notFound } from './errors';

const META_MAX_PAIRS = 64;
const META_KEY_MAX_LENGTH = 128;
const META_VALUE_MAX_LENGTH = 512;
const META_RESERVED_PREFIX = 'consul-';

/** Parses a body for an endpoint, turning decode failures into Consul's 400 text. */
export function decodeBody<T>(body: Buffer, struct: string, read: (fields: Fields) => T, prefix = 'Request decode failed: '): T {
  try {
    return read(new Fields(struct, parseJsonBody(body)));
  } catch (err) {
    if (err instanceof DecodeError) throw badRequest(`${prefix}${err.message}`);
    throw err;
  }
}

/** structs.ValidateServiceMetadata. */
export function validateMeta(meta: Record<string, string>): string | undefined {
  const entries = Object.entries(meta);
  if (entries.length > META_MAX_PAIRS) return `Node metadata cannot contain more than ${META_MAX_PAIRS} key/value pairs`;
  for (const [key, value] of entries) {
    let problem: string | undefined;
    if (key === '') problem = 'Key cannot be blank';
    else if (!/^[a-zA-Z0-9_-]+$/.test(key)) problem = 'Key contains invalid characters';
    else if (key.length > META_KEY_MAX_LENGTH) problem = `Key is too long (limit: ${META_KEY_MAX_LENGTH} characters)`;
    else if (key.startsWith(META_RESERVED_PREFIX)) problem = `Key prefix '${META_RESERVED_PREFIX}' is reserved for internal use`;
    else if (value.length > META_VALUE_MAX_LENGTH) problem = `Value is too long (limit: ${META_VALUE_MAX_LENGTH} characters)`;
    if (problem) return `Couldn't load metadata pair ('${key}', '${value}'): ${problem}`;
  }
  return undefined;
}

interface CheckTypeFields {
  checkId?: string;
  name?: string;
  notes: string;
  status?: string;
  serviceId?: string;
  type: string;
  definition: CheckDefinition;
  intervalCheck: boolean;
  empty: boolean;
}

function readCheckType(fields: Fields): CheckTypeFields {
  const args = fields.stringList('Args', 'ScriptArgs');
  const definition: CheckDefinition = {
    http: fields.string('HTTP'),
    method: fields.string('Method'),
    header: fields.headerMap('Header'),
    body: fields.string('Body'),
    tlsSkipVerify: fields.bool('TLSSkipVerify'),
    tcp: fields.string('TCP'),
    args,
    ttlMs: fields.duration('TTL'),
    intervalMs: fields.duration('Interval'),
    timeoutMs: fields.duration('Timeout'),
    deregisterCriticalServiceAfterMs: fields.duration('DeregisterCriticalServiceAfter'),
  };
  const grpc = fields.string('GRPC');
  const docker = fields.string('DockerContainerID');
  const alias = fields.string('AliasService') ?? fields.string('AliasNode');
  const udp = fields.string('UDP');
  const h2ping = fields.string('H2PING');
  const type = definition.http ? 'http' : definition.tcp ? 'tcp' : args?.length ? 'script' : grpc ? 'grpc'
    : docker ? 'docker' : udp ? 'udp' : h2ping ? 'h2ping' : alias ? 'alias' : definition.ttlMs ? 'ttl' : '';
  const intervalCheck = Boolean(definition.http || definition.tcp || args?.length || grpc || udp || h2ping || docker);
  for (const key of Object.keys(definition) as (keyof CheckDefinition)[]) {
    if (definition[key] === undefined) delete definition[key];
  }
  const checkId = fields.string('CheckID', 'ID');
  const name = fields.string('Name');
  const notes = fields.string('Notes') ?? '';
  const status = fields.string('Status');
  const serviceId = fields.string('ServiceID');
  const empty = Object.keys(definition).length === 0 && !checkId && !name && !notes && !status && !grpc && !docker && !alias && !udp && !h2ping;
  return { checkId, name, notes, status, serviceId, type, definition, intervalCheck, empty };
}

/** CheckType.Validate. */
function checkTypeProblem(check: CheckTypeFields): string | undefined {
  const { definition } = check;
  if ((definition.intervalMs ?? 0) > 0 && (definition.ttlMs ?? 0) > 0) return 'Interval and TTL cannot both be specified';
  if (check.intervalCheck && !((definition.intervalMs ?? 0) > 0)) return 'Interval must be > 0 for Script, HTTP, H2PING, TCP or UDP checks';
  if (!check.intervalCheck && check.type !== 'alias' && !((definition.ttlMs ?? 0) > 0)) return 'TTL must be > 0 for TTL checks';
  if ((definition.timeoutMs ?? 0) < 0) return 'Timeout must be >= 0';
  return undefined;
}

/** Applies the agent's floors (Consul clamps intervals to 1 s and deregistration to 1 minute). */
function clamp(agent: Agent, definition: CheckDefinition): CheckDefinition {
  const out = { ...definition };
  const { minCheckIntervalMs, minDeregisterCriticalServiceAfterMs } = agent.options;
  if (out.intervalMs !== undefined && out.intervalMs < minCheckIntervalMs) out.intervalMs = minCheckIntervalMs;
  const dcsa = out.deregisterCriticalServiceAfterMs;
  if (dcsa !== undefined && dcsa > 0 && dcsa < minDeregisterCriticalServiceAfterMs) {
    out.deregisterCriticalServiceAfterMs = minDeregisterCriticalServiceAfterMs;
  }
  return out;
}

function scriptsAllowed(agent: Agent, check: CheckTypeFields): void {
  if (check.type === 'script' && !agent.options.enableScriptChecks) {
    throw internal("Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or 'enable_local_script_checks' to true");
  }
}

export interface ServiceRegistration {
  definition: ServiceDefinition;
  checks: CheckRegistration[];
}

/** PUT /v1/agent/service/register body, validated in Consul's order. */
export function parseServiceRegistration(agent: Agent, body: Buffer): ServiceRegistration {
  const parsed = decodeBody(body, 'ServiceDefinition', (fields) => {
    return {
      ...readServiceFields(fields, 'Name'),
      id: fields.string('ID'),
      check: fields.object('Check', 'CheckType'),
      checks: fields.objectList('Checks', 'CheckType'),
    };
  });
  const checkTypes = decodeBody(body, 'ServiceDefinition', () => [
    ...(parsed.check ? [readCheckType(parsed.check)] : []),
    ...(parsed.checks ?? []).map(readCheckType),
  ]);
  if (!parsed.name) throw badRequest('Missing service name');
  if (parsed.address === '0.0.0.0' || parsed.address === '::' || parsed.address === '[::]') throw badRequest('Invalid service address');
  if (parsed.weights) {
    if (parsed.weights.Passing < 1) throw badRequest('Invalid Weights: Passing must be greater than 0');
    if (parsed.weights.Warning < 0) throw badRequest('Invalid Weights: Warning must be greater or equal than 0');
    if (parsed.weights.Passing > 65535 || parsed.weights.Warning > 65535) throw badRequest('Invalid Weights: DNS Weight must be between 0 and 65535');
  }
  const metaProblem = validateMeta(parsed.meta);
  if (metaProblem) throw badRequest(`Invalid Service Meta: ${metaProblem}`);
  if (parsed.port < 0 || parsed.port > 65535) throw badRequest(`Validation failed: invalid port ${parsed.port}`);
  const checks = checkTypes.filter((c, i) => !(i === 0 && parsed.check && c.empty));
  for (const check of checks) {
    const problem = checkTypeProblem(check);
    if (problem) throw badRequest(`Invalid check: ${problem}`);
  }
  for (const check of checks) {
    if (check.status && !HEALTH_STATUSES.includes(check.status as HealthStatus)) {
      throw badRequest("Status for checks must 'passing', 'warning', 'critical'");
    }
  }
  for (const check of checks) scriptsAllowed(agent, check);
  const id = parsed.id || parsed.name;
  const definition: ServiceDefinition = {
    id,
    name: parsed.name,
    kind: parsed.kind,
    tags: parsed.tags,
    address: parsed.address,
    port: parsed.port,
    meta: parsed.meta,
    taggedAddresses: parsed.taggedAddresses,
    enableTagOverride: parsed.enableTagOverride,
    weights: parsed.weights ?? { Passing: 1, Warning: 1 },
  };
  const registrations = checks.map((check, i): CheckRegistration => ({
    checkId: check.checkId || (checks.length > 1 ? `service:${id}:${i + 1}` : `service:${id}`),
    name: check.name || `Service '${parsed.name}' check`,
    notes: check.notes,
    status: check.status as HealthStatus | undefined,
    serviceId: id,
    type: check.type,
    definition: clamp(agent, check.definition),
  }));
  return { definition, checks: registrations };
}

/** PUT /v1/agent/check/register body. */
export function parseCheckRegistration(agent: Agent, body: Buffer): CheckRegistration {
  const check = decodeBody(body, 'CheckDefinition', readCheckType);
  if (!check.name) throw badRequest('Missing check name');
  if (check.status && !HEALTH_STATUSES.includes(check.status as HealthStatus)) throw badRequest('Bad check status');
  const problem = checkTypeProblem(check);
  if (problem) throw badRequest(`Invalid check: ${problem}`);
  if (check.serviceId && !agent.catalog.services.get(check.serviceId)?.agentLocal) {
    throw notFound(`ServiceID "${check.serviceId}" does not exist`);
  }
  scriptsAllowed(agent, check);
  return {
    checkId: check.checkId || check.name,
    name: check.name,
    notes: check.notes,
    status: check.status as HealthStatus | undefined,
    serviceId: check.serviceId ?? '',
    type: check.type,
    definition: clamp(agent, check.definition),
  };
}

/**
 * The service fields the agent (`Name`) and the catalog (`Service`) registrations share; the two endpoints
 * differ only in what they call the service's name.
 */
export function readServiceFields(fields: Fields, nameField: 'Name' | 'Service') {
  const weights = fields.object('Weights', 'Weights');
  const taggedAddresses = fields.raw('TaggedAddresses');
  return {
    id: fields.string('ID') ?? '',
    name: fields.string(nameField) ?? '',
    kind: fields.string('Kind') ?? '',
    tags: fields.stringList('Tags') ?? [],
    address: fields.string('Address') ?? '',
    port: fields.int('Port') ?? 0,
    meta: fields.stringMap('Meta') ?? {},
    taggedAddresses: (taggedAddresses && typeof taggedAddresses === 'object' ? taggedAddresses : {}) as ServiceDefinition['taggedAddresses'],
    enableTagOverride: fields.bool('EnableTagOverride') ?? false,
    weights: weights ? { Passing: weights.int('Passing') ?? 0, Warning: weights.int('Warning') ?? 0 } : undefined,
  };
}

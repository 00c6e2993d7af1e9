// The local agent's endpoints: service (de)registration with every field Consul takes, TTL check updates,
// maintenance, and its own view (self, services, checks, members).

import { parseAgentChecks, parseAgentMembers, parseAgentSelf, parseAgentService, parseAgentServices, type AgentMember, type AgentSelf, type AgentService } from './agent';
import type { HealthCheck, ServiceAddress, Weights } from './health';
import type { HealthStatus } from './health-status';
import type { ConsulTransport } from './transport';

/** A check in PUT /v1/agent/service/register (or /v1/agent/check/register), Consul's field names. */
export interface AgentCheckDefinition {
  CheckID?: string;
  Name: string;
  /** Only for /v1/agent/check/register: the service the check belongs to. */
  ServiceID?: string;
  HTTP?: string;
  Method?: string;
  Header?: Record<string, string[]>;
  Body?: string;
  TCP?: string;
  UDP?: string;
  GRPC?: string;
  GRPCUseTLS?: boolean;
  H2PING?: string;
  TLSSkipVerify?: boolean;
  TLSServerName?: string;
  Args?: string[];
  DockerContainerID?: string;
  Shell?: string;
  TTL?: string;
  Interval?: string;
  Timeout?: string;
  /** Initial status. */
  Status?: HealthStatus;
  Notes?: string;
  DeregisterCriticalServiceAfter?: string;
  SuccessBeforePassing?: number;
  FailuresBeforeWarning?: number;
  FailuresBeforeCritical?: number;
}

/** PUT /v1/agent/service/register, sent exactly as given (nothing dropped: Weights, TaggedAddresses... included). */
export interface AgentServiceRegistration {
  ID?: string;
  Name: string;
  Tags?: string[];
  Address?: string;
  Port?: number;
  Meta?: Record<string, string>;
  TaggedAddresses?: Record<string, ServiceAddress>;
  EnableTagOverride?: boolean;
  Weights?: Weights;
  Kind?: string;
  Namespace?: string;
  SocketPath?: string;
  Check?: AgentCheckDefinition;
  Checks?: AgentCheckDefinition[];
}

export interface AgentCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class AgentApi {
  constructor(private readonly http: ConsulTransport) {}

  async self(options: AgentCallOptions = {}): Promise<AgentSelf> {
    const { body } = await this.http.json('GET', '/agent/self', options);
    return parseAgentSelf(body);
  }

  async services(options: AgentCallOptions & { filter?: string } = {}): Promise<AgentService[]> {
    const { body } = await this.http.json('GET', '/agent/services', { ...options, query: { filter: options.filter } });
    return parseAgentServices(body);
  }

  /**
   * /v1/agent/services as a hash-based blocking read: with `hash` and `wait` the agent answers when its services
   * change (X-Consul-ContentHash) or the wait ends. `hash` in the answer is the one to send next.
   */
  async servicesByHash(options: AgentCallOptions & { hash?: string; wait?: string } = {}): Promise<{ services: AgentService[]; hash?: string }> {
    const blocking = options.hash !== undefined && options.wait !== undefined;
    const { body, reply } = await this.http.json('GET', '/agent/services', {
      signal: options.signal,
      query: blocking ? { hash: options.hash, wait: options.wait } : undefined,
      timeoutMs: options.timeoutMs ?? (blocking ? 70_000 : 10_000),
    });
    const hash = reply.headers['x-consul-contenthash'];
    return { services: parseAgentServices(body), hash: typeof hash === 'string' ? hash : undefined };
  }

  /** One local service; undefined when the agent does not have it. */
  async service(serviceId: string, options: AgentCallOptions = {}): Promise<AgentService | undefined> {
    const { body, reply } = await this.http.json('GET', `/agent/service/${encodeURIComponent(serviceId)}`, { ...options, accept: [404] });
    return reply.status === 404 ? undefined : parseAgentService(body, '');
  }

  /**
   * One local service as a hash-based blocking read (`?hash=<ContentHash>&wait=`): answers when the service
   * changes or the wait ends; `service` undefined when the agent does not have it (any more).
   */
  async serviceByHash(serviceId: string, options: AgentCallOptions & { hash?: string; wait?: string } = {}): Promise<{ service?: AgentService; hash?: string }> {
    const blocking = options.hash !== undefined && options.wait !== undefined;
    const { body, reply } = await this.http.json('GET', `/agent/service/${encodeURIComponent(serviceId)}`, {
      signal: options.signal,
      query: blocking ? { hash: options.hash, wait: options.wait } : undefined,
      timeoutMs: options.timeoutMs ?? (blocking ? 70_000 : 10_000),
      accept: [404],
    });
    if (reply.status === 404) return {};
    const service = parseAgentService(body, '');
    const header = reply.headers['x-consul-contenthash'];
    return { service, hash: typeof header === 'string' ? header : service.ContentHash };
  }

  async checks(options: AgentCallOptions & { filter?: string } = {}): Promise<HealthCheck[]> {
    const { body } = await this.http.json('GET', '/agent/checks', { ...options, query: { filter: options.filter } });
    return parseAgentChecks(body);
  }

  async members(options: AgentCallOptions & { wan?: boolean } = {}): Promise<AgentMember[]> {
    const { body } = await this.http.json('GET', '/agent/members', { ...options, query: { wan: options.wan ? 1 : undefined } });
    return parseAgentMembers(body);
  }

  /** Registering the same definition again is a no-op for Consul, so a reset socket may resend it. */
  async register(registration: AgentServiceRegistration, options: AgentCallOptions & { replaceExistingChecks?: boolean } = {}): Promise<void> {
    await this.http.call('PUT', '/agent/service/register', {
      ...options,
      query: { 'replace-existing-checks': options.replaceExistingChecks ? 'true' : undefined },
      body: registration,
      idempotent: true,
    });
  }

  /** An unknown service ID is already what a deregister wants: 404 is success unless `strict`. */
  async deregister(serviceId: string, options: AgentCallOptions & { strict?: boolean } = {}): Promise<void> {
    await this.http.call('PUT', `/agent/service/deregister/${encodeURIComponent(serviceId)}`, { ...options, accept: options.strict ? [] : [404], idempotent: true });
  }

  async registerCheck(check: AgentCheckDefinition, options: AgentCallOptions = {}): Promise<void> {
    await this.http.call('PUT', '/agent/check/register', { ...options, body: check, idempotent: true });
  }

  async deregisterCheck(checkId: string, options: AgentCallOptions = {}): Promise<void> {
    await this.http.call('PUT', `/agent/check/deregister/${encodeURIComponent(checkId)}`, { ...options, idempotent: true });
  }

  /** Sets a TTL check's status and output (PUT /v1/agent/check/update/<id>). */
  async updateCheck(checkId: string, status: HealthStatus, output = '', options: AgentCallOptions = {}): Promise<void> {
    await this.http.call('PUT', `/agent/check/update/${encodeURIComponent(checkId)}`, { ...options, body: { Status: status, Output: output }, idempotent: true });
  }

  async passCheck(checkId: string, note?: string, options: AgentCallOptions = {}): Promise<void> {
    await this.http.call('PUT', `/agent/check/pass/${encodeURIComponent(checkId)}`, { ...options, query: { note }, idempotent: true });
  }

  async warnCheck(checkId: string, note?: string, options: AgentCallOptions = {}): Promise<void> {
    await this.http.call('PUT', `/agent/check/warn/${encodeURIComponent(checkId)}`, { ...options, query: { note }, idempotent: true });
  }

  async failCheck(checkId: string, note?: string, options: AgentCallOptions = {}): Promise<void> {
    await this.http.call('PUT', `/agent/check/fail/${encodeURIComponent(checkId)}`, { ...options, query: { note }, idempotent: true });
  }

  /** Service maintenance on or off (the agent adds or removes `_service_maintenance:<id>`). */
  async serviceMaintenance(serviceId: string, enable: boolean, reason?: string, options: AgentCallOptions = {}): Promise<void> {
    await this.http.call('PUT', `/agent/service/maintenance/${encodeURIComponent(serviceId)}`, { ...options, query: { enable: String(enable), reason }, idempotent: true });
  }

  /** Node maintenance on or off (`_node_maintenance`). */
  async nodeMaintenance(enable: boolean, reason?: string, options: AgentCallOptions = {}): Promise<void> {
    await this.http.call('PUT', '/agent/maintenance', { ...options, query: { enable: String(enable), reason }, idempotent: true });
  }
}

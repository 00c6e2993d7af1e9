// The Consul agent adapter (gliderlabs' four methods: register, deregister, services, refresh) plus a TTL update; counts writes.

import type { AgentCheck, AgentService } from './plan';
import { agentRegisterPayload, type CheckStatus, type ServiceRegistration } from './registration';
import { ConsulHttp } from './consul-http';

export interface AgentServicesAnswer {
  services: Map<string, AgentService>;
  /** X-Consul-ContentHash, for a hash-based blocking read of the next change. */
  hash?: string;
}

/** What the reconciler needs from Consul; tests substitute it. */
export interface ServiceRegistry {
  ping(signal?: AbortSignal): Promise<void>;
  services(options?: { hash?: string; wait?: string; signal?: AbortSignal }): Promise<AgentServicesAnswer>;
  checks(signal?: AbortSignal): Promise<Map<string, AgentCheck>>;
  register(reg: ServiceRegistration): Promise<void>;
  deregister(serviceId: string): Promise<void>;
  updateTtl(checkId: string, status: CheckStatus, output: string): Promise<void>;
  /** Writes made so far (register, deregister, TTL updates). */
  readonly writes: number;
}

type Json = Record<string, unknown>;

function normaliseService(raw: Json): AgentService {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries((raw.Meta as Json | null) ?? {})) if (typeof v === 'string') meta[k] = v;
  return {
    id: String(raw.ID ?? ''),
    name: String(raw.Service ?? ''),
    tags: Array.isArray(raw.Tags) ? raw.Tags.map(String) : [],
    address: String(raw.Address ?? ''),
    port: Number(raw.Port ?? 0),
    meta,
  };
}

export class ConsulRegistry implements ServiceRegistry {
  writes = 0;

  constructor(private readonly http: ConsulHttp) {}

  async ping(signal?: AbortSignal): Promise<void> {
    await this.http.call('GET', '/status/leader', { signal, timeoutMs: 5000 });
  }

  async services(options: { hash?: string; wait?: string; signal?: AbortSignal } = {}): Promise<AgentServicesAnswer> {
    const blocking = options.hash !== undefined && options.wait !== undefined;
    const { data, reply } = await this.http.json<Record<string, Json> | null>('GET', '/agent/services', {
      query: blocking ? { hash: options.hash, wait: options.wait } : undefined,
      signal: options.signal,
      timeoutMs: blocking ? 70_000 : 10_000,
    });
    const services = new Map<string, AgentService>();
    for (const raw of Object.values(data ?? {})) {
      const s = normaliseService(raw);
      if (s.id) services.set(s.id, s);
    }
    const hash = reply.headers['x-consul-contenthash'];
    return { services, hash: typeof hash === 'string' ? hash : undefined };
  }

  async checks(signal?: AbortSignal): Promise<Map<string, AgentCheck>> {
    const { data } = await this.http.json<Record<string, Json> | null>('GET', '/agent/checks', { signal });
    const checks = new Map<string, AgentCheck>();
    for (const raw of Object.values(data ?? {})) {
      const checkId = String(raw.CheckID ?? '');
      if (checkId) checks.set(checkId, { checkId, serviceId: String(raw.ServiceID ?? ''), status: String(raw.Status ?? '') });
    }
    return checks;
  }

  async register(reg: ServiceRegistration): Promise<void> {
    this.writes++;
    await this.http.call('PUT', '/agent/service/register', { body: agentRegisterPayload(reg) });
  }

  /** An unknown service ID is already what we want (404 on a real agent). */
  async deregister(serviceId: string): Promise<void> {
    this.writes++;
    await this.http.call('PUT', `/agent/service/deregister/${encodeURIComponent(serviceId)}`, { accept: [404] });
  }

  async updateTtl(checkId: string, status: CheckStatus, output: string): Promise<void> {
    this.writes++;
    await this.http.call('PUT', `/agent/check/update/${encodeURIComponent(checkId)}`, { body: { Status: status, Output: output } });
  }
}

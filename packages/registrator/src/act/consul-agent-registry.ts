// The first registry adapter: the local Consul agent's /v1/agent API (services, checks, register, deregister, TTL update).

import { errorMessage } from '@consul-sidecars/core';
import type { AgentCheck, AgentService } from '../observe/agent-view';
import { hasErrorCode, registratorError } from '../errors';
import type { CheckStatus, ServiceRegistration } from '../plan/registration';
import { ConsulHttp } from './consul-http';
import type { AgentServicesAnswer, RegistryAdapter } from './registry-adapter';

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

/** Consul's transport and HTTP errors -> the adapter's two codes (the message is kept; the original is the cause). */
function registryError(err: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return err;
  const code = hasErrorCode(err, 'ERR_CONSUL_UNREACHABLE') ? 'ERR_REGISTRY_UNREACHABLE' : 'ERR_REGISTRY_REJECTED';
  return registratorError(code, errorMessage(err), { registry: 'consul-agent' }, { cause: err });
}

export class ConsulAgentRegistry implements RegistryAdapter {
  writes = 0;

  constructor(private readonly http: ConsulHttp) {}

  private async call<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw registryError(err, signal);
    }
  }

  ping(signal?: AbortSignal): Promise<void> {
    return this.call(async () => {
      await this.http.call('GET', '/status/leader', { signal, timeoutMs: 5000 });
    }, signal);
  }

  services(options: { hash?: string; wait?: string; signal?: AbortSignal } = {}): Promise<AgentServicesAnswer> {
    const blocking = options.hash !== undefined && options.wait !== undefined;
    return this.call(async () => {
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
    }, options.signal);
  }

  checks(signal?: AbortSignal): Promise<Map<string, AgentCheck>> {
    return this.call(async () => {
      const { data } = await this.http.json<Record<string, Json> | null>('GET', '/agent/checks', { signal });
      const checks = new Map<string, AgentCheck>();
      for (const raw of Object.values(data ?? {})) {
        const checkId = String(raw.CheckID ?? '');
        if (checkId) checks.set(checkId, { checkId, serviceId: String(raw.ServiceID ?? ''), status: String(raw.Status ?? '') });
      }
      return checks;
    }, signal);
  }

  register(reg: ServiceRegistration): Promise<void> {
    this.writes++;
    return this.call(async () => {
      await this.http.call('PUT', '/agent/service/register', { body: agentRegisterPayload(reg) });
    });
  }

  /** An unknown service ID is already what we want (404 on a real agent). */
  deregister(serviceId: string): Promise<void> {
    this.writes++;
    return this.call(async () => {
      await this.http.call('PUT', `/agent/service/deregister/${encodeURIComponent(serviceId)}`, { accept: [404] });
    });
  }

  updateTtl(checkId: string, status: CheckStatus, output: string): Promise<void> {
    this.writes++;
    return this.call(async () => {
      await this.http.call('PUT', `/agent/check/update/${encodeURIComponent(checkId)}`, { body: { Status: status, Output: output } });
    });
  }
}

/** The JSON body of PUT /v1/agent/service/register. */
export function agentRegisterPayload(reg: ServiceRegistration): Record<string, unknown> {
  return {
    ID: reg.id,
    Name: reg.name,
    Tags: reg.tags,
    Address: reg.address,
    Port: reg.port,
    Meta: reg.meta,
    Checks: reg.checks.map((c) => {
      const check: Record<string, unknown> = { CheckID: c.checkId, Name: c.name };
      if (c.http !== undefined) check.HTTP = c.http;
      if (c.method !== undefined) check.Method = c.method;
      if (c.tcp !== undefined) check.TCP = c.tcp;
      if (c.grpc !== undefined) check.GRPC = c.grpc;
      if (c.grpcUseTls !== undefined) check.GRPCUseTLS = c.grpcUseTls;
      if (c.tlsSkipVerify !== undefined) check.TLSSkipVerify = c.tlsSkipVerify;
      if (c.args !== undefined) check.Args = c.args;
      if (c.ttl !== undefined) check.TTL = c.ttl;
      if (c.interval !== undefined) check.Interval = c.interval;
      if (c.timeout !== undefined) check.Timeout = c.timeout;
      if (c.status !== undefined) check.Status = c.status;
      if (c.deregisterCriticalServiceAfter !== undefined) check.DeregisterCriticalServiceAfter = c.deregisterCriticalServiceAfter;
      if (c.notes !== undefined) check.Notes = c.notes;
      return check;
    }),
  };
}

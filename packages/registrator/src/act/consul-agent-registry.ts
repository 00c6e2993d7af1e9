// The first registry adapter: the local Consul agent's /v1/agent API (services, checks, register, deregister, TTL update).

import { errorMessage, isConsulUnreachable, type AgentCheckDefinition, type AgentServiceRegistration, type ConsulHttpClient } from '@consul-sidecars/core';
import type { AgentCheck, AgentService } from '../observe/agent-view';
import { registratorError } from '../errors';
import type { CheckStatus, ServiceRegistration } from '../plan/registration';
import type { AgentServicesAnswer, RegistryAdapter } from './registry-adapter';

/** core's Consul error codes (unreachable or timed out; HTTP, payload) -> the adapter's two codes (the message is kept; the original is the cause). */
function registryError(err: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return err;
  const code = isConsulUnreachable(err) ? 'ERR_REGISTRY_UNREACHABLE' : 'ERR_REGISTRY_REJECTED';
  return registratorError(code, errorMessage(err), { registry: 'consul-agent' }, { cause: err });
}

export class ConsulAgentRegistry implements RegistryAdapter {
  writes = 0;

  constructor(private readonly client: ConsulHttpClient) {}

  private async call<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw registryError(err, signal);
    }
  }

  ping(signal?: AbortSignal): Promise<void> {
    return this.call(async () => {
      await this.client.leader({ signal, timeoutMs: 5000 });
    }, signal);
  }

  services(options: { hash?: string; wait?: string; signal?: AbortSignal } = {}): Promise<AgentServicesAnswer> {
    return this.call(async () => {
      const answer = await this.client.agent.servicesByHash(options);
      const services = new Map<string, AgentService>();
      for (const s of answer.services) {
        if (s.ID) services.set(s.ID, { id: s.ID, name: s.Service, tags: s.Tags, address: s.Address, port: s.Port, meta: s.Meta });
      }
      return { services, hash: answer.hash };
    }, options.signal);
  }

  checks(signal?: AbortSignal): Promise<Map<string, AgentCheck>> {
    return this.call(async () => {
      const checks = new Map<string, AgentCheck>();
      for (const c of await this.client.agent.checks({ signal })) {
        if (c.CheckID) checks.set(c.CheckID, { checkId: c.CheckID, serviceId: c.ServiceID, status: c.Status });
      }
      return checks;
    }, signal);
  }

  register(reg: ServiceRegistration): Promise<void> {
    this.writes++;
    return this.call(() => this.client.agent.register(agentRegisterPayload(reg)));
  }

  /** An unknown service ID is already what we want (404 on a real agent). */
  deregister(serviceId: string): Promise<void> {
    this.writes++;
    return this.call(() => this.client.agent.deregister(serviceId));
  }

  updateTtl(checkId: string, status: CheckStatus, output: string): Promise<void> {
    this.writes++;
    return this.call(() => this.client.agent.updateCheck(checkId, status, output));
  }
}

/** The JSON body of PUT /v1/agent/service/register. */
export function agentRegisterPayload(reg: ServiceRegistration): AgentServiceRegistration {
  return {
    ID: reg.id,
    Name: reg.name,
    Tags: reg.tags,
    Address: reg.address,
    Port: reg.port,
    Meta: reg.meta,
    Checks: reg.checks.map((c) => {
      const check: AgentCheckDefinition = { CheckID: c.checkId, Name: c.name };
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

// Observe: Consul's health of every desired service (all instances, maintenance included) and its backend's containers.

import { errorMessage, isConsulStatus, type ConsulHttpClient } from '@consul-sidecars/core';
import { backendFor, type ScalingBackends } from '../backends/registry';
import type { DesiredState, ServiceSpec } from '../desired/desired-state';
import { serviceHealthRead } from './consul-health';
import type { LiveState, LiveStateReader, ServiceLive } from './live-state';

export interface ConsulBackendReaderOptions {
  consul: ConsulHttpClient;
  backends: ScalingBackends;
  requestTimeoutMs?: number;
}

/** Reads health from Consul (no ?passing, so maintenance and failing instances are seen) and containers from each service's backend. */
export class ConsulBackendReader implements LiveStateReader {
  private readonly consul: ConsulHttpClient;
  private readonly backends: ScalingBackends;
  private readonly requestTimeoutMs: number;

  constructor(options: ConsulBackendReaderOptions) {
    this.consul = options.consul;
    this.backends = options.backends;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  async observe(desired: DesiredState): Promise<LiveState> {
    const at = Date.now();
    let consulOk = true;
    let consulError: string | undefined;
    try {
      // An agent without a cluster leader answers reads from stale state: treat it as unhealthy.
      const leader = await this.consul.leader({ timeoutMs: this.requestTimeoutMs });
      if (leader.trim() === '') {
        consulOk = false;
        consulError = 'consul has no leader';
      }
    } catch (err) {
      // Only "no answer" or a server error means an unhealthy Consul; an agent that lacks the endpoint (404) is judged by the reads below.
      if (!isConsulStatus(err, 404)) {
        consulOk = false;
        consulError = `consul unreachable: ${errorMessage(err)}`;
      }
    }
    const services: Record<string, ServiceLive> = {};
    await Promise.all(desired.services.map(async (spec) => {
      services[spec.name] = await this.observeService(spec);
    }));
    if (consulOk && Object.values(services).every((s) => s.consulError)) {
      consulOk = false;
      consulError = Object.values(services)[0]?.consulError;
    }
    return { at, consulOk, ...(consulError ? { consulError } : {}), services };
  }

  private async observeService(spec: ServiceSpec): Promise<ServiceLive> {
    const live: ServiceLive = { service: spec.name };
    const [health, containers] = await Promise.allSettled([
      this.consul.read(serviceHealthRead(spec), { timeoutMs: this.requestTimeoutMs }),
      backendFor(this.backends, spec.scale).observe(),
    ]);
    if (health.status === 'fulfilled') live.instances = health.value;
    else live.consulError = errorMessage(health.reason);
    if (containers.status === 'fulfilled') live.containers = containers.value;
    else live.backendError = errorMessage(containers.reason);
    return live;
  }
}

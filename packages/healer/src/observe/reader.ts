// Observe: Consul's health of every desired service (all instances, maintenance included) and its backend's containers.

import { callWithResponse, errorMessage, type ConsulClient } from '@consul-sidecars/core';
import { backendFor, type ScalingBackends } from '../backends/registry';
import type { DesiredState, ServiceSpec } from '../desired/desired-state';
import { healthServiceMethod, normaliseHealthEntries } from './consul-health';
import type { LiveState, LiveStateReader, ServiceLive } from './live-state';

export interface ConsulBackendReaderOptions {
  consul: ConsulClient;
  backends: ScalingBackends;
  requestTimeoutMs?: number;
}

/** Reads health from Consul (no ?passing, so maintenance and failing instances are seen) and containers from each service's backend. */
export class ConsulBackendReader implements LiveStateReader {
  private readonly consul: ConsulClient;
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
      // The consul package takes `timeout` on every call, though its typings omit it here.
      const options = { timeout: this.requestTimeoutMs } as Parameters<ConsulClient['status']['leader']>[0];
      const leader: unknown = await this.consul.status.leader(options);
      if (typeof leader === 'string' && leader.trim() === '') {
        consulOk = false;
        consulError = 'consul has no leader';
      }
    } catch (err) {
      // Only "no answer" or a server error means an unhealthy Consul; an agent that lacks the endpoint (404) is judged by the reads below.
      if ((err as { statusCode?: number }).statusCode !== 404) {
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
    const options: Record<string, unknown> = { service: spec.name, timeout: this.requestTimeoutMs };
    if (spec.tag) options.tag = spec.tag;
    const [health, containers] = await Promise.allSettled([
      callWithResponse<unknown>(healthServiceMethod(this.consul), options),
      backendFor(this.backends, spec.scale).observe(),
    ]);
    if (health.status === 'fulfilled') {
      try {
        live.instances = normaliseHealthEntries(health.value.data);
      } catch (err) {
        live.consulError = errorMessage(err);
      }
    } else {
      live.consulError = errorMessage(health.reason);
    }
    if (containers.status === 'fulfilled') live.containers = containers.value;
    else live.backendError = errorMessage(containers.reason);
    return live;
  }
}

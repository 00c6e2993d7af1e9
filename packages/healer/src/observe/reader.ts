// Observe: Consul's health of every desired service (all instances, maintenance included) and its backend's containers.

import { errorMessage, isConsulStatus, isConsulUnreachable, mapLimit, type ConsulHttpClient } from '@consul-sidecars/core';
import { backendFor, type ScalingBackends } from '../backends/registry';
import type { BoundBackend, ServiceContainer } from '../backends/scaling-backend';
import type { DesiredState, ServiceSpec } from '../desired/desired-state';
import { serviceHealthRead } from './consul-health';
import type { LiveState, LiveStateReader, ServiceLive } from './live-state';

/** Pause before reading again after a lost connection (times the attempt): short, a pass must stay quick. */
const RETRY_PAUSE_MS = 100;
/**
 * Services whose Consul health is read at once. Core's client holds 16 sockets, shared with the leader lock's
 * renewals and the health watch: unbounded, 100 services queued 100 requests (each a ClientRequest with its
 * buffers, alive the whole pass) behind them; 8 at a time: ~2 MiB less RSS at 100 services (4 runs each: 77.6
 * vs 79.5 MiB).
 */
export const CONSUL_READ_CONCURRENCY = 8;

export interface ConsulBackendReaderOptions {
  consul: ConsulHttpClient;
  backends: ScalingBackends;
  requestTimeoutMs?: number;
  /** Services whose health is read at once (default CONSUL_READ_CONCURRENCY). */
  readConcurrency?: number;
  /** Told of every failed read (Consul or backend), for the errors metric; the pass still goes on. */
  onError?: (err: unknown) => void;
}

/** Reads health from Consul (no ?passing, so maintenance and failing instances are seen) and containers from each service's backend. */
export class ConsulBackendReader implements LiveStateReader {
  private readonly consul: ConsulHttpClient;
  private readonly backends: ScalingBackends;
  private readonly requestTimeoutMs: number;
  private readonly readConcurrency: number;
  private readonly onError: (err: unknown) => void;

  constructor(options: ConsulBackendReaderOptions) {
    this.onError = options.onError ?? (() => undefined);
    this.consul = options.consul;
    this.backends = options.backends;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.readConcurrency = options.readConcurrency ?? CONSUL_READ_CONCURRENCY;
  }

  async observe(desired: DesiredState): Promise<LiveState> {
    const at = Date.now();
    let consulOk = true;
    let consulError: string | undefined;
    try {
      // An agent without a cluster leader answers reads from stale state: treat it as unhealthy.
      const leader = await this.untilUnavailable(() => this.consul.leader({ timeoutMs: this.requestTimeoutMs }));
      if (leader.trim() === '') {
        consulOk = false;
        consulError = 'consul has no leader';
      }
    } catch (err) {
      // Only "no answer" or a server error means an unhealthy Consul; an agent that lacks the endpoint (404) is judged by the reads below.
      if (!isConsulStatus(err, 404)) {
        this.onError(err);
        consulOk = false;
        consulError = `consul unreachable (${this.consul.failures.consecutive} failures in a row): ${errorMessage(err)}`;
      }
    }
    const services: Record<string, ServiceLive> = {};
    // Every backend's containers are asked for at once (a backend batches them: one list per engine, see
    // container-list-batch.ts); Consul's health a few services at a time.
    const observed = desired.services.map((spec) => {
      const backend = backendFor(this.backends, spec.scale);
      return { spec, backend, containers: settled(() => backend.observe()) };
    });
    await mapLimit(observed, this.readConcurrency, async ({ spec, backend, containers }) => {
      services[spec.name] = await this.observeService(spec, backend, containers);
    });
    if (consulOk && Object.values(services).every((s) => s.consulError)) {
      consulOk = false;
      consulError = Object.values(services)[0]?.consulError;
    }
    return { at, consulOk, ...(consulError ? { consulError } : {}), services };
  }

  /**
   * An idempotent read, tried again while the client does not call Consul unavailable (core counts failures in a
   * row across every request): one dropped connection is not an outage (issue #14), `unavailableAfter` in a row is.
   * Answers (404, 403, 500) are not retried: they are Consul's word, not a lost connection.
   */
  private async untilUnavailable<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await read();
      } catch (err) {
        if (!isConsulUnreachable(err) || this.consul.unavailable || attempt >= this.consul.failures.threshold) throw err;
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS * attempt));
      }
    }
  }

  /** Per host, whether its Consul node check (serfHealth) passes; a node Consul cannot tell about is not passing. */
  private async hostsPassing(hosts: readonly string[]): Promise<Record<string, boolean>> {
    const entries = await Promise.all(hosts.map(async (host) => {
      try {
        const checks = await this.untilUnavailable(() => this.consul.healthNode(host, { timeoutMs: this.requestTimeoutMs }));
        return [host, checks.some((c) => c.CheckID === 'serfHealth' && c.Status === 'passing')] as const;
      } catch {
        return [host, false] as const;
      }
    }));
    return Object.fromEntries(entries);
  }

  private async observeService(spec: ServiceSpec, backend: BoundBackend, listed: Promise<PromiseSettledResult<ServiceContainer[]>>): Promise<ServiceLive> {
    const live: ServiceLive = { service: spec.name, ...(backend.reschedulesLostNodes ? { reschedulesLostNodes: true } : {}) };
    const [health, containers] = await Promise.all([
      settled(() => this.untilUnavailable(() => this.consul.read(serviceHealthRead(spec), { timeoutMs: this.requestTimeoutMs }))),
      listed,
    ]);
    if (health.status === 'fulfilled') live.instances = health.value;
    else {
      this.onError(health.reason);
      live.consulError = errorMessage(health.reason);
    }
    if (containers.status === 'fulfilled') live.containers = containers.value;
    else {
      this.onError(containers.reason);
      live.backendError = errorMessage(containers.reason);
    }
    if (backend.hosts.length > 0) live.hostsPassing = await this.hostsPassing(backend.hosts);
    return live;
  }
}

/** A call's outcome, handled from the start (a backend's failure waits for its service's turn unreported); a throw is a rejection. */
function settled<T>(call: () => Promise<T>): Promise<PromiseSettledResult<T>> {
  return new Promise<T>((resolve) => resolve(call())).then((value) => ({ status: 'fulfilled', value }), (reason: unknown) => ({ status: 'rejected', reason }));
}

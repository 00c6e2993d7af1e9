// consul_sidecars_errors_total{kind} (issue #18): every failure registrator handles is counted once, under its error
// code; a pass that fails nothing counts nothing. A fake registry and container source, and a real DockerSource on a
// socket nobody serves.

import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { silentLogger, waitFor } from '@consul-sidecars/core';
import type { AgentServicesAnswer, RegistryAdapter } from '../src/act/registry-adapter';
import { registratorError } from '../src/errors';
import { createRegistratorMetrics, type RegistratorMetrics } from '../src/metrics';
import type { AgentCheck, AgentService } from '../src/observe/agent-view';
import type { ContainerInspect } from '../src/observe/container-inspect';
import { DockerSource, type ContainerSource, type ContainerSourceEvents, type ContainerSummary } from '../src/observe/docker-source';
import { DEFAULT_RECONCILER_TIMINGS, Reconciler } from '../src/reconciler';
import { CONTAINER_ID, inspect, options } from './fixtures';

class FakeSource extends EventEmitter<ContainerSourceEvents> implements ContainerSource {
  connected = false;
  /** Containers whose inspect fails, as one the engine holds locked while it starts. */
  readonly stuck = new Set<string>();
  constructor(private readonly containers: ContainerInspect[]) {
    super();
  }
  async list(): Promise<ContainerSummary[]> {
    return this.containers.map((c) => ({ id: c.id, name: c.name, status: c.status, labels: c.labels }));
  }
  async inspect(id: string): Promise<ContainerInspect | undefined> {
    if (this.stuck.has(id)) throw registratorError('ERR_DOCKER_INSPECT', `inspect ${id.slice(0, 12)}: no answer within 10000 ms`);
    return this.containers.find((c) => c.id === id);
  }
  start(): void {
    this.connected = true;
    setImmediate(() => this.emit('connected', false));
  }
  async stop(): Promise<void> {
    this.connected = false;
  }
}

/** An agent that holds what it is given; `refuse` makes writes fail as a real agent's 400 does, `down` every call as no answer. */
class FakeRegistry implements RegistryAdapter {
  writes = 0;
  refuse = false;
  down = false;
  private readonly held = new Map<string, AgentService>();
  private check(): void {
    if (this.down) throw registratorError('ERR_REGISTRY_UNREACHABLE', 'connect ECONNREFUSED 127.0.0.1:1');
  }
  async ping(): Promise<void> {
    this.check();
  }
  async services(opts: { hash?: string; signal?: AbortSignal } = {}): Promise<AgentServicesAnswer> {
    // A blocking read returns when nothing changed only after a while, as the agent's does.
    if (opts.hash) await new Promise((r) => setTimeout(r, 100));
    this.check();
    return { services: new Map(this.held), hash: String(this.writes) };
  }
  async checks(): Promise<Map<string, AgentCheck>> {
    this.check();
    return new Map();
  }
  /** Puts a service on the agent as an earlier registrator run left it. */
  hold(service: AgentService): void {
    this.held.set(service.id, service);
  }
  ids(): string[] {
    return [...this.held.keys()].sort();
  }
  async register(reg: Parameters<RegistryAdapter['register']>[0]): Promise<void> {
    this.writes++;
    this.check();
    if (this.refuse) throw registratorError('ERR_REGISTRY_REJECTED', 'PUT /v1/agent/service/register: HTTP 400: Invalid check');
    this.held.set(reg.id, { id: reg.id, name: reg.name, tags: reg.tags, address: reg.address, port: reg.port, meta: reg.meta });
  }
  async deregister(serviceId: string): Promise<void> {
    this.writes++;
    this.check();
    this.held.delete(serviceId);
  }
  async updateTtl(): Promise<void> {
    this.writes++;
    this.check();
  }
}

async function errorsByKind(metrics: RegistratorMetrics): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics.errors.get()).values) out[String(v.labels.kind)] = v.value;
  return out;
}

describe('registrator: consul_sidecars_errors_total counts real errors by kind', () => {
  let reconciler: Reconciler | undefined;
  let tmp: string | undefined;
  afterEach(async () => {
    await reconciler?.stop();
    reconciler = undefined;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  });

  const start = (source: ContainerSource, registry: RegistryAdapter) => {
    const metrics = createRegistratorMetrics(new Registry());
    reconciler = new Reconciler(source, registry, { ...DEFAULT_RECONCILER_TIMINGS, agentPollMs: 50, definition: options(), adoptLegacy: false, dryRun: false, resyncMs: 0, ttlRefreshMs: 0, logger: silentLogger(), metrics });
    reconciler.start();
    return metrics;
  };

  it('a pass that registers and fails nothing counts nothing', async () => {
    const registry = new FakeRegistry();
    const metrics = start(new FakeSource([inspect()]), registry);
    await waitFor(() => reconciler?.ownedServices().length === 1 && reconciler.fullSyncs === 1, { timeoutMs: 5000, message: 'the container registered' });
    expect(await errorsByKind(metrics)).to.deep.equal({});
    // The metric exists on /metrics before any error, as a counter with its help.
    expect(await metrics.errors.get()).to.include({ name: 'consul_sidecars_errors_total', type: 'counter' });
  });

  it('a write the agent refuses: ERR_REGISTRY_REJECTED, once per failed write', async () => {
    const registry = new FakeRegistry();
    registry.refuse = true;
    const metrics = start(new FakeSource([inspect()]), registry);
    await waitFor(() => reconciler?.fullSyncs === 1, { timeoutMs: 5000, message: 'the first full reconcile' });
    const counted = await errorsByKind(metrics);
    expect(counted).to.have.keys(['ERR_REGISTRY_REJECTED']);
    expect(counted.ERR_REGISTRY_REJECTED).to.equal(registry.writes);
  });

  it('an agent that stops answering: ERR_REGISTRY_UNREACHABLE for each failed read of the follower', async () => {
    const registry = new FakeRegistry();
    const metrics = start(new FakeSource([inspect({ id: CONTAINER_ID })]), registry);
    await waitFor(() => reconciler?.ownedServices().length === 1, { timeoutMs: 5000, message: 'the container registered' });
    registry.down = true;
    await waitFor(async () => ((await errorsByKind(metrics)).ERR_REGISTRY_UNREACHABLE ?? 0) >= 2, { timeoutMs: 5000, message: 'unreachable reads counted' });
    expect(Object.keys(await errorsByKind(metrics))).to.deep.equal(['ERR_REGISTRY_UNREACHABLE']);
  });

  it('an inspect that fails holds back only its own container: the others register, its services stay, ERR_DOCKER_INSPECT is counted', async () => {
    const B = 'b'.repeat(64);
    const C = 'c'.repeat(64);
    const source = new FakeSource([inspect({ id: CONTAINER_ID, name: 'web' }), inspect({ id: B, name: 'api' }), inspect({ id: C, name: 'db' })]);
    source.stuck.add(B).add(C);
    const registry = new FakeRegistry();
    // What an earlier run registered for B: it must not be deregistered as "container gone" while B does not answer.
    registry.hold({ id: 'host1:api:80', name: 'foo', tags: [], address: '10.0.0.1', port: 32768, meta: { 'registrator-node': 'host1', 'registrator-container': B } });
    const metrics = start(source, registry);
    await waitFor(() => registry.ids().includes('host1:web:80'), { timeoutMs: 5000, message: 'the answering container registered' });
    expect(registry.ids()).to.deep.equal(['host1:api:80', 'host1:web:80']);
    expect((await errorsByKind(metrics)).ERR_DOCKER_INSPECT).to.be.at.least(2);
    source.stuck.clear();
    await waitFor(() => registry.ids().length === 3, { timeoutMs: 5000, message: 'the retried pass registers the rest' });
    expect(registry.ids()).to.deep.equal(['host1:api:80', 'host1:db:80', 'host1:web:80']);
  });

  it('a Docker engine that does not answer: ERR_DOCKER_LIST for the full reconcile, ERR_DOCKER_EVENTS for the event stream', async () => {
    tmp = mkdtempSync(join(tmpdir(), 'registrator-nodocker-'));
    const source = new DockerSource({ connection: { kind: 'unix', socketPath: join(tmp, 'docker.sock') }, logger: silentLogger(), reconnectBackoff: { baseMs: 50, maxMs: 100 } });
    const metrics = start(source, new FakeRegistry());
    reconciler?.requestFullSync('test');
    await waitFor(async () => {
      const counted = await errorsByKind(metrics);
      return (counted.ERR_DOCKER_LIST ?? 0) >= 1 && (counted.ERR_DOCKER_EVENTS ?? 0) >= 1;
    }, { timeoutMs: 5000, message: 'both Docker failures counted' });
    expect(Object.keys(await errorsByKind(metrics)).sort()).to.deep.equal(['ERR_DOCKER_EVENTS', 'ERR_DOCKER_LIST']);
  });
});

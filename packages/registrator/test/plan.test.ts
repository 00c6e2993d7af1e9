// planRegistrations as a table: desired containers x agent services -> writes; foreign services never touched.

import { expect } from 'chai';
import type { AgentCheck, AgentService } from '../src/observe/agent-view';
import { planExitDeregistration } from '../src/plan/exit-deregistration';
import { planRegistrations, type PlanAction } from '../src/plan/registrations';
import { planTtlRefresh } from '../src/plan/ttl-refresh';
import { defineContainerServices, type ContainerDefinition } from '../src/plan/service-definitions';
import type { ContainerInspect } from '../src/observe/container-inspect';
import { inspect, options } from './fixtures';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const GONE = 'c'.repeat(64);

function container(id: string, name: string, overrides: Partial<ContainerInspect> = {}, mode: 'always' | 'on-success' | 'never' = 'always'): ContainerDefinition {
  return defineContainerServices(inspect({ id, name, ...overrides }), options({ deregister: mode }));
}

/** The agent's view of a desired registration (what GET /v1/agent/services returns after we registered it). */
function asAgent(def: ContainerDefinition, patch: Partial<AgentService> = {}): AgentService {
  const r = def.services[0].registration;
  return { id: r.id, name: r.name, tags: [...r.tags], address: r.address, port: r.port, meta: { ...r.meta }, ...patch };
}

function owned(id: string, containerId: string, node = 'host1'): AgentService {
  return { id, name: 'x', tags: [], address: '10.0.0.1', port: 1, meta: { 'registrator-node': node, 'registrator-container': containerId, 'registrator-spec': '0' } };
}

function foreign(id: string): AgentService {
  return { id, name: 'foreign', tags: [], address: '10.0.0.2', port: 2, meta: {} };
}

interface Case {
  title: string;
  containers: ContainerDefinition[];
  agent: AgentService[];
  checks?: AgentCheck[];
  scope?: string[];
  adoptLegacy?: boolean;
  want: string[];
  conflicts?: number;
}

const web = container(A, 'web');
const api = container(B, 'api', { labels: { SERVICE_NAME: 'api' } });
const healthy = container(A, 'web', { hasHealthcheck: true, health: 'healthy' });

const CASES: Case[] = [
  { title: 'nothing on the agent: register', containers: [web], agent: [], want: ['register host1:web:80 missing'] },
  { title: 'already registered as desired: no write', containers: [web, api], agent: [asAgent(web), asAgent(api)], want: [] },
  { title: 'tags in another order: no write', containers: [container(A, 'web', { labels: { SERVICE_TAGS: 'a,b' } })], agent: [asAgent(container(A, 'web', { labels: { SERVICE_TAGS: 'a,b' } }), { tags: ['b', 'a'] })], want: [] },
  { title: 'registered with another port: update', containers: [web], agent: [asAgent(web, { port: 1 })], want: ['update host1:web:80 changed'] },
  { title: 'spec hash differs (checks changed): update', containers: [web], agent: [asAgent(web, { meta: { ...asAgent(web).meta, 'registrator-spec': 'old' } })], want: ['update host1:web:80 changed'] },
  { title: 'owned service of a container that is gone: deregister', containers: [web], agent: [asAgent(web), owned('host1:old:80', GONE)], want: ['deregister host1:old:80 container-gone'] },
  { title: 'owned service of a stopped container (always): deregister', containers: [container(A, 'web', { status: 'exited', exitCode: 0 })], agent: [asAgent(web)], want: ['deregister host1:web:80 container-stopped'] },
  { title: 'failed container with on-success: kept', containers: [container(A, 'web', { status: 'exited', exitCode: 2 }, 'on-success')], agent: [asAgent(web)], want: [] },
  { title: 'stopped container with never: kept', containers: [container(A, 'web', { status: 'exited', exitCode: 0 }, 'never')], agent: [asAgent(web)], want: [] },
  { title: 'a foreign service is never touched', containers: [web], agent: [asAgent(web), foreign('db-1')], want: [] },
  { title: 'another registrator node\'s service is never touched', containers: [], agent: [owned('host2:web:80', GONE, 'host2')], want: [] },
  { title: 'a foreign service holding a desired ID: conflict, no write', containers: [web], agent: [foreign('host1:web:80')], want: [], conflicts: 1 },
  { title: '-cleanup: a gliderlabs-made orphan of this host is removed', containers: [web], agent: [asAgent(web), foreign('host1:old:80')], adoptLegacy: true, want: ['deregister host1:old:80 legacy-orphan'] },
  { title: '-cleanup: a gliderlabs-made service we want is adopted', containers: [web], agent: [foreign('host1:web:80')], adoptLegacy: true, want: ['update host1:web:80 adopt-legacy'] },
  { title: '-cleanup: another host\'s legacy IDs are not ours', containers: [], agent: [foreign('host9:old:80:udp')], adoptLegacy: true, want: [] },
  { title: 'scoped to one container: other containers\' stale services wait for the full pass', containers: [web], agent: [owned('host1:old:80', GONE)], scope: [A], want: ['register host1:web:80 missing'] },
  { title: 'scoped to a container that is gone: its services go', containers: [], agent: [owned('host1:old:80', GONE), owned('host1:other:80', B)], scope: [GONE], want: ['deregister host1:old:80 container-gone'] },
  {
    title: 'Docker health changed: a TTL update, not a re-registration',
    containers: [healthy],
    agent: [asAgent(healthy)],
    checks: [{ checkId: 'service:host1:web:80:docker-health', serviceId: 'host1:web:80', status: 'critical' }],
    want: ['updateTtl service:host1:web:80:docker-health passing'],
  },
  { title: 'Docker health unchanged: nothing', containers: [healthy], agent: [asAgent(healthy)], checks: [{ checkId: 'service:host1:web:80:docker-health', serviceId: 'host1:web:80', status: 'passing' }], want: [] },
  { title: 'a check the agent lost: re-register', containers: [healthy], agent: [asAgent(healthy)], checks: [], want: ['update host1:web:80 checks-missing'] },
  { title: 'two containers define the same SERVICE_ID: the first registers, the other is a conflict', containers: [container(A, 'web', { labels: { SERVICE_ID: 'same' } }), container(B, 'api', { labels: { SERVICE_ID: 'same' } })], agent: [], want: ['register same missing'], conflicts: 1 },
];

function summary(a: PlanAction): string {
  if (a.kind === 'updateTtl') return `updateTtl ${a.checkId} ${a.status}`;
  return `${a.kind} ${a.serviceId} ${a.reason}`;
}

describe('registrator plan', () => {
  for (const c of CASES) {
    it(c.title, () => {
      const plan = planRegistrations({
        node: 'host1',
        containers: new Map(c.containers.map((d) => [d.containerId, d])),
        agent: { services: new Map(c.agent.map((s) => [s.id, s])), checks: c.checks ? new Map(c.checks.map((k) => [k.checkId, k])) : undefined },
        scope: c.scope ? new Set(c.scope) : undefined,
        adoptLegacyFrom: c.adoptLegacy ? 'host1' : undefined,
      });
      expect(plan.actions.map(summary)).to.deep.equal(c.want);
      expect(plan.conflicts, 'conflicts').to.have.length(c.conflicts ?? 0);
    });
  }
});

describe('registrator plan: a scoped plan is the full plan restricted to its containers', () => {
  const C = 'd'.repeat(64);
  const same = (id: string, name: string) => container(id, name, { labels: { SERVICE_ID: 'same' } });
  const engines: Array<{ title: string; containers: ContainerDefinition[]; agent: AgentService[] }> = [
    { title: 'a shared SERVICE_ID across the scope boundary, owned by the winner', containers: [same(A, 'web'), same(B, 'api'), container(C, 'db')], agent: [{ ...asAgent(same(A, 'web')) }] },
    { title: 'a shared SERVICE_ID held on the agent by the loser', containers: [same(A, 'web'), same(B, 'api')], agent: [{ ...asAgent(same(B, 'api')) }] },
    { title: 'an owned service its container no longer defines, but another container does', containers: [same(A, 'web'), container(B, 'api')], agent: [{ ...owned('same', B) }, owned('host1:old:80', B)] },
    { title: 'gone and stopped containers beside running ones', containers: [web, container(B, 'api', { status: 'exited' }), container(C, 'db', { status: 'exited', exitCode: 1 }, 'on-success')], agent: [asAgent(container(B, 'api')), asAgent(container(C, 'db')), owned('host1:gone:80', GONE), foreign('db-1')] },
  ];
  for (const e of engines) {
    it(e.title, () => {
      const input = { node: 'host1', containers: new Map(e.containers.map((d) => [d.containerId, d])), agent: { services: new Map(e.agent.map((s) => [s.id, s])) } };
      const full = planRegistrations(input);
      for (const scope of [[A], [B], [C], [GONE], [A, B], [B, C, GONE]]) {
        const inScope = new Set(scope);
        const scoped = planRegistrations({ ...input, scope: inScope });
        const concerns = (a: PlanAction) => a.kind !== 'updateTtl' && a.containerId !== undefined && inScope.has(a.containerId);
        expect(scoped.actions.map(summary), scope.map((id) => id[0]).join()).to.deep.equal(full.actions.filter(concerns).map(summary));
        expect(scoped.conflicts, `conflicts ${scope.map((id) => id[0]).join()}`).to.deep.equal(full.conflicts.filter((c) => inScope.has(c.containerId)));
      }
    });
  }
});

describe('registrator plan: TTL heartbeats (planTtlRefresh)', () => {
  const sick = container(A, 'web', { hasHealthcheck: true, health: 'unhealthy' });
  const plain = container(B, 'api', { labels: { SERVICE_NAME: 'api' } });
  const TTL_CASES: Array<{ title: string; containers: ContainerDefinition[]; agent: AgentService[]; want: string[] }> = [
    { title: 'a registered service with a Docker-health check: its status is re-posted', containers: [healthy], agent: [asAgent(healthy)], want: ['updateTtl service:host1:web:80:docker-health passing'] },
    { title: 're-posted even when the agent already has that status (a heartbeat, not a change)', containers: [sick], agent: [asAgent(sick)], want: ['updateTtl service:host1:web:80:docker-health critical'] },
    { title: 'a service the agent does not hold (yet): nothing', containers: [healthy], agent: [], want: [] },
    { title: 'a service without TTL checks: nothing', containers: [plain], agent: [asAgent(plain)], want: [] },
  ];
  for (const c of TTL_CASES) {
    it(c.title, () => {
      const actions = planTtlRefresh(c.containers, new Map(c.agent.map((s) => [s.id, s])));
      expect(actions.map(summary)).to.deep.equal(c.want);
    });
  }
});

describe('registrator plan: deregistration on exit (planExitDeregistration)', () => {
  const EXIT_CASES: Array<{ title: string; owned: AgentService[]; want: string[] }> = [
    { title: 'nothing owned: nothing', owned: [], want: [] },
    { title: 'every owned service goes, its container named', owned: [owned('host1:web:80', A), owned('host1:api:80', B)], want: [`deregister host1:web:80 not-defined ${A}`, `deregister host1:api:80 not-defined ${B}`] },
  ];
  for (const c of EXIT_CASES) {
    it(c.title, () => {
      const actions = planExitDeregistration(c.owned);
      expect(actions.map((a) => `${summary(a)} ${a.kind === 'deregister' ? a.containerId : ''}`)).to.deep.equal(c.want);
    });
  }
});

// Pure: desired services (from containers) vs the agent's services -> the writes that make them equal. Foreign services are never touched.

import type { AgentService, AgentState } from '../observe/agent-view';
import { isLegacy, isOwned } from './ownership';
import { META_CONTAINER, type CheckStatus, type ServiceRegistration } from './registration';
import type { ContainerDefinition } from './service-definitions';

export type DeregisterReason = 'container-gone' | 'container-stopped' | 'not-defined' | 'legacy-orphan';

export type PlanAction =
  | { kind: 'register'; serviceId: string; containerId: string; registration: ServiceRegistration; reason: 'missing' }
  | { kind: 'update'; serviceId: string; containerId: string; registration: ServiceRegistration; reason: 'changed' | 'checks-missing' | 'adopt-legacy' }
  | { kind: 'deregister'; serviceId: string; containerId?: string; reason: DeregisterReason }
  | { kind: 'updateTtl'; serviceId: string; checkId: string; status: CheckStatus; output: string };

export interface PlanConflict {
  serviceId: string;
  containerId: string;
  message: string;
}

export interface Plan {
  actions: PlanAction[];
  conflicts: PlanConflict[];
}

export interface PlanInput {
  /** Registrator's node identity (Meta registrator-node). */
  node: string;
  /** Every container that exists on the engine (any state), by id; a container missing here is gone. */
  containers: ReadonlyMap<string, ContainerDefinition>;
  agent: AgentState;
  /** Only these containers' services (an event); undefined: everything registrator owns (a full reconcile). */
  scope?: ReadonlySet<string>;
  /** -cleanup: gliderlabs-style IDs `<this host>:<container>:<port>[:udp]` without a marker count as ours. */
  adoptLegacyFrom?: string;
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.every((t, i) => t === sb[i]);
}

function sameMeta(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] === a[k]);
}

/** True when the agent already holds exactly this registration (the spec hash in Meta covers the checks). */
export function registrationMatches(agent: AgentService, reg: ServiceRegistration): boolean {
  return agent.name === reg.name && agent.address === reg.address && agent.port === reg.port && sameTags(agent.tags, reg.tags) && sameMeta(agent.meta, reg.meta);
}

type Wanted = ContainerDefinition['services'][number];

/**
 * The service IDs a plan scoped to `scope` concerns: those its containers define and those the agent holds for
 * them. An event's pass then costs what its containers cost, not what the whole engine costs (a burst of starts
 * is one pass per few containers).
 */
function scopedServiceIds(containers: PlanInput['containers'], agent: AgentState, scope: ReadonlySet<string>): Set<string> {
  const ids = new Set<string>();
  for (const containerId of scope) for (const s of containers.get(containerId)?.services ?? []) ids.add(s.registration.id);
  for (const [serviceId, have] of agent.services) {
    const containerId = have.meta[META_CONTAINER];
    if (containerId !== undefined && scope.has(containerId)) ids.add(serviceId);
  }
  return ids;
}

/**
 * Desired services by ID (limited to `ids` when given), in container-id order: the first container (by id) wins an
 * ID several define, and each loser is a conflict.
 */
function desiredServices(containers: PlanInput['containers'], ids: ReadonlySet<string> | undefined): { desired: Map<string, Wanted>; losers: Array<{ loser: Wanted; winner: Wanted }> } {
  const ranked: Array<{ rank: [string, number]; service: Wanted }> = [];
  for (const [containerId, def] of containers) {
    def.services.forEach((service, index) => {
      if (ids === undefined || ids.has(service.registration.id)) ranked.push({ rank: [containerId, index], service });
    });
  }
  ranked.sort((a, b) => (a.rank[0] < b.rank[0] ? -1 : a.rank[0] > b.rank[0] ? 1 : a.rank[1] - b.rank[1]));
  const desired = new Map<string, Wanted>();
  const losers: Array<{ loser: Wanted; winner: Wanted }> = [];
  for (const { service } of ranked) {
    const winner = desired.get(service.registration.id);
    if (winner) losers.push({ loser: service, winner });
    else desired.set(service.registration.id, service);
  }
  return { desired, losers };
}

export function planRegistrations(input: PlanInput): Plan {
  const { node, containers, agent, scope } = input;
  const inScope = (containerId: string | undefined) => scope === undefined || (containerId !== undefined && scope.has(containerId));
  const writes: PlanAction[] = [];
  const deregisters: PlanAction[] = [];
  const ttl: PlanAction[] = [];
  const conflicts: PlanConflict[] = [];

  const { desired, losers } = desiredServices(containers, scope === undefined ? undefined : scopedServiceIds(containers, agent, scope));
  for (const { loser, winner } of losers) {
    if (inScope(loser.containerId)) conflicts.push({ serviceId: loser.registration.id, containerId: loser.containerId, message: `service ID also defined by container ${winner.containerId.slice(0, 12)}; skipped` });
  }

  for (const [serviceId, want] of desired) {
    if (!inScope(want.containerId)) continue;
    const have = agent.services.get(serviceId);
    if (!have) {
      writes.push({ kind: 'register', serviceId, containerId: want.containerId, registration: want.registration, reason: 'missing' });
      continue;
    }
    const legacy = isLegacy(have, input.adoptLegacyFrom);
    if (!isOwned(have, node) && !legacy) {
      conflicts.push({ serviceId, containerId: want.containerId, message: 'a service with this ID exists on the agent and registrator does not own it; left untouched' });
      continue;
    }
    if (legacy) {
      writes.push({ kind: 'update', serviceId, containerId: want.containerId, registration: want.registration, reason: 'adopt-legacy' });
      continue;
    }
    if (!registrationMatches(have, want.registration)) {
      writes.push({ kind: 'update', serviceId, containerId: want.containerId, registration: want.registration, reason: 'changed' });
      continue;
    }
    if (agent.checks) {
      const missing = want.registration.checks.some((c) => !agent.checks?.has(c.checkId));
      if (missing) {
        writes.push({ kind: 'update', serviceId, containerId: want.containerId, registration: want.registration, reason: 'checks-missing' });
        continue;
      }
      for (const t of want.ttlStatuses) {
        const check = agent.checks.get(t.checkId);
        if (check && check.status !== t.status) ttl.push({ kind: 'updateTtl', serviceId, checkId: t.checkId, status: t.status, output: t.output });
      }
    }
  }

  for (const [serviceId, have] of agent.services) {
    if (desired.has(serviceId)) continue;
    if (isOwned(have, node)) {
      const containerId = have.meta[META_CONTAINER];
      if (!inScope(containerId)) continue;
      if (containerId !== undefined && containers.get(containerId)?.disposition === 'keep') continue;
      const reason: DeregisterReason = containerId !== undefined && containers.has(containerId)
        ? (containers.get(containerId)?.disposition === 'remove' ? 'container-stopped' : 'not-defined')
        : 'container-gone';
      deregisters.push({ kind: 'deregister', serviceId, containerId, reason });
    } else if (scope === undefined && isLegacy(have, input.adoptLegacyFrom)) {
      deregisters.push({ kind: 'deregister', serviceId, reason: 'legacy-orphan' });
    }
  }
  return { actions: [...writes, ...deregisters, ...ttl], conflicts };
}

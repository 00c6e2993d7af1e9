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

export function planRegistrations(input: PlanInput): Plan {
  const { node, containers, agent, scope } = input;
  const inScope = (containerId: string | undefined) => scope === undefined || (containerId !== undefined && scope.has(containerId));
  const writes: PlanAction[] = [];
  const deregisters: PlanAction[] = [];
  const ttl: PlanAction[] = [];
  const conflicts: PlanConflict[] = [];

  // Desired services, first container (by id) wins a duplicated service ID.
  const desired = new Map<string, { containerId: string; registration: ServiceRegistration; ttlStatuses: ContainerDefinition['services'][number]['ttlStatuses'] }>();
  const keptContainers = new Set<string>();
  for (const id of [...containers.keys()].sort()) {
    const def = containers.get(id) as ContainerDefinition;
    if (def.disposition === 'keep') keptContainers.add(id);
    for (const s of def.services) {
      const existing = desired.get(s.registration.id);
      if (existing) {
        if (inScope(s.containerId)) conflicts.push({ serviceId: s.registration.id, containerId: s.containerId, message: `service ID also defined by container ${existing.containerId.slice(0, 12)}; skipped` });
        continue;
      }
      desired.set(s.registration.id, s);
    }
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
      if (containerId !== undefined && keptContainers.has(containerId)) continue;
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

// Pure: the heartbeat of the TTL checks registrator feeds (Docker HEALTHCHECK, -ttl), re-posted so they expire only when registrator is gone.

import type { AgentService } from '../observe/agent-view';
import type { PlanAction } from './registrations';
import type { ContainerDefinition } from './service-definitions';

/** Every TTL status of every desired service the agent holds, whatever the agent's current status (unlike planRegistrations, which sends only changes). */
export function planTtlRefresh(containers: Iterable<ContainerDefinition>, agentServices: ReadonlyMap<string, AgentService>): PlanAction[] {
  const updates: PlanAction[] = [];
  for (const def of containers) {
    for (const s of def.services) {
      if (!agentServices.has(s.registration.id)) continue;
      for (const t of s.ttlStatuses) updates.push({ kind: 'updateTtl', serviceId: s.registration.id, checkId: t.checkId, status: t.status, output: t.output });
    }
  }
  return updates;
}

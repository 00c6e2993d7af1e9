// The agent's services and checks as registrator last read or wrote them: what the planner compares the containers with.

import { isOwned } from '../plan/ownership';
import type { ServiceRegistration } from '../plan/registration';

/** A service as GET /v1/agent/services returns it, normalised. */
export interface AgentService {
  id: string;
  name: string;
  tags: string[];
  address: string;
  port: number;
  meta: Record<string, string>;
}

export interface AgentCheck {
  checkId: string;
  serviceId: string;
  status: string;
}

export interface AgentState {
  services: ReadonlyMap<string, AgentService>;
  /** Undefined when checks were not read (then missing checks and TTL statuses are not compared). */
  checks?: ReadonlyMap<string, AgentCheck>;
}

export class AgentView {
  services = new Map<string, AgentService>();
  checks?: Map<string, AgentCheck>;
  /** Bumped before every write: an agent answer read across a write may predate it and must not replace the view. */
  writeEpoch = 0;

  state(): AgentState {
    return { services: this.services, checks: this.checks };
  }

  owned(node: string): AgentService[] {
    return [...this.services.values()].filter((s) => isOwned(s, node));
  }

  /** How many services `node` owns, without building the list (every pass sets a gauge from it). */
  ownedCount(node: string): number {
    let n = 0;
    for (const s of this.services.values()) if (isOwned(s, node)) n++;
    return n;
  }

  /** After a successful register: the agent now holds this registration and (initially) its checks. */
  registered(r: ServiceRegistration): void {
    this.services.set(r.id, { id: r.id, name: r.name, tags: [...r.tags], address: r.address, port: r.port, meta: { ...r.meta } });
    if (this.checks) for (const c of r.checks) this.checks.set(c.checkId, { checkId: c.checkId, serviceId: r.id, status: c.status ?? 'critical' });
  }

  deregistered(serviceId: string): void {
    this.services.delete(serviceId);
    if (this.checks) for (const [id, c] of this.checks) if (c.serviceId === serviceId) this.checks.delete(id);
  }

  ttlUpdated(checkId: string, status: string): void {
    const c = this.checks?.get(checkId);
    if (c) c.status = status;
  }
}

// The seam between registrator and a service registry: what the actor and the agent follower call (gliderlabs' adapter shape).

import type { AgentCheck, AgentService } from '../observe/agent-view';
import type { CheckStatus, ServiceRegistration } from '../plan/registration';

export interface AgentServicesAnswer {
  services: Map<string, AgentService>;
  /** An opaque version of the answer (Consul's X-Consul-ContentHash), for a blocking read of the next change. */
  hash?: string;
}

/**
 * A registry registrator keeps equal to the containers: the Consul agent is the first (act/consul-agent-registry.ts).
 * Every method rejects with a CodedError whose code is ERR_REGISTRY_UNREACHABLE (no answer: the registry is marked
 * unreachable and re-read) or ERR_REGISTRY_REJECTED (an answer that refused: that service backs off); see errors.ts.
 * Writes are idempotent: registering the same registration twice, or deregistering an unknown ID, succeeds.
 */
export interface RegistryAdapter {
  /** Resolves once the registry answers (startup -retry-attempts). */
  ping(signal?: AbortSignal): Promise<void>;
  /** Every service of this node's registry (foreign ones too: the planner tells them apart); with `hash` and `wait`, blocks until the answer differs from that hash or `wait` passes. */
  services(options?: { hash?: string; wait?: string; signal?: AbortSignal }): Promise<AgentServicesAnswer>;
  /** Every check of this node, by check ID. */
  checks(signal?: AbortSignal): Promise<Map<string, AgentCheck>>;
  register(reg: ServiceRegistration): Promise<void>;
  deregister(serviceId: string): Promise<void>;
  /** Sets the status of a TTL check registrator feeds (gliderlabs' refresh). */
  updateTtl(checkId: string, status: CheckStatus, output: string): Promise<void>;
  /** Writes made so far (register, deregister, TTL updates). */
  readonly writes: number;
}

// The live state a pass observes: per desired service, its Consul instances and its backend's containers.

import { createHash } from 'node:crypto';
import type { ServiceContainer } from '../backends/scaling-backend';
import type { DesiredState } from '../desired/desired-state';
import type { InstanceHealth } from './consul-health';

export interface ServiceLive {
  service: string;
  /** Undefined when Consul could not be read for this service. */
  instances?: InstanceHealth[];
  /** Undefined when the backend could not be read for this service. */
  containers?: ServiceContainer[];
  consulError?: string;
  backendError?: string;
  /** For a service on several hosts: whether each host's Consul node is passing (serfHealth); unset: one host. */
  hostsPassing?: Record<string, boolean>;
  /** The backend replaces a dead node's containers by itself (swarm mode): wait for it, never scale on top. */
  reschedulesLostNodes?: boolean;
}

export interface LiveState {
  /** When the observation started (ms since epoch). */
  at: number;
  /** Consul as a whole answered and has a leader. */
  consulOk: boolean;
  consulError?: string;
  services: Record<string, ServiceLive>;
}

export interface LiveStateReader {
  observe(desired: DesiredState): Promise<LiveState>;
}

/** A short hash of what matters in a live view (for "unchanged" decisions and audit logs). */
export function liveStateHash(live: LiveState): string {
  const view = Object.values(live.services).map((s) => ({
    s: s.service,
    i: (s.instances ?? []).map((i) => [i.ID, i.Status, i.Maintenance ?? '']).sort(),
    c: (s.containers ?? []).map((c) => [c.id, c.state, c.dockerHealth ?? '']).sort(),
    e: [s.consulError ?? '', s.backendError ?? ''],
  }));
  return createHash('sha256').update(JSON.stringify([live.consulOk, view])).digest('hex').slice(0, 16);
}

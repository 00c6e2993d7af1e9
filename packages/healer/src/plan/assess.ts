// Pure reading of one service's live view: which instances count as healthy, and what each container is.

import type { ServiceContainer } from '../backends/scaling-backend';
import type { ServiceSpec } from '../desired/desired-state';
import type { InstanceHealth } from '../observe/consul-health';
import type { ServiceLive } from '../observe/live-state';
import { instanceBelongsTo } from './instance-match';

export type ContainerClass =
  /** Running, with a passing Consul instance. */
  | 'healthy'
  /** Within its grace period (or restarting): not judged yet, expected to become healthy. */
  | 'starting'
  /** Exited/dead, or failing its checks past the grace period: removed before scaling. */
  | 'failed'
  /** Its instance is in Consul maintenance: left alone, not counted healthy. */
  | 'maintenance'
  /** Running past grace but not registered in Consul, or in a warning/paused state: kept, not counted. */
  | 'other';

export interface ClassifiedContainer {
  container: ServiceContainer;
  class: ContainerClass;
  reason: string;
}

export interface ServiceAssessment {
  /** Passing instances, not in maintenance, whose container (when known) runs. */
  healthy: number;
  /** Containers not yet judged (grace period, restarting). */
  starting: number;
  containers: ClassifiedContainer[];
  failed: ClassifiedContainer[];
}

function isRunning(container: ServiceContainer): boolean {
  return container.state === 'running';
}

function countsHealthy(instance: InstanceHealth): boolean {
  return instance.Status === 'passing' && !instance.Maintenance;
}

/** Consul's node check: critical when the agent of the instance's node stopped answering (the host died). */
const NODE_CHECK = 'serfHealth';

/** What the planner remembers that a single snapshot cannot tell. */
export interface AssessMemory {
  /** When each container (by id) was first seen with its instance in Consul maintenance. */
  maintenanceSeenAt?: Readonly<Record<string, number>>;
}

/** Whether any Consul instance of this container is in maintenance (its own, or its node's). */
export function inMaintenance(container: ServiceContainer, instances: readonly InstanceHealth[]): boolean {
  return instances.some((i) => i.Maintenance && instanceBelongsTo(i, container));
}

function classify(container: ServiceContainer, instances: InstanceHealth[], spec: ServiceSpec, now: number, live: ServiceLive, memory: AssessMemory): ClassifiedContainer {
  const mine = instances.filter((i) => instanceBelongsTo(i, container));
  const inGrace = now - container.startedAtMs < spec.graceMs;
  const done = (cls: ContainerClass, reason: string): ClassifiedContainer => ({ container, class: cls, reason });
  const reschedules = live.reschedulesLostNodes === true;
  // A host whose Consul node is not passing is never a target, not even to remove what it runs (its engine is gone).
  if (container.host !== undefined && live.hostsPassing && !live.hostsPassing[container.host]) return done('other', `its host ${container.host} is not passing in consul: never a target`);
  if (container.state === 'exited' || container.state === 'dead') return done('failed', `container ${container.state}`);
  // Docker is already restarting it (autoheal's lesson): do not pile a second action on top.
  if (container.state === 'restarting' || container.state === 'removing') return done('starting', `container ${container.state}`);
  if (container.state === 'paused') return done('other', 'container paused');
  if (mine.some((i) => i.Maintenance)) {
    // A drain (host-drain --swarm) puts the node in maintenance, then swarm moves its tasks: give swarm the grace
    // period to show that before counting the instance out (after it, maintenance without a move is a shortfall).
    const since = memory.maintenanceSeenAt?.[container.id];
    if (reschedules && since !== undefined && now - since < spec.graceMs) return done('starting', `in consul maintenance for ${now - since} ms: the backend moves a drained node's tasks; waiting up to the grace period`);
    return done('maintenance', 'instance in consul maintenance');
  }
  if (isRunning(container) && mine.some(countsHealthy)) return done('healthy', 'passing');
  // Its node is dead in Consul and the backend replaces a dead node's tasks by itself (swarm): never fight it.
  if (reschedules && mine.length > 0 && mine.every((i) => i.FailingChecks.includes(NODE_CHECK))) return done('starting', 'node critical in consul: the backend reschedules it');
  if (inGrace) return done('starting', 'within grace period');
  if (container.state === 'created') return done('failed', 'container never started');
  if (container.dockerHealth === 'unhealthy') return done('failed', 'docker healthcheck unhealthy');
  if (mine.length === 0) return done('other', 'not registered in consul');
  if (mine.every((i) => i.Status === 'critical')) return done('failed', `consul checks critical: ${mine.flatMap((i) => i.FailingChecks).join(', ')}`);
  return done('other', 'consul checks warning');
}

export function assessService(spec: ServiceSpec, live: ServiceLive, now: number, memory: AssessMemory = {}): ServiceAssessment {
  const instances = live.instances ?? [];
  const containers = (live.containers ?? []).map((c) => classify(c, instances, spec, now, live, memory));
  // Consul lags Docker: an instance still "passing" whose container has stopped is not healthy.
  const stopped = (live.containers ?? []).filter((c) => !isRunning(c));
  const healthy = instances.filter((i) => countsHealthy(i) && !stopped.some((c) => instanceBelongsTo(i, c))).length;
  return {
    healthy,
    starting: containers.filter((c) => c.class === 'starting').length,
    containers,
    failed: containers.filter((c) => c.class === 'failed'),
  };
}

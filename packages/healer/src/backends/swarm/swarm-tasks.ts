// Pure reading of a swarm service's tasks and nodes into the containers the planner sees: what swarm is already
// doing (starting, restarting, rescheduling a dead node's task) reads as restarting, so the planner waits for it.

import type { ServiceContainer } from '../scaling-backend';

/** The fields of the Engine API's Task and Node objects this backend reads (GET /tasks, GET /nodes). */
export interface SwarmTask {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  Status?: { State?: string; Timestamp?: string; Err?: string; ContainerStatus?: { ContainerID?: string } };
}

export interface SwarmNode {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Labels?: Record<string, string> };
  Status?: { State?: string };
}

function parseTime(text: string | undefined): number {
  const ms = text ? Date.parse(text) : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

export function nodeName(node: SwarmNode, label?: string): string {
  return (label !== undefined ? node.Spec?.Labels?.[label] : undefined) ?? node.Description?.Hostname ?? node.ID;
}

/** The name swarm gives a task's container (`<service>.<slot>.<task id>`), which registrator puts in the service ID. */
export function taskContainerName(service: string, task: SwarmTask): string {
  return `${service}.${task.Slot ?? 0}.${task.ID}`;
}

/**
 * The tasks swarm wants running, as containers:
 * - running on a ready node: running (Consul decides whether it is healthy);
 * - running on a node swarm no longer sees (down, unknown, disconnected): restarting, since swarm reschedules it;
 * - coming up, or failed/shut down while still desired (swarm restarts it): restarting;
 * - pending with an error (no node can take it): created, so after the grace period it is "never started" and the
 *   planner raises replicas only if that would help (a task swarm cannot place is not a container to remove).
 * Tasks swarm wants shut down are gone already as far as capacity goes and are not listed; replicas swarm has not
 * yet made a task for are listed as restarting placeholders (`pending:<service>:<n>`).
 */
export function tasksAsContainers(
  service: string,
  tasks: readonly SwarmTask[],
  nodes: readonly SwarmNode[],
  options: { replicas?: number; now?: number } = {},
): ServiceContainer[] {
  const nodeState = new Map(nodes.map((n) => [n.ID, n.Status?.State ?? 'unknown']));
  const out: ServiceContainer[] = [];
  for (const task of tasks) {
    if (task.DesiredState !== 'running') continue;
    const state = task.Status?.State ?? 'new';
    const since = parseTime(task.Status?.Timestamp) || parseTime(task.CreatedAt);
    const base = { id: task.Status?.ContainerStatus?.ContainerID || task.ID, name: taskContainerName(service, task), slot: task.Slot ?? 0, startedAtMs: since };
    if (state === 'running') {
      const ready = task.NodeID !== undefined && nodeState.get(task.NodeID) === 'ready';
      out.push({ ...base, state: ready ? 'running' : 'restarting' });
    } else if (state === 'pending' && task.Status?.Err) {
      out.push({ ...base, state: 'created' });
    } else {
      // Coming up, or complete/failed/rejected/shutdown/orphaned while still desired: swarm's restart policy acts.
      out.push({ ...base, state: state === 'remove' ? 'removing' : 'restarting' });
    }
  }
  // Fewer tasks than replicas: swarm has yet to create the rest (a replaced or rescheduled task's successor, raised
  // replicas). Each reads as restarting, so the planner waits for swarm instead of asking it for what it already wants.
  for (let i = out.length; options.replicas !== undefined && i < options.replicas; i++) {
    out.push({ id: `pending:${service}:${i}`, name: `${service}.pending.${i}`, slot: 0, state: 'restarting', startedAtMs: options.now ?? 0 });
  }
  return out.sort((a, b) => a.slot - b.slot);
}

/** How one unhealthy task is replaced: its container removed on its own node's engine, or a forced service update. */
export type TaskReplacement =
  | { how: 'remove-container'; containerId: string; node: string; engine: string }
  | { how: 'force-update'; containerId: string; node: string; why: string }
  | { how: 'gone'; containerId: string };

export function planTaskReplacement(
  containerId: string,
  tasks: readonly SwarmTask[],
  nodes: readonly SwarmNode[],
  options: { nodeEngines?: Record<string, string>; nodeNameLabel?: string },
): TaskReplacement {
  const task = tasks.find((t) => t.DesiredState === 'running' && (t.Status?.ContainerStatus?.ContainerID === containerId || t.ID === containerId));
  if (!task?.Status?.ContainerStatus?.ContainerID) return { how: 'gone', containerId };
  const node = nodes.find((n) => n.ID === task.NodeID);
  const name = node ? nodeName(node, options.nodeNameLabel) : (task.NodeID ?? 'unknown');
  const engine = options.nodeEngines?.[name];
  if (engine) return { how: 'remove-container', containerId, node: name, engine };
  return { how: 'force-update', containerId, node: name, why: `no engine known for node ${name} (scale.nodeEngines): swarm replaces the task only through a forced update of the service, which rolls every task` };
}

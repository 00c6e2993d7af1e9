// Pure: the Engine API's /events messages -> the container events registrator acts on, and the `since` of a replay.

/** Container actions that can change what a container publishes; anything else (exec_*, attach, ...) is ignored. */
const RELEVANT_ACTIONS = new Set(['start', 'restart', 'die', 'stop', 'kill', 'oom', 'pause', 'unpause', 'destroy', 'rename', 'health_status', 'update']);
const RELEVANT_NETWORK_ACTIONS = new Set(['connect', 'disconnect']);

export interface DockerEvent {
  containerId: string;
  type: 'container' | 'network';
  action: string;
  /** Nanoseconds since the epoch (timeNano). */
  timeNano: bigint;
}

/** `since` for the Engine API from a timeNano: seconds with a 9-digit fraction. */
export function sinceParameter(timeNano: bigint): string {
  const seconds = timeNano / 1_000_000_000n;
  const fraction = (timeNano % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}`;
}

/** One JSON message of GET /events -> the container it concerns, if registrator cares about it. */
export function parseDockerEvent(raw: unknown): DockerEvent | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const m = raw as Record<string, unknown>;
  const actor = (m.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> };
  const type = m.Type;
  const action = String(m.Action ?? m.status ?? '');
  const timeNano = typeof m.timeNano === 'number' ? BigInt(Math.trunc(m.timeNano)) : BigInt(Math.trunc(Number(m.time ?? 0))) * 1_000_000_000n;
  if (type === 'container') {
    const base = action.split(':')[0]; // "health_status: healthy", "exec_start: sh"
    if (!RELEVANT_ACTIONS.has(base) || !actor.ID) return undefined;
    return { containerId: actor.ID, type, action: base, timeNano };
  }
  if (type === 'network' && RELEVANT_NETWORK_ACTIONS.has(action) && actor.Attributes?.container) {
    return { containerId: actor.Attributes.container, type, action, timeNano };
  }
  return undefined;
}

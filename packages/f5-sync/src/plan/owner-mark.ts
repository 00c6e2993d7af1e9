// Ownership, written into descriptions: "f5-sync:web" marks a member f5-sync made, and a drain start rides along with it.
// A restarted process or a new leader reads the same marks, so it carries on the same drains and touches only its own.

export interface OwnerMark {
  service: string;
  /** Epoch ms when the drain began, if the member is draining. */
  drainingSince?: number;
}

const DRAIN_NOTE = ' draining since ';

/** "f5-sync:web" or "f5-sync:web draining since 2024-05-01T10:00:00.000Z"; undefined for a member we did not create. */
export function parseOwnerMark(description: string | undefined, mark: string): OwnerMark | undefined {
  if (!description || !description.startsWith(`${mark}:`)) return undefined;
  const rest = description.slice(mark.length + 1);
  const at = rest.indexOf(DRAIN_NOTE);
  if (at === -1) return { service: rest.trim() };
  const since = Date.parse(rest.slice(at + DRAIN_NOTE.length).trim());
  return { service: rest.slice(0, at).trim(), drainingSince: Number.isFinite(since) ? since : 0 };
}

export function ownerDescription(mark: string, service: string, drainingSince?: number): string {
  return drainingSince === undefined ? `${mark}:${service}` : `${mark}:${service}${DRAIN_NOTE}${new Date(drainingSince).toISOString()}`;
}

export function poolDescription(mark: string, service: string): string {
  return `managed by ${mark} from Consul service ${service}`;
}

const DECLARED_NOTE = ', declared by Consul service ';

/**
 * The description of a pool f5-sync created because a Consul service declared it: the pool is f5-sync's to delete
 * once the declaration is gone, and a restarted process finds such a pool left over without remembering anything.
 */
export function declaredPoolDescription(mark: string, service: string): string {
  return `managed by ${mark}${DECLARED_NOTE}${service}`;
}

/** The declaring service of a pool f5-sync created from a declaration; undefined for every other pool. */
export function parseDeclaredPoolDescription(description: string | undefined, mark: string): string | undefined {
  const prefix = `managed by ${mark}${DECLARED_NOTE}`;
  if (!description || !description.startsWith(prefix)) return undefined;
  const service = description.slice(prefix.length).trim();
  return service === '' ? undefined : service;
}

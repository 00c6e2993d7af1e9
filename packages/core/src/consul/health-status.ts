// Health status as every daemon ranks it: passing < warning < critical; an instance is as healthy as its worst
// check (node checks included); Consul's maintenance checks make it critical and say which kind of maintenance.

export type HealthStatus = 'passing' | 'warning' | 'critical';

/** passing (Consul's ?passing), warning (passing or warning), any (every instance). */
export type StatusFilter = 'passing' | 'warning' | 'any';

export const STATUS_RANK: Readonly<Record<HealthStatus, number>> = { passing: 0, warning: 1, critical: 2 };

/** The check ID Consul gives node maintenance (`consul maint -enable`). */
export const NODE_MAINTENANCE_CHECK = '_node_maintenance';
/** The prefix of a service's maintenance check ID: `_service_maintenance:<service id>`. */
export const SERVICE_MAINTENANCE_PREFIX = '_service_maintenance:';

export type Maintenance = 'node' | 'service';

/** The worse of two statuses. */
export function worseStatus(a: HealthStatus, b: HealthStatus): HealthStatus {
  return STATUS_RANK[b] > STATUS_RANK[a] ? b : a;
}

/** The worst of a set of statuses; no checks at all is passing (as Consul's ?passing counts it). */
export function aggregateStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'passing';
  for (const s of statuses) worst = worseStatus(worst, s);
  return worst;
}

export function statusMatches(status: HealthStatus, filter: StatusFilter): boolean {
  if (filter === 'any') return true;
  if (filter === 'warning') return status !== 'critical';
  return status === 'passing';
}

/** Which maintenance a check ID stands for, if any. */
export function maintenanceOfCheck(checkId: string): Maintenance | undefined {
  if (checkId === NODE_MAINTENANCE_CHECK) return 'node';
  if (checkId.startsWith(SERVICE_MAINTENANCE_PREFIX)) return 'service';
  return undefined;
}

/** Node maintenance outranks service maintenance (it covers every service on the node). */
export function maintenanceOf(checkIds: Iterable<string>): Maintenance | undefined {
  let found: Maintenance | undefined;
  for (const id of checkIds) {
    const m = maintenanceOfCheck(id);
    if (m === 'node') return 'node';
    if (m) found = m;
  }
  return found;
}

// Consul's check statuses: the worst of a set (maintenance counts as critical), and the service() status filters.

import type { HealthStatus, StatusFilter } from './consul-data';

const STATUS_RANK: Record<HealthStatus, number> = { passing: 0, warning: 1, critical: 2 };

/** The worst of a set of check statuses (maintenance checks are critical in Consul); no checks = passing. */
export function aggregateStatus(statuses: readonly string[]): HealthStatus {
  let worst: HealthStatus = 'passing';
  for (const s of statuses) {
    const status: HealthStatus = s === 'passing' || s === 'warning' ? s : 'critical';
    if (STATUS_RANK[status] > STATUS_RANK[worst]) worst = status;
  }
  return worst;
}

export function statusMatches(status: HealthStatus, filter: StatusFilter): boolean {
  if (filter === 'any') return true;
  if (filter === 'warning') return status !== 'critical';
  return status === 'passing';
}

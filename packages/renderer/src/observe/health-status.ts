// Check statuses as Consul writes them (strings), read through core's ranking: maintenance and anything unknown
// count as critical. Status ranking and the status filters themselves are core's (core/consul/health-status).

import { aggregateStatus as worstOf, type HealthStatus } from '@consul-sidecars/core';

export { statusMatches } from '@consul-sidecars/core';

/** The worst of a set of check statuses (maintenance checks are critical in Consul); no checks = passing. */
export function aggregateStatus(statuses: readonly string[]): HealthStatus {
  return worstOf(statuses.map((s): HealthStatus => (s === 'passing' || s === 'warning' ? s : 'critical')));
}

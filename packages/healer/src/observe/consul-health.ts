// Consul's /v1/health/service answer as the healer reads it: core's strict parser (ERR_CONSUL_PAYLOAD), one type.

import { healthServiceRead, type ConsulRead, type ServiceInstance } from '@consul-sidecars/core';

/**
 * What the planner reads of a Consul instance (core's ServiceInstance has it all): `Status` is the worst of its
 * service and node checks, `Maintenance` is set when the node or the instance is in maintenance (never healthy).
 */
export type InstanceHealth = Pick<ServiceInstance, 'ID' | 'Node' | 'Meta' | 'Status' | 'Maintenance' | 'FailingChecks'>;

/** Every instance of a desired service (no ?passing: maintenance and failing instances must be seen), optionally by tag. */
export function serviceHealthRead(spec: { name: string; tag?: string }): ConsulRead<ServiceInstance[]> {
  return healthServiceRead(spec.name, { tag: spec.tag });
}

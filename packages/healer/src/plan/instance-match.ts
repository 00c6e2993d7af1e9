// Which Consul instance a container runs: the join between what Consul says and what the backend runs.

import type { ServiceContainer } from '../backends/scaling-backend';
import type { InstanceHealth } from '../observe/consul-health';

/**
 * Whether a Consul instance is the one a container runs. Registrators name instances after the container
 * (gliderlabs: "host:container-name:port") or carry its id in meta, so both are looked for.
 */
export function instanceBelongsTo(instance: InstanceHealth, container: ServiceContainer): boolean {
  const shortId = container.id.slice(0, 12);
  const idParts = instance.ID.split(/[:/]/);
  if (idParts.includes(container.name) || idParts.includes(container.id) || idParts.includes(shortId)) return true;
  if (instance.ID === container.name || instance.ID === container.id || instance.ID === shortId) return true;
  return Object.values(instance.Meta).some((v) => v === container.id || v === shortId || v === container.name);
}

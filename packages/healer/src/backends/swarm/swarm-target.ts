// The swarm-mode backend's part of the desired state: one replicated swarm service, read and scaled through a manager.

import { parseDockerHost } from '@consul-sidecars/core';
import type { TargetCodec } from '../target-codec';

export interface SwarmTarget {
  kind: 'swarm';
  /** The swarm service's name (com.docker.swarm.service.name). */
  swarmService: string;
  /** Managers to ask, in order (the first that answers with quorum is used); unset: the environment's engine. */
  managers?: string[];
  /**
   * Each node's own engine (DOCKER_HOST per node name), to replace one unhealthy task by removing its container:
   * swarm then starts a new task in the same slot. A node without one gets a forced update of the service instead.
   */
  nodeEngines?: Record<string, string>;
  /** The node label that holds a node's name (e.g. "cst.host"); unset: the node's host name. */
  nodeNameLabel?: string;
}

const DOCKER_HOST = { type: 'string', pattern: '^(unix|tcp|ssh|npipe)://' } as const;

export const SWARM_TARGET_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'swarmService'],
  properties: {
    kind: { const: 'swarm' },
    // Docker's own service-name rule: letters, digits, dashes, underscores, dots; at most 63.
    swarmService: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$' },
    managers: { type: 'array', minItems: 1, items: DOCKER_HOST },
    nodeEngines: { type: 'object', propertyNames: { minLength: 1 }, additionalProperties: DOCKER_HOST },
    nodeNameLabel: { type: 'string', minLength: 1 },
  },
} as const;

export const swarmTargetCodec: TargetCodec<SwarmTarget> = {
  kind: 'swarm',
  schema: SWARM_TARGET_SCHEMA,
  resolve: (target, { field }) => {
    // The one DOCKER_HOST parser: an engine the client could not use is a config error at load, not at the first heal.
    (target.managers ?? []).forEach((host, i) => parseDockerHost(host, { field: `${field}.managers[${i}]` }));
    for (const [node, host] of Object.entries(target.nodeEngines ?? {})) parseDockerHost(host, { field: `${field}.nodeEngines.${node}` });
    return target;
  },
  identity: (target) => ({ key: `swarm|${(target.managers ?? []).join(',')}|${target.swarmService}`, field: 'swarmService', value: target.swarmService, what: 'swarm service' }),
  // Nothing on this machine to check: the managers are asked on every pass.
  check: () => [],
};

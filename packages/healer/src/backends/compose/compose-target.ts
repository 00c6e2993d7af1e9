// The compose backend's part of the desired state: one compose service in one project, on one Docker host.

import { isAbsolute, resolve } from 'node:path';
import { parseDockerHost } from '@consul-sidecars/core';
import type { TargetCodec } from '../target-codec';

export interface ComposeTarget {
  kind: 'compose';
  composeProject: string;
  /** Absolute path (a relative one in the file is resolved against the file's directory). */
  composeFile: string;
  composeService: string;
  /** DOCKER_HOST for the compose run and the container reads (a swarm manager or a node); unset: the local engine. */
  dockerHost?: string;
}

export const COMPOSE_TARGET_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['composeProject', 'composeFile', 'composeService'],
  properties: {
    kind: { const: 'compose', default: 'compose' },
    // Compose's own project-name rule (lower case, digits, dash, underscore).
    composeProject: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' },
    composeFile: { type: 'string', minLength: 1 },
    composeService: { type: 'string', pattern: '^[a-zA-Z0-9._-]+$' },
    dockerHost: { type: 'string', pattern: '^(unix|tcp|ssh|npipe)://' },
  },
} as const;

export const composeTargetCodec: TargetCodec<ComposeTarget> = {
  kind: 'compose',
  schema: COMPOSE_TARGET_SCHEMA,
  resolve: (target, { baseDir, field }) => {
    // The one DOCKER_HOST parser: a value the engine client could not use is a config error at load, not at the first heal.
    if (target.dockerHost !== undefined) parseDockerHost(target.dockerHost, { field: `${field}.dockerHost` });
    return { ...target, composeFile: isAbsolute(target.composeFile) ? target.composeFile : resolve(baseDir, target.composeFile) };
  },
  identity: (target) => ({
    key: `${target.dockerHost ?? ''}|${target.composeProject}|${target.composeService}`,
    field: 'composeService',
    value: target.composeService,
    what: 'compose service',
  }),
};

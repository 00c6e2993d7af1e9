// The compose backend's part of the desired state: one compose service in one project, on one Docker host.

import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, errorMessage, parseDockerHost } from '@consul-sidecars/core';
import type { TargetCodec, TargetProblem } from '../target-codec';

/** docker-compose reads its file on the machine the healer runs on, whatever DOCKER_HOST says. */
function checkComposeFile(path: string): TargetProblem[] {
  const problem = (message: string): TargetProblem[] => [{ field: 'composeFile', value: path, message }];
  try {
    if (!statSync(path).isFile()) return problem(`${path} is not a file`);
    accessSync(path, constants.R_OK);
    return [];
  } catch (err) {
    const code = (err as { code?: string }).code;
    return problem(code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read: ${errorMessage(err)}`);
  }
}

export interface ComposeTarget {
  kind: 'compose';
  composeProject: string;
  /** Absolute path (a relative one in the file is resolved against the file's directory). */
  composeFile: string;
  composeService: string;
  /** DOCKER_HOST for the compose run and the container reads (a swarm manager or a node); unset: the local engine. */
  dockerHost?: string;
  /**
   * The service across several hosts: DOCKER_HOST per host, keyed by the host's Consul node name. The healer heals
   * on the hosts whose node passes in Consul (serfHealth), fewest instances first; a critical host is never a target.
   */
  hosts?: Record<string, string>;
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
    hosts: { type: 'object', minProperties: 1, propertyNames: { minLength: 1 }, additionalProperties: { type: 'string', pattern: '^(unix|tcp|ssh|npipe)://' } },
  },
} as const;

export const composeTargetCodec: TargetCodec<ComposeTarget> = {
  kind: 'compose',
  schema: COMPOSE_TARGET_SCHEMA,
  resolve: (target, { baseDir, field }) => {
    // The one DOCKER_HOST parser: a value the engine client could not use is a config error at load, not at the first heal.
    if (target.dockerHost !== undefined) parseDockerHost(target.dockerHost, { field: `${field}.dockerHost` });
    if (target.dockerHost !== undefined && target.hosts !== undefined) {
      throw new ConfigError(`${field}.hosts and ${field}.dockerHost name the engines twice: give one`, { field: `${field}.hosts`, value: Object.keys(target.hosts).join(',') });
    }
    for (const [host, engine] of Object.entries(target.hosts ?? {})) parseDockerHost(engine, { field: `${field}.hosts.${host}` });
    return { ...target, composeFile: isAbsolute(target.composeFile) ? target.composeFile : resolve(baseDir, target.composeFile) };
  },
  identity: (target) => ({
    key: `${target.hosts ? Object.values(target.hosts).sort().join(',') : (target.dockerHost ?? '')}|${target.composeProject}|${target.composeService}`,
    field: 'composeService',
    value: target.composeService,
    what: 'compose service',
  }),
  check: (target) => checkComposeFile(target.composeFile),
};

// One Engine API client per DOCKER_HOST value, through core's one DOCKER_HOST parser (unix, tcp, tcp+TLS, ssh).

import { engineFor, type EngineApi } from '../engine-client';

const clients = new Map<string, EngineApi>();

/**
 * The engine a target names; unset: the environment's (DOCKER_HOST and its TLS variables, else the local socket),
 * the same engine docker-compose talks to, since the compose run inherits that environment.
 */
export function dockerClientFor(dockerHost?: string): EngineApi {
  const key = dockerHost ?? '';
  let client = clients.get(key);
  if (!client) {
    client = engineFor(dockerHost, 'scale.dockerHost');
    clients.set(key, client);
  }
  return client;
}

// One dockerode client per DOCKER_HOST value (unix://, tcp://, ssh://), shared by every read and removal.

import Docker from 'dockerode';
import { healerError } from '../../errors';

/** dockerode connection options for a DOCKER_HOST value; undefined: the local socket. */
export function dockerOptionsFor(dockerHost?: string): Docker.DockerOptions {
  if (!dockerHost) return { socketPath: process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice(7) : '/var/run/docker.sock' };
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return { socketPath: url.pathname };
  if (url.protocol === 'tcp:') return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375) };
  if (url.protocol === 'ssh:') return { protocol: 'ssh', host: url.hostname, port: Number(url.port || 22), username: url.username || undefined };
  throw healerError('ERR_DOCKER_HOST', `unsupported docker host ${dockerHost}`, { dockerHost });
}

const clients = new Map<string, Docker>();

export function dockerClientFor(dockerHost?: string): Docker {
  const key = dockerHost ?? '';
  let client = clients.get(key);
  if (!client) {
    client = new Docker(dockerOptionsFor(dockerHost));
    clients.set(key, client);
  }
  return client;
}

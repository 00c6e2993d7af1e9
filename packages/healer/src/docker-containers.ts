// The Docker side of a compose service: list its containers (with state and start time) and remove failed ones by id.

import Docker from 'dockerode';
import { CodedError, errorMessage } from '@consul-sidecars/core';
import type { ScaleTarget } from './desired-state';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ComposeContainer {
  id: string;
  name: string;
  /** com.docker.compose.container-number (0 when absent). */
  number: number;
  state: ContainerState;
  /** Docker HEALTHCHECK status when the image has one. */
  dockerHealth?: 'starting' | 'healthy' | 'unhealthy';
  /** Last start (or creation, for never-started containers), ms since epoch: the grace period counts from it. */
  startedAtMs: number;
}

/** dockerode connection options for a DOCKER_HOST value (unix://, tcp://, ssh://); undefined: the local socket. */
export function dockerOptionsFor(dockerHost?: string): Docker.DockerOptions {
  if (!dockerHost) return { socketPath: process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice(7) : '/var/run/docker.sock' };
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return { socketPath: url.pathname };
  if (url.protocol === 'tcp:') return { protocol: 'http', host: url.hostname, port: Number(url.port || 2375) };
  if (url.protocol === 'ssh:') return { protocol: 'ssh', host: url.hostname, port: Number(url.port || 22), username: url.username || undefined };
  throw new CodedError('ERR_DOCKER_HOST', `unsupported docker host ${dockerHost}`, { dockerHost });
}

const clients = new Map<string, Docker>();

function clientFor(dockerHost?: string): Docker {
  const key = dockerHost ?? '';
  let client = clients.get(key);
  if (!client) {
    client = new Docker(dockerOptionsFor(dockerHost));
    clients.set(key, client);
  }
  return client;
}

function parseTime(text: string | undefined): number {
  const ms = text ? Date.parse(text) : NaN;
  // Docker writes 0001-01-01T00:00:00Z for "never".
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** The containers (any state) of one compose service, found by compose's own labels. */
export async function listComposeContainers(target: ScaleTarget): Promise<ComposeContainer[]> {
  const docker = clientFor(target.dockerHost);
  let listed: Docker.ContainerInfo[];
  try {
    listed = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${target.composeProject}`, `com.docker.compose.service=${target.composeService}`] },
    });
  } catch (err) {
    throw new CodedError('ERR_DOCKER', `cannot list containers of ${target.composeProject}/${target.composeService}: ${errorMessage(err)}`, { target }, { cause: err });
  }
  const inspected = await Promise.all(
    listed.map(async (info) => {
      try {
        return await docker.getContainer(info.Id).inspect();
      } catch {
        return undefined; // removed between list and inspect
      }
    }),
  );
  const out: ComposeContainer[] = [];
  for (const info of inspected) {
    if (!info) continue;
    const health = info.State.Health?.Status;
    out.push({
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      number: Number(info.Config.Labels?.['com.docker.compose.container-number'] ?? 0) || 0,
      state: info.State.Status as ContainerState,
      ...(health === 'starting' || health === 'healthy' || health === 'unhealthy' ? { dockerHealth: health } : {}),
      startedAtMs: parseTime(info.State.StartedAt) || parseTime(info.Created),
    });
  }
  return out.sort((a, b) => a.number - b.number);
}

/** Removes containers by id (force: they are failed anyway); a container already gone counts as removed. */
export async function removeContainers(target: ScaleTarget, ids: readonly string[]): Promise<void> {
  const docker = clientFor(target.dockerHost);
  for (const id of ids) {
    try {
      await docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404) continue;
      // 409 "removal already in progress" is as good as done.
      if (status === 409 && /already in progress/i.test(errorMessage(err))) continue;
      throw new CodedError('ERR_DOCKER_REMOVE', `cannot remove container ${id.slice(0, 12)}: ${errorMessage(err)}`, { id }, { cause: err });
    }
  }
}

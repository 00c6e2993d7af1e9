// The Docker side of a compose service: list its containers (with state and start time) and remove failed ones by id.

import type Docker from 'dockerode';
import { crashPoint, errorMessage } from '@consul-sidecars/core';
import { CRASH_POINTS } from '../../crash-points';
import { healerError } from '../../errors';
import type { ContainerState, ServiceContainer } from '../scaling-backend';
import type { ComposeTarget } from './compose-target';
import { ContainerListBatch } from './container-list-batch';
import { dockerClientFor } from './docker-connection';

function parseTime(text: string | undefined): number {
  const ms = text ? Date.parse(text) : NaN;
  // Docker writes 0001-01-01T00:00:00Z for "never".
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/**
 * The containers (any state) of one compose service, found by compose's own labels; on several hosts, each
 * tagged with its host. A host whose engine does not answer (a dead host) adds none; all of them silent is an error.
 */
export async function listComposeContainers(target: ComposeTarget): Promise<ServiceContainer[]> {
  if (!target.hosts) return listOn(target.dockerHost, target);
  const results = await Promise.allSettled(Object.entries(target.hosts).map(async ([host, engine]) => (await listOn(engine, target)).map((c) => ({ ...c, host }))));
  const listed = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (listed.length === 0) {
    const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    throw first?.reason ?? healerError('ERR_DOCKER', 'no engine named in scale.hosts answered', { target });
  }
  return listed.flat().sort((a, b) => a.slot - b.slot);
}

/** The lists of one pass (every desired service at once) go to each engine as one call. */
const lists = new ContainerListBatch();

async function listOn(dockerHost: string | undefined, target: ComposeTarget): Promise<ServiceContainer[]> {
  const docker = dockerClientFor(dockerHost);
  let listed: Docker.ContainerInfo[];
  try {
    listed = await lists.list(docker, target.composeProject, target.composeService);
  } catch (err) {
    throw healerError('ERR_DOCKER', `cannot list containers of ${target.composeProject}/${target.composeService}: ${errorMessage(err)}`, { target }, err);
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
  const out: ServiceContainer[] = [];
  for (const info of inspected) {
    if (!info) continue;
    const health = info.State.Health?.Status;
    out.push({
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      slot: Number(info.Config.Labels?.['com.docker.compose.container-number'] ?? 0) || 0,
      // The Engine API documents exactly ContainerState's values.
      state: info.State.Status as ContainerState,
      ...(health === 'starting' || health === 'healthy' || health === 'unhealthy' ? { dockerHealth: health } : {}),
      startedAtMs: parseTime(info.State.StartedAt) || parseTime(info.Created),
    });
  }
  return out.sort((a, b) => a.slot - b.slot);
}

/** Removes containers by id (force: they are failed anyway); a container already gone counts as removed. */
export async function removeContainers(target: ComposeTarget, ids: readonly string[], host?: (id: string) => string | undefined): Promise<void> {
  for (const id of ids) {
    const on = host?.(id);
    const docker = dockerClientFor(on !== undefined && target.hosts ? target.hosts[on] : target.dockerHost);
    crashPoint(CRASH_POINTS.beforeContainerRemove);
    try {
      await docker.getContainer(id).remove({ force: true, v: true });
      crashPoint(CRASH_POINTS.afterContainerRemove);
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404) continue;
      // 409 "removal already in progress" is as good as done.
      if (status === 409 && /already in progress/i.test(errorMessage(err))) continue;
      throw healerError('ERR_DOCKER_REMOVE', `cannot remove container ${id.slice(0, 12)}: ${errorMessage(err)}`, { id }, err);
    }
  }
}

// The swarm-mode backend: a replicated service's tasks read from a manager, replicas raised through it, and one
// unhealthy task replaced by removing its container on its node (swarm starts a new task in that slot).

import type { Logger } from 'pino';
import { crashPoint, errorMessage } from '@consul-sidecars/core';
import { CRASH_POINTS } from '../../crash-points';
import { healerError } from '../../errors';
import { dockerClientFor } from '../compose/docker-connection';
import type { EngineApi } from '../engine-client';
import type { ScaleResult, ScalingBackend, ServiceContainer } from '../scaling-backend';
import type { SwarmTarget } from './swarm-target';
import { planTaskReplacement, tasksAsContainers, type SwarmNode, type SwarmTask } from './swarm-tasks';

export interface SwarmBackendOptions {
  logger?: Logger;
  /** Tests may supply the engine clients. */
  clientFor?: (dockerHost?: string) => EngineApi;
}

/** The parts of a service's spec the healer changes; the rest is sent back as read. */
interface SwarmServiceSpec {
  Mode?: { Replicated?: { Replicas?: number }; Global?: object };
  TaskTemplate?: { ForceUpdate?: number; [field: string]: unknown };
  [field: string]: unknown;
}

interface ManagerView {
  docker: EngineApi;
  nodes: SwarmNode[];
}

export class SwarmBackend implements ScalingBackend<SwarmTarget> {
  readonly kind = 'swarm';
  /** Swarm replaces a dead node's tasks by itself: the planner waits for it instead of scaling on top. */
  readonly reschedulesLostNodes = true;
  /** Service updates made (replicas raised, forced updates), for tests and metrics. */
  updates = 0;
  private readonly logger?: Logger;
  private readonly clientFor: (dockerHost?: string) => EngineApi;

  constructor(options: SwarmBackendOptions = {}) {
    this.logger = options.logger;
    this.clientFor = options.clientFor ?? dockerClientFor;
  }

  /**
   * The first manager that answers with quorum: GET /nodes is answered only by a manager of a swarm with a raft
   * leader ("This node is not a swarm manager", "The swarm does not have a leader"), so it is the quorum probe too.
   */
  private async manager(target: SwarmTarget): Promise<ManagerView> {
    const hosts = target.managers ?? [undefined];
    const errors: string[] = [];
    for (const host of hosts) {
      try {
        const docker = this.clientFor(host);
        const nodes = (await docker.listNodes()) as SwarmNode[];
        return { docker, nodes };
      } catch (err) {
        errors.push(`${host ?? 'DOCKER_HOST'}: ${errorMessage(err)}`);
      }
    }
    throw healerError('ERR_SWARM_UNAVAILABLE', `no swarm manager with quorum answered for ${target.swarmService} (${errors.join('; ')})`, { service: target.swarmService });
  }

  private async tasks(view: ManagerView, target: SwarmTarget): Promise<SwarmTask[]> {
    try {
      return (await view.docker.listTasks({ filters: { service: [target.swarmService], 'desired-state': ['running'] } })) as SwarmTask[];
    } catch (err) {
      throw healerError('ERR_SWARM_UNAVAILABLE', `cannot list tasks of swarm service ${target.swarmService}: ${errorMessage(err)}`, { service: target.swarmService }, err);
    }
  }

  async observe(target: SwarmTarget): Promise<ServiceContainer[]> {
    const view = await this.manager(target);
    // The service must exist: an empty task list of a missing service is not "no instances".
    // Keep the service's own tasks, whatever the engine's filter matches besides (names by prefix, ids).
    const { id, spec } = await this.inspect(view, target);
    const tasks = (await this.tasks(view, target)).filter((t) => t.ServiceID === undefined || t.ServiceID === id);
    return tasksAsContainers(target.swarmService, tasks, view.nodes, { replicas: spec.Mode?.Replicated?.Replicas, now: Date.now() });
  }

  private async inspect(view: ManagerView, target: SwarmTarget): Promise<{ id: string; version: number; spec: SwarmServiceSpec }> {
    try {
      const info = await view.docker.getService(target.swarmService).inspect();
      return { id: info.ID, version: info.Version.Index, spec: info.Spec as SwarmServiceSpec };
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      throw healerError(status === 404 ? 'ERR_SWARM_SERVICE' : 'ERR_SWARM_UNAVAILABLE', `cannot inspect swarm service ${target.swarmService}: ${errorMessage(err)}`, { service: target.swarmService, status }, err);
    }
  }

  private async update(view: ManagerView, target: SwarmTarget, change: (spec: SwarmServiceSpec) => void): Promise<void> {
    const { version, spec } = await this.inspect(view, target);
    change(spec);
    this.updates++;
    crashPoint(CRASH_POINTS.beforeSwarmUpdate);
    await view.docker.getService(target.swarmService).update({ _query: { version }, _body: spec });
    crashPoint(CRASH_POINTS.afterSwarmUpdate);
  }

  /** Replaces each unhealthy task: its container removed on its node (swarm restarts the slot), else one forced update. */
  async remove(target: SwarmTarget, ids: readonly string[]): Promise<void> {
    const view = await this.manager(target);
    const tasks = await this.tasks(view, target);
    let forced: string | undefined;
    for (const id of ids) {
      const replacement = planTaskReplacement(id, tasks, view.nodes, target);
      if (replacement.how === 'gone') continue;
      if (replacement.how === 'force-update') {
        forced ??= replacement.why;
        continue;
      }
      this.logger?.info({ service: target.swarmService, container: id.slice(0, 12), node: replacement.node }, "replacing a swarm task: removing its container on its node (swarm starts a new task in its slot)");
      crashPoint(CRASH_POINTS.beforeTaskReplace);
      try {
        await this.clientFor(replacement.engine).getContainer(id).remove({ force: true });
        crashPoint(CRASH_POINTS.afterTaskReplace);
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404 || (status === 409 && /already in progress/i.test(errorMessage(err)))) continue;
        throw healerError('ERR_DOCKER_REMOVE', `cannot remove container ${id.slice(0, 12)} of swarm service ${target.swarmService} on ${replacement.node}: ${errorMessage(err)}`, { id, node: replacement.node }, err);
      }
    }
    if (forced) {
      this.logger?.warn({ service: target.swarmService, why: forced }, 'replacing swarm tasks by a forced service update');
      await this.update(view, target, (spec) => {
        spec.TaskTemplate = { ...spec.TaskTemplate, ForceUpdate: (spec.TaskTemplate?.ForceUpdate ?? 0) + 1 };
      });
    }
  }

  /** Raises the replicas to `total`; never lowers them (a total at or below them changes nothing). */
  async scale(target: SwarmTarget, total: number): Promise<ScaleResult> {
    const failed = (failure: string, deterministic: boolean, message: string): ScaleResult => ({ ok: false, failure, deterministic, output: message, message });
    let view: ManagerView;
    try {
      view = await this.manager(target);
      const { spec } = await this.inspect(view, target);
      const replicas = spec.Mode?.Replicated?.Replicas;
      if (typeof replicas !== 'number') return failed('not-replicated', true, `swarm service ${target.swarmService} is not in replicated mode: replicas cannot be raised`);
      // Swarm already wants this many: its own reconciliation is what brings them up, not a call of ours.
      if (total <= replicas) return { ok: true, unchanged: true };
      this.logger?.info({ service: target.swarmService, replicas, total }, 'raising swarm replicas');
      await this.update(view, target, (s) => {
        s.Mode = { Replicated: { Replicas: total } };
      });
      return { ok: true };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_SWARM_SERVICE') return failed('service-missing', true, errorMessage(err));
      // An update raced another (409/"update out of sequence") or the manager lost quorum: re-observe later.
      return failed(code === 'ERR_SWARM_UNAVAILABLE' ? 'swarm-unavailable' : 'swarm-error', false, errorMessage(err));
    }
  }

  describeScale(target: SwarmTarget, total: number): string {
    return `docker service scale ${target.swarmService}=${total} (never lower)`;
  }
}

// The lists of compose services' containers asked of one engine in the same turn of the event loop, as one
// Engine API call: a pass observes every desired service at once, and 100 services on one engine cost one list,
// not 100 (each an HTTP request whose buffers made up a quarter of the healer's garbage per pass).

import type Docker from 'dockerode';
import type { EngineApi } from '../engine-client';

const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';

interface Waiter {
  project: string;
  service: string;
  resolve: (listed: Docker.ContainerInfo[]) => void;
  reject: (err: unknown) => void;
}

/**
 * The one `label` filter that covers every (project, service) asked: one service, exactly its two labels (the list a
 * single service always made); one project, that project; several, any compose container. Pure.
 */
export function composeListFilter(asked: ReadonlyArray<{ project: string; service: string }>): string[] {
  const projects = new Set(asked.map((a) => a.project));
  const services = new Set(asked.map((a) => `${a.project}\u0000${a.service}`));
  if (services.size === 1) return [`${PROJECT_LABEL}=${asked[0].project}`, `${SERVICE_LABEL}=${asked[0].service}`];
  if (projects.size === 1) return [`${PROJECT_LABEL}=${asked[0].project}`, SERVICE_LABEL];
  return [PROJECT_LABEL, SERVICE_LABEL];
}

/** The containers of one compose service among a wider list, by compose's labels. Pure. */
export function containersOf(listed: readonly Docker.ContainerInfo[], project: string, service: string): Docker.ContainerInfo[] {
  return listed.filter((c) => c.Labels?.[PROJECT_LABEL] === project && c.Labels?.[SERVICE_LABEL] === service);
}

export class ContainerListBatch {
  private readonly pending = new Map<EngineApi, Waiter[]>();

  /** The containers (any state) of one compose service on `engine`; asked with others in the same turn, one call. */
  list(engine: EngineApi, project: string, service: string): Promise<Docker.ContainerInfo[]> {
    return new Promise((resolve, reject) => {
      let waiters = this.pending.get(engine);
      if (!waiters) {
        this.pending.set(engine, (waiters = []));
        // setImmediate, not a microtask: the lists a pass starts from promise continuations join too.
        setImmediate(() => this.flush(engine));
      }
      waiters.push({ project, service, resolve, reject });
    });
  }

  private flush(engine: EngineApi): void {
    const waiters = this.pending.get(engine) ?? [];
    this.pending.delete(engine);
    // A stub engine may throw rather than reject: each waiter hears of it either way.
    new Promise<Docker.ContainerInfo[]>((resolve) => resolve(engine.listContainers({ all: true, filters: { label: composeListFilter(waiters) } }))).then(
      (listed) => {
        for (const w of waiters) w.resolve(containersOf(listed, w.project, w.service));
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    );
  }
}

// The few Docker Engine API calls the healer makes, over core's EngineHttp: dockerode pulls in ssh2, whose WASM crypto
// alone holds 16 MiB (plus ~10 MiB of code), so it is loaded only for an ssh:// engine, the one transport this lacks.

import type Docker from 'dockerode';
import { connectDocker, EngineHttp, parseDockerHost, type DockerConnection, type EngineQuery } from '@consul-sidecars/core';

/** The subset of dockerode the healer's backends call; dockerode itself fits it (the ssh:// fallback, tests' stubs). */
export interface EngineApi {
  listContainers(options: { all?: boolean; filters?: Record<string, string[]> }): Promise<Docker.ContainerInfo[]>;
  getContainer(id: string): { inspect(): Promise<Docker.ContainerInspectInfo>; remove(options?: { force?: boolean; v?: boolean }): Promise<unknown> };
  listNodes(): Promise<unknown[]>;
  listTasks(options: { filters?: Record<string, string[]> }): Promise<unknown[]>;
  getService(id: string): { inspect(): Promise<{ ID: string; Version: { Index: number }; Spec: Record<string, unknown> }>; update(options: { _query: { version: number }; _body: unknown }): Promise<unknown> };
}

/** An answer outside 2xx (core's EngineHttpError): `statusCode` and the engine's own message, as dockerode's carry them. */
export { EngineHttpError as EngineError } from '@consul-sidecars/core';

const REQUEST_TIMEOUT_MS = 30_000;

export class EngineClient implements EngineApi {
  private readonly http: EngineHttp;

  constructor(conn: Exclude<DockerConnection, { kind: 'ssh' }>, private readonly timeoutMs = REQUEST_TIMEOUT_MS) {
    this.http = new EngineHttp(conn);
  }

  request<T>(method: string, path: string, query: EngineQuery = {}, body?: unknown): Promise<T> {
    return this.http.json<T>(path, { method, query, body, timeoutMs: this.timeoutMs });
  }

  listContainers(options: { all?: boolean; filters?: Record<string, string[]> }): Promise<Docker.ContainerInfo[]> {
    return this.request('GET', '/containers/json', { all: options.all ? true : undefined, filters: options.filters });
  }

  getContainer(id: string): ReturnType<EngineApi['getContainer']> {
    const path = `/containers/${encodeURIComponent(id)}`;
    return {
      inspect: () => this.request('GET', `${path}/json`),
      remove: (options = {}) => this.request('DELETE', path, { force: options.force ? true : undefined, v: options.v ? true : undefined }),
    };
  }

  listNodes(): Promise<unknown[]> {
    return this.request('GET', '/nodes');
  }

  listTasks(options: { filters?: Record<string, string[]> }): Promise<unknown[]> {
    return this.request('GET', '/tasks', { filters: options.filters });
  }

  getService(id: string): ReturnType<EngineApi['getService']> {
    const path = `/services/${encodeURIComponent(id)}`;
    return {
      inspect: () => this.request('GET', path),
      update: (options) => this.request('POST', `${path}/update`, { version: options._query.version }, options._body),
    };
  }
}

/** The engine a DOCKER_HOST value names (unset: the environment's); ssh:// goes through dockerode, loaded only then. */
export function engineFor(dockerHost: string | undefined, field: string): EngineApi {
  const conn = dockerHost === undefined ? parseDockerHost(process.env.DOCKER_HOST, { field: 'DOCKER_HOST' }) : parseDockerHost(dockerHost, { field });
  if (conn.kind === 'ssh') return dockerodeEngine(connectDocker(conn));
  return new EngineClient(conn);
}

/** dockerode behind the same few calls (ssh:// engines). */
function dockerodeEngine(docker: Docker): EngineApi {
  return {
    listContainers: (options) => docker.listContainers(options),
    getContainer: (id) => {
      const container = docker.getContainer(id);
      return { inspect: () => container.inspect(), remove: (options = {}) => container.remove(options) };
    },
    listNodes: () => docker.listNodes(),
    listTasks: (options) => docker.listTasks(options),
    getService: (id) => {
      const service = docker.getService(id);
      return { inspect: () => service.inspect(), update: (options) => service.update(options) };
    },
  };
}

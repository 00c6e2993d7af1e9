// The few Docker Engine API calls the healer makes, over node:http(s): dockerode pulls in ssh2, whose WASM crypto
// alone holds 16 MiB (plus ~10 MiB of code), so it is loaded only for an ssh:// engine, the one transport this lacks.

import http from 'node:http';
import https from 'node:https';
import type Docker from 'dockerode';
import { connectDocker, parseDockerHost, type DockerConnection } from '@consul-sidecars/core';

/** The subset of dockerode the healer's backends call; dockerode itself fits it (the ssh:// fallback, tests' stubs). */
export interface EngineApi {
  listContainers(options: { all?: boolean; filters?: Record<string, string[]> }): Promise<Docker.ContainerInfo[]>;
  getContainer(id: string): { inspect(): Promise<Docker.ContainerInspectInfo>; remove(options?: { force?: boolean; v?: boolean }): Promise<unknown> };
  listNodes(): Promise<unknown[]>;
  listTasks(options: { filters?: Record<string, string[]> }): Promise<unknown[]>;
  getService(id: string): { inspect(): Promise<{ ID: string; Version: { Index: number }; Spec: Record<string, unknown> }>; update(options: { _query: { version: number }; _body: unknown }): Promise<unknown> };
}

/** An answer outside 2xx: `statusCode` and the engine's own message, as dockerode's errors carry them. */
export class EngineError extends Error {
  constructor(message: string, readonly statusCode: number, readonly json?: unknown) {
    super(message);
    this.name = 'EngineError';
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

export class EngineClient implements EngineApi {
  private readonly agent: http.Agent;

  constructor(private readonly conn: Exclude<DockerConnection, { kind: 'ssh' }>, private readonly timeoutMs = REQUEST_TIMEOUT_MS) {
    this.agent = conn.kind === 'tcp' && conn.protocol === 'https'
      ? new https.Agent({ keepAlive: true, maxSockets: 16, ...(conn.ca ? { ca: conn.ca, cert: conn.cert, key: conn.key } : {}) })
      : new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  request<T>(method: string, path: string, query: Record<string, unknown> = {}, body?: unknown): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    const search = params.toString();
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const conn = this.conn;
    const target = conn.kind === 'unix' ? { socketPath: conn.socketPath } : { host: conn.host, port: conn.port };
    const lib = conn.kind === 'tcp' && conn.protocol === 'https' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = lib.request({
        ...target, method, path: `${path}${search ? `?${search}` : ''}`, agent: this.agent, timeout: this.timeoutMs,
        headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json as T);
          const said = (json as { message?: string } | undefined)?.message ?? text.trim();
          reject(new EngineError(`(HTTP code ${status}) ${method} ${path}: ${said}`, status, json));
        });
      });
      req.on('timeout', () => req.destroy(new EngineError(`${method} ${path}: no answer from the Docker engine within ${this.timeoutMs} ms`, 0)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  listContainers(options: { all?: boolean; filters?: Record<string, string[]> }): Promise<Docker.ContainerInfo[]> {
    return this.request('GET', '/containers/json', { all: options.all ? 1 : undefined, filters: options.filters });
  }

  getContainer(id: string): ReturnType<EngineApi['getContainer']> {
    const path = `/containers/${encodeURIComponent(id)}`;
    return {
      inspect: () => this.request('GET', `${path}/json`),
      remove: (options = {}) => this.request('DELETE', path, { force: options.force ? 1 : undefined, v: options.v ? 1 : undefined }),
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

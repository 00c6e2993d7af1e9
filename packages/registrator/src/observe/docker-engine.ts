// The four Engine API reads registrator makes (list, inspect, events, ping) over core's EngineHttp: a unix socket,
// tcp or tcp+TLS. dockerode (with ssh2, grpc-js and protobufjs, ~20 MiB of RSS at start) is loaded only for ssh:// hosts.

import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { dockerodeOptions, describeDockerConnection, EngineHttp, type DockerConnection, type EngineQuery } from '@consul-sidecars/core';

export { EngineHttpError, engineQueryString, type EngineQuery } from '@consul-sidecars/core';

export interface DockerEngine {
  /** GET `path` (without the version prefix) and parse the JSON answer; fails after `timeoutMs` without an answer. */
  getJson(path: string, query: EngineQuery, timeoutMs: number): Promise<unknown>;
  /** GET `path` and hand back the body as a stream (the event stream). */
  getStream(path: string, query: EngineQuery, signal: AbortSignal): Promise<Readable>;
  /** GET /_ping (plain text "OK"). */
  ping(timeoutMs: number): Promise<void>;
  /** Closes idle kept-alive sockets (requests in flight are not cut). */
  close(): void;
}

/** unix, tcp and tcp+TLS: core's Engine API transport. */
class HttpEngine implements DockerEngine {
  private readonly http: EngineHttp;

  constructor(conn: Exclude<DockerConnection, { kind: 'ssh' }>, version: string) {
    // One kept-alive socket per concurrent inspect: a burst of starts costs no connection set-up each.
    this.http = new EngineHttp(conn, { version, maxSockets: 16 });
  }

  getJson(path: string, query: EngineQuery, timeoutMs: number): Promise<unknown> {
    return this.http.json(path, { query, timeoutMs });
  }

  getStream(path: string, query: EngineQuery, signal: AbortSignal): Promise<Readable> {
    return this.http.request(path, { query, signal });
  }

  async ping(timeoutMs: number): Promise<void> {
    (await this.http.request('/_ping', { timeoutMs })).resume();
  }

  close(): void {
    this.http.close();
  }
}

/** ssh://: dockerode's modem, which tunnels the Engine API through ssh2. */
class ModemEngine implements DockerEngine {
  private readonly docker: Docker;

  constructor(private readonly conn: DockerConnection, version: string) {
    // Loaded here only: an ssh host is the one case that needs it.
    const DockerClass = require('dockerode') as typeof Docker;
    this.docker = new DockerClass(dockerodeOptions(conn, { version }));
  }

  private dial(path: string, query: EngineQuery, signal: AbortSignal, isStream: boolean): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.docker.modem.dial({ path: `${path}?`, method: 'GET', options: query, abortSignal: signal, isStream, statusCodes: { 200: true, 404: 'no such container', 500: 'server error' } }, (err, result) => {
        if (err) reject(err);
        else resolve(result);
      });
    });
  }

  getJson(path: string, query: EngineQuery, timeoutMs: number): Promise<unknown> {
    return this.dial(path, query, AbortSignal.timeout(timeoutMs), false);
  }

  async getStream(path: string, query: EngineQuery, signal: AbortSignal): Promise<Readable> {
    const result = await this.dial(path, query, signal, true);
    if (result instanceof Readable) return result;
    throw new Error(`GET ${path}: ${describeDockerConnection(this.conn)} answered no stream`);
  }

  async ping(timeoutMs: number): Promise<void> {
    await this.dial('/_ping', {}, AbortSignal.timeout(timeoutMs), false);
  }

  close(): void {
    // dockerode keeps no pool of its own to close.
  }
}

/** The engine client for a connection; `version` is the API version prefix, e.g. "v1.41". */
export function connectEngine(conn: DockerConnection, version: string): DockerEngine {
  return conn.kind === 'ssh' ? new ModemEngine(conn, version) : new HttpEngine(conn, version);
}

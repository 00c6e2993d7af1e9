// The four Engine API reads registrator makes (list, inspect, events, ping) over node:http: a unix socket, tcp or
// tcp+TLS. dockerode (with ssh2, grpc-js and protobufjs, ~20 MiB of RSS at start) is loaded only for ssh:// hosts.

import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { dockerodeOptions, describeDockerConnection, type DockerConnection } from '@consul-sidecars/core';

/** A non-2xx answer; `statusCode` as dockerode's errors carry it (404: no such container). */
export class EngineHttpError extends Error {
  constructor(message: string, readonly statusCode: number) {
    super(message);
    this.name = 'EngineHttpError';
  }
}

export type EngineQuery = Record<string, string | number | boolean | Record<string, string[]>>;

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

/** The query string as the Engine API reads it: objects (filters) as JSON, booleans as 1/0. */
export function engineQueryString(query: EngineQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    params.set(key, typeof value === 'object' ? JSON.stringify(value) : typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

const MAX_ERROR_BODY = 300;

class HttpEngine implements DockerEngine {
  private readonly agent: http.Agent;
  private readonly base: http.RequestOptions;
  private readonly transport: typeof http | typeof https;

  constructor(conn: Exclude<DockerConnection, { kind: 'ssh' }>, private readonly version: string) {
    if (conn.kind === 'unix') {
      this.transport = http;
      // One kept-alive socket per concurrent inspect: a burst of starts costs no connection set-up each.
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      this.base = { socketPath: conn.socketPath };
    } else if (conn.protocol === 'https') {
      this.transport = https;
      this.agent = new https.Agent({ keepAlive: true, maxSockets: 16, ca: conn.ca, cert: conn.cert, key: conn.key });
      this.base = { host: conn.host, port: conn.port };
    } else {
      this.transport = http;
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
      this.base = { host: conn.host, port: conn.port };
    }
  }

  /** A request ends at `signal` (the event stream) or after `timeoutMs` of silence (one socket timer, not a timer per call). */
  private request(path: string, query: EngineQuery, end: { signal?: AbortSignal; timeoutMs?: number }): Promise<http.IncomingMessage> {
    const fullPath = `/${this.version}${path}${engineQueryString(query)}`;
    return new Promise((resolve, reject) => {
      const req = this.transport.request({ ...this.base, agent: this.agent, method: 'GET', path: fullPath, signal: end.signal, headers: { accept: 'application/json' } }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_ERROR_BODY) text += chunk;
        });
        res.on('error', reject);
        res.on('end', () => {
          let message = text.trim();
          try {
            message = String((JSON.parse(text) as { message?: unknown }).message ?? message);
          } catch {
            // not JSON: the text itself
          }
          reject(new EngineHttpError(`GET ${path}: HTTP ${status}${message ? `: ${message.slice(0, MAX_ERROR_BODY)}` : ''}`, status));
        });
      });
      req.on('error', reject);
      if (end.timeoutMs !== undefined) req.setTimeout(end.timeoutMs, () => req.destroy(new Error(`GET ${path}: no answer within ${end.timeoutMs} ms`)));
      req.end();
    });
  }

  async getJson(path: string, query: EngineQuery, timeoutMs: number): Promise<unknown> {
    const res = await this.request(path, query, { timeoutMs });
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`GET ${path}: the engine's answer is not JSON: ${text.slice(0, 120)}`);
    }
  }

  getStream(path: string, query: EngineQuery, signal: AbortSignal): Promise<Readable> {
    return this.request(path, query, { signal });
  }

  async ping(timeoutMs: number): Promise<void> {
    (await this.request('/_ping', {}, { timeoutMs })).resume();
  }

  /** Closes the idle kept-alive sockets; requests in flight finish (or time out) on theirs. */
  close(): void {
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
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

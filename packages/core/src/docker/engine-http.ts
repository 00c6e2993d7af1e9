// The Docker Engine API over node:http(s): a unix socket, tcp or tcp+TLS, kept-alive sockets, a 2xx answer or an
// EngineHttpError with the engine's own message. What registrator's reads and the healer's calls share; dockerode
// (ssh2, grpc-js, protobufjs: ~20 MiB of RSS at start) stays for ssh:// hosts, which this does not speak.

import http from 'node:http';
import https from 'node:https';
import type { DockerConnection } from './docker-host';

/** A non-2xx answer; `statusCode` as dockerode's errors carry it (404: no such container), `json` the body if any. */
export class EngineHttpError extends Error {
  constructor(message: string, readonly statusCode: number, readonly json?: unknown) {
    super(message);
    this.name = 'EngineHttpError';
  }
}

export type EngineQuery = Record<string, string | number | boolean | Record<string, string[]> | undefined>;

/** The query string as the Engine API reads it: objects (filters) as JSON, booleans as 1/0, undefined left out. */
export function engineQueryString(query: EngineQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(key, typeof value === 'object' ? JSON.stringify(value) : typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export interface EngineRequest {
  method?: string;
  query?: EngineQuery;
  /** Sent as JSON. */
  body?: unknown;
  /** Ends the request (the event stream). */
  signal?: AbortSignal;
  /** Fails after this long without a byte (the socket's idle timer, not a timer per call). */
  timeoutMs?: number;
}

const MAX_ERROR_BODY = 300;

export interface EngineHttpOptions {
  /** The API version prefix, e.g. "v1.41"; absent: the engine's own. */
  version?: string;
  /** Kept-alive sockets at most (a burst of inspects shares them). Default 16. */
  maxSockets?: number;
}

export class EngineHttp {
  private readonly agent: http.Agent;
  private readonly base: http.RequestOptions;
  private readonly transport: typeof http | typeof https;

  constructor(conn: Exclude<DockerConnection, { kind: 'ssh' }>, private readonly options: EngineHttpOptions = {}) {
    const maxSockets = options.maxSockets ?? 16;
    if (conn.kind === 'tcp' && conn.protocol === 'https') {
      this.transport = https;
      this.agent = new https.Agent({ keepAlive: true, maxSockets, ...(conn.ca ? { ca: conn.ca, cert: conn.cert, key: conn.key } : {}) });
    } else {
      this.transport = http;
      this.agent = new http.Agent({ keepAlive: true, maxSockets });
    }
    this.base = conn.kind === 'unix' ? { socketPath: conn.socketPath } : { host: conn.host, port: conn.port };
  }

  /** The answer's stream when it is 2xx; else EngineHttpError with the engine's message. */
  request(path: string, request: EngineRequest = {}): Promise<http.IncomingMessage> {
    const method = request.method ?? 'GET';
    const fullPath = `${this.options.version ? `/${this.options.version}` : ''}${path}${engineQueryString(request.query ?? {})}`;
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    return new Promise((resolve, reject) => {
      const req = this.transport.request({
        ...this.base, agent: this.agent, method, path: fullPath, signal: request.signal,
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_ERROR_BODY) text += chunk;
        });
        res.on('error', reject);
        res.on('end', () => {
          let json: unknown;
          let message = text.trim();
          try {
            json = JSON.parse(text);
            message = String((json as { message?: unknown }).message ?? message);
          } catch {
            // not JSON: the text itself
          }
          reject(new EngineHttpError(`(HTTP code ${status}) ${method} ${path}${message ? `: ${message.slice(0, MAX_ERROR_BODY)}` : ''}`, status, json));
        });
      });
      req.on('error', reject);
      if (request.timeoutMs !== undefined) {
        req.setTimeout(request.timeoutMs, () => req.destroy(new EngineHttpError(`${method} ${path}: no answer from the Docker engine within ${request.timeoutMs} ms`, 0)));
      }
      req.end(payload);
    });
  }

  /** A 2xx answer's JSON (undefined for an empty body). */
  async json<T>(path: string, request: EngineRequest = {}): Promise<T> {
    const res = await this.request(path, request);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${request.method ?? 'GET'} ${path}: the engine's answer is not JSON: ${text.slice(0, 120)}`);
    }
  }

  /** Closes the idle kept-alive sockets; requests in flight finish (or time out) on theirs. */
  close(): void {
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
  }
}

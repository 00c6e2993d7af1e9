// One kept-alive HTTP(S) connection pool to a Consul agent: token, TLS (CA, client cert, verify), `?dc=`, timeouts,
// abort, coded errors, and one retry of an idempotent request that died on a reused socket the server had closed.

import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { consulBaseUrl, type ConsulSettings } from '../consul-client';
import { ERR_CONSUL_ABORTED, ERR_CONSUL_HTTP, ERR_CONSUL_TIMEOUT, ERR_CONSUL_UNREACHABLE } from '../error-codes';
import { ConsulError } from './consul-error';
import type { ConsecutiveFailures } from './failure-tracker';

export type QueryValue = string | number | boolean | undefined;

export interface ConsulRequestOptions {
  /** Query parameters; `true` sends a flag (`?recurse=`), `false` and undefined are left out. */
  query?: Record<string, QueryValue>;
  /** An object is sent as JSON; a string or Buffer as is (KV values). */
  body?: unknown;
  signal?: AbortSignal;
  /** Default 10 s (blocking reads: wait plus Consul's jitter, see blockingTimeoutMs). */
  timeoutMs?: number;
  /** Datacenter for this request (`?dc=`); default the client's. */
  dc?: string;
  /**
   * May the request be sent again when a reused keep-alive socket was reset under it? Default: GET and HEAD only.
   * Writes that are idempotent by Consul's semantics (agent register, deregister, check update) may opt in.
   */
  idempotent?: boolean;
  /** Statuses outside 2xx that are an answer, not an error (e.g. [404] for a KV read). */
  accept?: number[];
}

export interface ConsulReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface ConsulTransportOptions {
  /** Default datacenter sent as `?dc=` on every request (unset: the agent's own). */
  datacenter?: string;
  /** Records every request's outcome (success: any HTTP answer below 500; failure: no answer or 5xx). */
  failures?: ConsecutiveFailures;
  /** Max sockets to the agent (default 16). */
  maxSockets?: number;
}

function isStaleSocketError(err: NodeJS.ErrnoException, reused: boolean): boolean {
  return reused && (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.message === 'socket hang up');
}

function header(reply: ConsulReply, name: string): string | undefined {
  const v = reply.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The error of an answer whose body is not JSON. */
export function notJsonError(method: string, path: string, reply: ConsulReply): ConsulError {
  return new ConsulError(ERR_CONSUL_HTTP, `${method} ${path}: answer is not JSON: ${reply.text.slice(0, 120)}`, { method, path }, { status: reply.status });
}

/** X-Consul-Index as a number (0 when absent or not a number). */
export function replyIndex(reply: ConsulReply): number {
  const n = Number(header(reply, 'x-consul-index') ?? 0);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

export function replyKnownLeader(reply: ConsulReply): boolean {
  return header(reply, 'x-consul-knownleader') !== 'false';
}

/** X-Consul-LastContact in ms (0 when absent). */
export function replyLastContact(reply: ConsulReply): number {
  const n = Number(header(reply, 'x-consul-lastcontact') ?? 0);
  return Number.isFinite(n) ? n : 0;
}

export function encodeKeyPath(key: string): string {
  return key.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');
}

export class ConsulTransport {
  readonly baseUrl: string;
  readonly datacenter?: string;
  readonly failures?: ConsecutiveFailures;
  /** Requests sent (a retried request counts twice) and retries made after a reused-socket reset. */
  requestsSent = 0;
  staleSocketRetries = 0;
  private readonly agent: http.Agent;
  private readonly secure: boolean;
  private readonly token?: string;

  constructor(settings: ConsulSettings, options: ConsulTransportOptions = {}) {
    this.baseUrl = consulBaseUrl(settings);
    this.secure = settings.scheme === 'https';
    this.token = settings.token;
    this.datacenter = options.datacenter;
    this.failures = options.failures;
    const maxSockets = options.maxSockets ?? 16;
    this.agent = this.secure
      ? new https.Agent({
          keepAlive: true,
          maxSockets,
          ca: settings.caFile ? readFileSync(settings.caFile) : undefined,
          cert: settings.certFile ? readFileSync(settings.certFile) : undefined,
          key: settings.keyFile ? readFileSync(settings.keyFile) : undefined,
          servername: settings.tlsServerName,
          rejectUnauthorized: settings.verifyTls,
        })
      : new http.Agent({ keepAlive: true, maxSockets });
  }

  /** Sends one request; any HTTP answer resolves (see `call` for status checks). */
  async request(method: string, path: string, options: ConsulRequestOptions = {}): Promise<ConsulReply> {
    const retryable = options.idempotent ?? (method === 'GET' || method === 'HEAD');
    let reply: ConsulReply;
    try {
      reply = await this.send(method, path, options).catch((err: unknown) => {
        if (retryable && err instanceof ConsulError && err.details.staleSocket === true && !options.signal?.aborted) {
          this.staleSocketRetries++;
          return this.send(method, path, options);
        }
        throw err;
      });
    } catch (err) {
      if (!(err instanceof ConsulError && err.code === ERR_CONSUL_ABORTED)) this.failures?.failure(err);
      throw err;
    }
    if (reply.status >= 500) this.failures?.failure(new ConsulError(ERR_CONSUL_HTTP, `${method} ${path}: HTTP ${reply.status}`, {}, { status: reply.status }));
    else this.failures?.success();
    return reply;
  }

  /** Like request, but a status outside 2xx (and not in `accept`) throws ERR_CONSUL_HTTP with Consul's text. */
  async call(method: string, path: string, options: ConsulRequestOptions = {}): Promise<ConsulReply> {
    const reply = await this.request(method, path, options);
    if ((reply.status < 200 || reply.status >= 300) && !(options.accept ?? []).includes(reply.status)) {
      throw new ConsulError(ERR_CONSUL_HTTP, `${method} ${path}: HTTP ${reply.status}: ${reply.text.trim().slice(0, 300)}`, { method, path }, { status: reply.status });
    }
    return reply;
  }

  /** `call`, then the body as JSON (an empty body or an accepted non-2xx status is null). */
  async json(method: string, path: string, options: ConsulRequestOptions = {}): Promise<{ body: unknown; reply: ConsulReply }> {
    const { text, reply } = await this.jsonText(method, path, options);
    if (text === null) return { body: null, reply };
    try {
      return { body: JSON.parse(text), reply };
    } catch {
      throw notJsonError(method, path, reply);
    }
  }

  /** `call`, then the body's JSON text for a reader that parses it itself: null where `json` answers null. */
  async jsonText(method: string, path: string, options: ConsulRequestOptions = {}): Promise<{ text: string | null; reply: ConsulReply }> {
    const reply = await this.call(method, path, options);
    if (reply.text.trim() === '' || reply.status < 200 || reply.status >= 300) return { text: null, reply };
    return { text: reply.text, reply };
  }

  url(path: string, options: ConsulRequestOptions = {}): URL {
    const url = new URL(`${this.baseUrl}/v1${path}`);
    const dc = options.dc ?? this.datacenter;
    if (dc) url.searchParams.set('dc', dc);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v === undefined || v === false) continue; // a false flag is an absent flag; send String(x) for enable=false
      url.searchParams.set(k, v === true ? '' : String(v));
    }
    return url;
  }

  private send(method: string, path: string, options: ConsulRequestOptions): Promise<ConsulReply> {
    const url = this.url(path, options);
    const body = options.body === undefined ? undefined : typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (this.token) headers['X-Consul-Token'] = this.token;
    if (body !== undefined) {
      if (typeof options.body !== 'string' && !Buffer.isBuffer(options.body)) headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    const transport = this.secure ? https : http;
    const where = { method, path };
    this.requestsSent++;
    return new Promise<ConsulReply>((resolve, reject) => {
      const signal = options.signal;
      if (signal?.aborted) return reject(new ConsulError(ERR_CONSUL_ABORTED, `${method} ${path}: aborted`, where, { cause: signal.reason }));
      let failure: ConsulError | undefined;
      const req = transport.request(url, { method, headers, agent: this.agent, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(failure ?? new ConsulError(ERR_CONSUL_UNREACHABLE, `${method} ${path}: ${err.message}`, where, { cause: err })));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      });
      const onAbort = () => {
        failure = new ConsulError(ERR_CONSUL_ABORTED, `${method} ${path}: aborted`, where, { cause: signal?.reason });
        req.destroy(failure);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal?.removeEventListener('abort', onAbort));
      req.on('timeout', () => {
        failure = new ConsulError(ERR_CONSUL_TIMEOUT, `${method} ${path}: no answer within ${timeoutMs} ms`, { ...where, timeoutMs });
        req.destroy(failure);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (failure) return reject(failure);
        const stale = isStaleSocketError(err, req.reusedSocket);
        reject(new ConsulError(ERR_CONSUL_UNREACHABLE, `${method} ${path}: ${err.message}`, { ...where, url: url.toString(), errno: err.code, ...(stale ? { staleSocket: true } : {}) }, { cause: err }));
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Closes the kept-alive sockets (held blocking reads are cut). */
  close(): void {
    this.agent.destroy();
  }
}

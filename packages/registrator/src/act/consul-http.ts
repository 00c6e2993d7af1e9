// A minimal Consul HTTP client (keep-alive, token, CA, abort, timeouts) so registrator sends exactly the JSON it means.

import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { CodedError, consulBaseUrl, type ConsulSettings } from '@consul-sidecars/core';

export interface ConsulRequest {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ConsulReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** An HTTP status Consul answered with (code ERR_CONSUL_HTTP) or a transport failure (ERR_CONSUL_UNREACHABLE). */
export class ConsulHttpError extends CodedError {
  readonly status?: number;
  constructor(message: string, status: number | undefined, details: Record<string, unknown> = {}) {
    super(status === undefined ? 'ERR_CONSUL_UNREACHABLE' : 'ERR_CONSUL_HTTP', message, { ...details, status });
    this.name = 'ConsulHttpError';
    this.status = status;
  }
}

export class ConsulHttp {
  readonly baseUrl: string;
  private readonly agent: http.Agent;
  private readonly token?: string;
  private readonly ca?: Buffer;
  private readonly rejectUnauthorized: boolean;
  private readonly secure: boolean;

  constructor(settings: ConsulSettings) {
    this.baseUrl = consulBaseUrl(settings);
    this.secure = settings.scheme === 'https';
    this.token = settings.token;
    this.ca = settings.caFile ? readFileSync(settings.caFile) : undefined;
    this.rejectUnauthorized = settings.verifyTls;
    this.agent = this.secure
      ? new https.Agent({ keepAlive: true, maxSockets: 16, ca: this.ca, rejectUnauthorized: this.rejectUnauthorized })
      : new http.Agent({ keepAlive: true, maxSockets: 16 });
  }

  /** Every call registrator makes is idempotent, so a request that died on a reused keep-alive socket (the server closed it meanwhile) is sent once more. */
  async request(method: string, path: string, options: ConsulRequest = {}): Promise<ConsulReply> {
    try {
      return await this.send(method, path, options);
    } catch (err) {
      if ((err as { staleSocket?: boolean }).staleSocket && !options.signal?.aborted) return this.send(method, path, options);
      throw err;
    }
  }

  private send(method: string, path: string, options: ConsulRequest): Promise<ConsulReply> {
    const url = new URL(`${this.baseUrl}/v1${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v === true ? '' : String(v));
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (this.token) headers['X-Consul-Token'] = this.token;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const transport = this.secure ? https : http;
    return new Promise<ConsulReply>((resolve, reject) => {
      if (options.signal?.aborted) return reject(options.signal.reason ?? new Error('aborted'));
      const req = transport.request(url, { method, headers, agent: this.agent, timeout: options.timeoutMs ?? 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new ConsulHttpError(`${method} ${path}: ${err.message}`, undefined)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      });
      const onAbort = () => req.destroy(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => options.signal?.removeEventListener('abort', onAbort));
      req.on('timeout', () => req.destroy(new Error(`timed out after ${options.timeoutMs ?? 10_000} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (options.signal?.aborted) return reject(err);
        const wrapped = new ConsulHttpError(`${method} ${path}: ${err.message}`, undefined, { url: url.toString() });
        if (req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) Object.assign(wrapped, { staleSocket: true });
        reject(wrapped);
      });
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** Like request, but a status outside 2xx (and not in `accept`) throws ERR_CONSUL_HTTP with Consul's message. */
  async call(method: string, path: string, options: ConsulRequest & { accept?: number[] } = {}): Promise<ConsulReply> {
    const reply = await this.request(method, path, options);
    if ((reply.status < 200 || reply.status >= 300) && !(options.accept ?? []).includes(reply.status)) {
      throw new ConsulHttpError(`${method} ${path}: HTTP ${reply.status}: ${reply.text.trim().slice(0, 300)}`, reply.status);
    }
    return reply;
  }

  async json<T>(method: string, path: string, options: ConsulRequest & { accept?: number[] } = {}): Promise<{ data: T; reply: ConsulReply }> {
    const reply = await this.call(method, path, options);
    let data: T;
    try {
      data = (reply.text.trim() === '' ? null : JSON.parse(reply.text)) as T;
    } catch {
      throw new ConsulHttpError(`${method} ${path}: answer is not JSON`, reply.status);
    }
    return { data, reply };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** X-Consul-Index as a number (0 when absent). */
export function consulIndex(reply: ConsulReply): number {
  const n = Number(reply.headers['x-consul-index'] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

// Shared by the contract suite: the target under test (a real agent when CONSUL_HTTP_ADDR is set,
// otherwise an in-process stand-in), a small HTTP client that never throws on status, and
// condition polling with deadlines.

import axios, { AxiosRequestConfig } from 'axios';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { ConsulStandin, ConsulStandinOptions, startConsulStandin } from '../src';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: Buffer;
  json<T = any>(): T;
}

export interface RequestOptions {
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: Infinity });

export class Client {
  constructor(readonly baseUrl: string, readonly token?: string) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const token = options.token === undefined ? this.token : options.token;
    if (token) headers['X-Consul-Token'] = token;
    let data: unknown = options.body;
    if (data !== undefined && !Buffer.isBuffer(data) && typeof data !== 'string') data = JSON.stringify(data);
    const config: AxiosRequestConfig = {
      method,
      url: `${this.baseUrl}${path}`,
      data,
      headers,
      httpAgent: keepAlive,
      responseType: 'arraybuffer',
      transformRequest: [(d: unknown) => d],
      validateStatus: () => true,
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      timeout: options.timeoutMs ?? 15_000,
    };
    const response = await axios.request<ArrayBuffer>(config);
    const body = Buffer.from(response.data ?? new ArrayBuffer(0));
    const text = body.toString('utf8');
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) flat[name.toLowerCase()] = String(value);
    return { status: response.status, headers: flat, text, body, json: () => JSON.parse(text) };
  }

  get(path: string, options?: RequestOptions): Promise<Reply> {
    return this.request('GET', path, options);
  }

  put(path: string, body?: unknown, options?: RequestOptions): Promise<Reply> {
    return this.request('PUT', path, { ...options, body });
  }

  delete(path: string, options?: RequestOptions): Promise<Reply> {
    return this.request('DELETE', path, options);
  }
}

export interface Target {
  client: Client;
  /** Set when the target is the in-process stand-in. */
  standin?: ConsulStandin;
  real: boolean;
  /** The node name the agent reports. */
  node: string;
  stop(): Promise<void>;
}

/** Stand-in options that make time-based behaviour fast enough for tests. */
export const FAST: ConsulStandinOptions = {
  reapIntervalMs: 50,
  minDeregisterCriticalServiceAfterMs: 100,
  minCheckIntervalMs: 50,
  sessionTtlMinMs: 200,
  sessionTtlMultiplier: 1,
};

export const realAgentAddress = (): string | undefined => process.env.CONSUL_HTTP_ADDR || undefined;

function normaliseAddress(address: string): string {
  const withScheme = /^https?:\/\//.test(address) ? address : `http://${address}`;
  return withScheme.replace(/\/+$/, '');
}

export async function openTarget(options: ConsulStandinOptions = {}): Promise<Target> {
  const address = realAgentAddress();
  if (address) {
    const client = new Client(normaliseAddress(address), process.env.CONSUL_HTTP_TOKEN || undefined);
    const self = await client.get('/v1/agent/self');
    return { client, real: true, node: self.json().Config.NodeName, stop: async () => undefined };
  }
  const standin = await startConsulStandin({ ...FAST, ...options });
  const client = new Client(standin.url, options.managementToken);
  return { client, standin, real: false, node: standin.node, stop: () => standin.stop() };
}

let counter = 0;
/** A name no other test (or earlier run against a shared agent) uses. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${randomBytes(3).toString('hex')}`;
}

/** Polls until `probe` returns a truthy value, failing with `what` after the deadline. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined | false | null>, timeoutMs = 5000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Skips the current test with a reason when the target is a real agent. */
export function standinOnly(ctx: Mocha.Context, target: Target, reason: string): void {
  if (target.real) {
    ctx.test!.title += ` (skipped on a real agent: ${reason})`;
    ctx.skip();
  }
}

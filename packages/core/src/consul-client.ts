// Consul connection settings from the standard CONSUL_HTTP_* environment, and the `consul` client built from them.

import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import type Consul from 'consul';
import { ConfigError } from './errors';

export interface ConsulSettings {
  scheme: 'http' | 'https';
  host: string;
  port: number;
  token?: string;
  /** PEM file of the CA that signs the agent's certificate. */
  caFile?: string;
  /** Verify the agent's TLS certificate (CONSUL_HTTP_SSL_VERIFY, default true). */
  verifyTls: boolean;
  /** PEM client certificate and key for mutual TLS (CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY). */
  certFile?: string;
  keyFile?: string;
  /** SNI name to verify the agent's certificate against (CONSUL_TLS_SERVER_NAME). */
  tlsServerName?: string;
}

/** @deprecated The `consul` npm package client: use ConsulHttpClient (core/consul). Kept until every daemon moved. */
export type ConsulClient = InstanceType<typeof Consul>;

function parseBool(name: string, value: string): boolean {
  if (/^(1|t|true|yes)$/i.test(value)) return true;
  if (/^(0|f|false|no)$/i.test(value)) return false;
  throw new ConfigError(`${name}: invalid boolean "${value}"`, { field: name, value });
}

/** Parses an agent address as Consul's CLI does: `host:port`, `http(s)://host:port`, or a bare host (port 8500). */
export function parseConsulAddress(address: string, field = 'CONSUL_HTTP_ADDR'): Pick<ConsulSettings, 'scheme' | 'host' | 'port'> {
  const text = address.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`${field}: invalid address "${address}"`, { field, value: address });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${field}: unsupported scheme "${url.protocol}" in "${address}" (http or https)`, { field, value: address });
  }
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port ? Number(url.port) : scheme === 'https' ? 8501 : 8500;
  return { scheme, host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/**
 * Reads CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN(_FILE), CONSUL_HTTP_SSL, CONSUL_CACERT, CONSUL_HTTP_SSL_VERIFY,
 * CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY and CONSUL_TLS_SERVER_NAME.
 */
export function consulSettingsFromEnv(env: NodeJS.ProcessEnv = process.env, overrideAddress?: string): ConsulSettings {
  const address = overrideAddress || env.CONSUL_HTTP_ADDR || '127.0.0.1:8500';
  const parsed = parseConsulAddress(address, overrideAddress ? 'consul address' : 'CONSUL_HTTP_ADDR');
  const hasScheme = /^[a-z]+:\/\//i.test(address);
  if (!hasScheme && env.CONSUL_HTTP_SSL) {
    parsed.scheme = parseBool('CONSUL_HTTP_SSL', env.CONSUL_HTTP_SSL) ? 'https' : 'http';
  }
  let token = env.CONSUL_HTTP_TOKEN || undefined;
  if (!token && env.CONSUL_HTTP_TOKEN_FILE) token = readFileSync(env.CONSUL_HTTP_TOKEN_FILE, 'utf8').trim() || undefined;
  const verifyTls = env.CONSUL_HTTP_SSL_VERIFY ? parseBool('CONSUL_HTTP_SSL_VERIFY', env.CONSUL_HTTP_SSL_VERIFY) : true;
  const settings: ConsulSettings = { ...parsed, token, caFile: env.CONSUL_CACERT || undefined, verifyTls };
  if (env.CONSUL_CLIENT_CERT) settings.certFile = env.CONSUL_CLIENT_CERT;
  if (env.CONSUL_CLIENT_KEY) settings.keyFile = env.CONSUL_CLIENT_KEY;
  if (env.CONSUL_TLS_SERVER_NAME) settings.tlsServerName = env.CONSUL_TLS_SERVER_NAME;
  if (Boolean(settings.certFile) !== Boolean(settings.keyFile)) {
    const missing = settings.certFile ? 'CONSUL_CLIENT_KEY' : 'CONSUL_CLIENT_CERT';
    throw new ConfigError(`${missing} must be set together with ${settings.certFile ? 'CONSUL_CLIENT_CERT' : 'CONSUL_CLIENT_KEY'}`, { field: missing, value: undefined });
  }
  return settings;
}

export function consulBaseUrl(settings: ConsulSettings): string {
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return `${settings.scheme}://${host}:${settings.port}`;
}

/** @deprecated Use `new ConsulHttpClient(settings)` or `consulHttpClientFromEnv()` (its agent register keeps Weights). */
export function createConsulClient(settings: ConsulSettings): ConsulClient {
  const options: Record<string, unknown> = {
    host: settings.host.includes(':') ? `[${settings.host}]` : settings.host,
    port: settings.port,
    secure: settings.scheme === 'https',
  };
  if (settings.token) options.defaults = { token: settings.token };
  if (settings.caFile) options.ca = [readFileSync(settings.caFile)];
  if (settings.scheme === 'https' && !settings.verifyTls) options.rejectUnauthorized = false;
  // The deprecated `consul` package is loaded only by its remaining callers, not by every importer of core.
  const ConsulClass = require('consul') as typeof Consul;
  return new ConsulClass(options as ConstructorParameters<typeof Consul>[0]);
}

/** @deprecated Only for the `consul` package. A `ctx` for the consul package that returns the HTTP response (for X-Consul-Index) and cancels on `signal`. */
export function responseContext(signal?: AbortSignal): { ctx: EventEmitter & { includeResponse: true }; release: () => void } {
  const ctx = Object.assign(new EventEmitter(), { includeResponse: true as const });
  const onAbort = () => ctx.emit('cancel');
  signal?.addEventListener('abort', onAbort, { once: true });
  // Long-lived watchers share one signal across thousands of requests: drop the listener when each settles.
  return { ctx, release: () => signal?.removeEventListener('abort', onAbort) };
}

/** @deprecated Use ConsulHttpClient.blockingGet, whose answer is typed as its parser's result. */
export interface ConsulResponse<T> {
  data: T;
  /** X-Consul-Index, or 0 when absent. */
  index: number;
  headers: Record<string, string | string[] | undefined>;
}

/** @deprecated Use ConsulHttpClient (blockingGet / the typed reads). Calls a consul package method with `ctx` set so the response headers come back alongside the body. */
export async function callWithResponse<T>(
  method: (opts: Record<string, unknown>) => Promise<unknown>,
  options: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<ConsulResponse<T>> {
  const { ctx, release } = responseContext(signal);
  let result: [{ headers: Record<string, string> }, T];
  try {
    result = (await method({ ...options, ctx })) as [{ headers: Record<string, string> }, T];
  } finally {
    release();
  }
  const [response, data] = result;
  const index = Number(response?.headers?.['x-consul-index'] ?? 0);
  return { data, index: Number.isFinite(index) ? index : 0, headers: response?.headers ?? {} };
}

// The read endpoints as values: a path, its query and the parser of its answer. One value serves a plain read,
// a typed blocking read (client.blockingGet) and a BlockingWatcher (blockingQuery), so a query kind is written once.

import { parseAgentChecks, parseAgentServices } from './agent';
import { parseCatalogNodes, parseCatalogService, parseCatalogServices } from './catalog';
import { parseHealthChecks, parseHealthService, type HealthParseOptions } from './health';
import { parseKvEntries, parseKvKeys } from './kv';
import type { QueryValue } from './transport';
import { encodeKeyPath } from './transport';

export interface ConsulRead<T> {
  path: string;
  query?: Record<string, QueryValue>;
  parse: (body: unknown) => T;
  /**
   * The same parse from the answer's text, for a reader that keeps a small part of a large answer and need not build
   * the rest. It must return what `parse(JSON.parse(text))` returns and throw what that throws (a SyntaxError for
   * text that is not JSON). The client uses it when present; an empty or 404 answer still goes to `parse(null)`.
   * A read with its `parse` replaced must drop this too (mapRead keeps both in step).
   */
  parseText?: (text: string) => T;
  /** 404 is an answer (a missing KV key or prefix): `parse` gets null, whose lists are empty. */
  notFoundIsEmpty?: boolean;
}

export interface HealthServiceQuery extends HealthParseOptions {
  /** `?passing`: only instances whose every check passes (Consul filters). */
  passing?: boolean;
  tag?: string;
  /** Consul's `?filter=` expression. */
  filter?: string;
}

export function healthServiceRead(service: string, options: HealthServiceQuery = {}): ConsulRead<ReturnType<typeof parseHealthService>> {
  return {
    path: `/health/service/${encodeURIComponent(service)}`,
    query: { passing: options.passing || undefined, tag: options.tag || undefined, filter: options.filter },
    parse: (body) => parseHealthService(body, options),
  };
}

export function healthChecksRead(service: string): ConsulRead<ReturnType<typeof parseHealthChecks>> {
  return { path: `/health/checks/${encodeURIComponent(service)}`, parse: parseHealthChecks };
}

/** `state`: passing, warning, critical or any. */
export function healthStateRead(state: 'passing' | 'warning' | 'critical' | 'any'): ConsulRead<ReturnType<typeof parseHealthChecks>> {
  return { path: `/health/state/${state}`, parse: parseHealthChecks };
}

export function healthNodeRead(node: string): ConsulRead<ReturnType<typeof parseHealthChecks>> {
  return { path: `/health/node/${encodeURIComponent(node)}`, parse: parseHealthChecks };
}

export function catalogServicesRead(): ConsulRead<ReturnType<typeof parseCatalogServices>> {
  return { path: '/catalog/services', parse: parseCatalogServices };
}

export function catalogServiceRead(service: string, options: { tag?: string } = {}): ConsulRead<ReturnType<typeof parseCatalogService>> {
  return { path: `/catalog/service/${encodeURIComponent(service)}`, query: { tag: options.tag || undefined }, parse: parseCatalogService };
}

export function catalogNodesRead(): ConsulRead<ReturnType<typeof parseCatalogNodes>> {
  return { path: '/catalog/nodes', parse: parseCatalogNodes };
}

/** One key: [] when missing, else [entry]. */
export function kvKeyRead(key: string): ConsulRead<ReturnType<typeof parseKvEntries>> {
  return { path: `/kv/${encodeKeyPath(key)}`, parse: parseKvEntries, notFoundIsEmpty: true };
}

/** Every entry under a prefix (recursive), full keys. */
export function kvPrefixRead(prefix: string): ConsulRead<ReturnType<typeof parseKvEntries>> {
  return { path: `/kv/${encodeKeyPath(prefix)}`, query: { recurse: true }, parse: parseKvEntries, notFoundIsEmpty: true };
}

export function kvKeysRead(prefix: string, separator?: string): ConsulRead<string[]> {
  return { path: `/kv/${encodeKeyPath(prefix)}`, query: { keys: true, separator }, parse: parseKvKeys, notFoundIsEmpty: true };
}

export function agentServicesRead(filter?: string): ConsulRead<ReturnType<typeof parseAgentServices>> {
  return { path: '/agent/services', query: { filter }, parse: parseAgentServices };
}

export function agentChecksRead(filter?: string): ConsulRead<ReturnType<typeof parseAgentChecks>> {
  return { path: '/agent/checks', query: { filter }, parse: parseAgentChecks };
}

/** The same read with its value transformed (e.g. health entries -> a fingerprint, KV entries -> a role map). */
export function mapRead<T, U>(read: ConsulRead<T>, transform: (value: T) => U): ConsulRead<U> {
  const { parseText } = read;
  return { ...read, parse: (body) => transform(read.parse(body)), parseText: parseText && ((text) => transform(parseText(text))) };
}

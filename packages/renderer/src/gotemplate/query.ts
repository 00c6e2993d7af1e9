// Parses the query strings of consul-template's data functions (`tag.name?ns=x@dc~near|passing,warning`,
// `key/path@dc`, `@dc~near`) into dependencies, rejecting what consul-template rejects, in its words.

import { GoCallError } from './values';
import type { GoDependency, HealthFilter, QueryParams } from './data-source';

// [[:word:]] is [0-9A-Za-z_]: JS's \w.
const TAG = String.raw`(?:(?<tag>[\w=:.\-]+)\.)?`;
const SERVICE_NAME = String.raw`(?<name>[\w\-]+)`;
const NODE_NAME = String.raw`(?<name>[\w.\-]+)`;
const QUERY = String.raw`(?:\?(?<query>[\w\-=&]+))?`;
const DC = String.raw`(?:@(?<dc>[\w.\-]+))?`;
const NEAR = String.raw`(?:~(?<near>[\w.\-]+))?`;
const FILTER = String.raw`(?:\|(?<filter>[\w,]+))?`;
const KEY = String.raw`\/?(?<key>[^@?]+)`;

const HEALTH_SERVICE = new RegExp(`^${TAG}${SERVICE_NAME}${QUERY}${DC}${NEAR}${FILTER}$`);
const CATALOG_SERVICES = new RegExp(`^${QUERY}${DC}$`);
const CATALOG_NODES = new RegExp(`^${QUERY}${DC}${NEAR}$`);
const CATALOG_NODE = new RegExp(`^${NODE_NAME}${QUERY}${DC}$`);
const KV = new RegExp(`^${KEY}${QUERY}${DC}$`);

const FILTERS: readonly HealthFilter[] = ['any', 'passing', 'warning', 'critical', 'maintenance'];
const QUERY_KEYS = ['ns', 'peer', 'partition', 'sameness-group'];

function groups(re: RegExp, s: string, label: string): Record<string, string | undefined> {
  const m = re.exec(s);
  if (!m) throw new GoCallError(`${label}: invalid format: ${JSON.stringify(s)}`);
  return m.groups ?? {};
}

function queryParams(raw: string | undefined, label: string): QueryParams {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const [key, value] of new URLSearchParams(raw)) {
    if (!QUERY_KEYS.includes(key)) {
      throw new GoCallError(`${label}: invalid query parameter key ${JSON.stringify(key)} in query ${JSON.stringify(raw)}: supported keys: ns,peer,partition,sameness-group`);
    }
    out[key] = value;
  }
  return out;
}

function isFilter(f: string): f is HealthFilter {
  return (FILTERS as readonly string[]).includes(f);
}

export function parseHealthService(s: string): Extract<GoDependency, { kind: 'health.service' }> {
  const g = groups(HEALTH_SERVICE, s, 'health.service');
  let filters: HealthFilter[] = ['passing'];
  if (g.filter) {
    filters = [];
    for (const raw of g.filter.split(',')) {
      const f = raw.trim();
      if (f === '') continue;
      if (!isFilter(f)) throw new GoCallError(`health.service: invalid filter: ${JSON.stringify(f)} in ${JSON.stringify(s)}`);
      filters.push(f);
    }
    filters.sort();
  }
  const query = queryParams(g.query, 'health.service');
  if (query.peer && query['sameness-group']) throw new GoCallError('health.service: cannot specify both peer and sameness-group');
  return { kind: 'health.service', name: g.name ?? '', tag: g.tag || undefined, dc: g.dc || undefined, near: g.near || undefined, filters, query };
}

export function parseCatalogServices(s: string): GoDependency {
  const g = groups(CATALOG_SERVICES, s, 'catalog.services');
  return { kind: 'catalog.services', dc: g.dc || undefined, query: queryParams(g.query, 'catalog.services') };
}

export function parseCatalogNodes(s: string): GoDependency {
  const g = groups(CATALOG_NODES, s, 'catalog.nodes');
  return { kind: 'catalog.nodes', dc: g.dc || undefined, near: g.near || undefined, query: queryParams(g.query, 'catalog.nodes') };
}

/** An empty string is the local agent's node. */
export function parseCatalogNode(s: string): GoDependency {
  if (s === '') return { kind: 'catalog.node', query: {} };
  const g = groups(CATALOG_NODE, s, 'catalog.node');
  return { kind: 'catalog.node', name: g.name, dc: g.dc || undefined, query: queryParams(g.query, 'catalog.node') };
}

export function parseKvGet(s: string): Extract<GoDependency, { kind: 'kv.get' }> {
  const g = groups(KV, s, 'kv.get');
  return { kind: 'kv.get', key: g.key ?? '', dc: g.dc || undefined, query: queryParams(g.query, 'kv.get') };
}

export function parseKvList(s: string): Extract<GoDependency, { kind: 'kv.list' }> {
  const g = groups(KV, s, 'kv.list');
  return { kind: 'kv.list', prefix: g.key ?? '', dc: g.dc || undefined, query: queryParams(g.query, 'kv.list') };
}

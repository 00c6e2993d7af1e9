// The Go text/template engine (gotemplate/) behind the TemplateEngine seam: its data calls are mapped onto the
// renderer's dependencies, so a Go template and a nunjucks template asking Consul the same thing share one watch,
// and the watch's data is handed to the Go template in consul-template's shapes (its bytes are the goal: no value
// is dropped for safety here; validate-before-swap is the safety net).

import { CodedError, errorMessage } from '@consul-sidecars/core';
import { rendererError } from './errors';
import {
  compileGoTemplate,
  goDependencyKey,
  renderGoTemplate,
  TemplateParseError,
  type CatalogNode as GoCatalogNode,
  type CatalogNodeInfo,
  type GoData,
  type GoDataSource,
  type GoDependency,
  type HealthFilter,
  type HealthService,
  type KeyPair,
} from './gotemplate';
import {
  dependencyKey,
  type CatalogNode,
  type CatalogNodeServices,
  type CatalogService,
  type Dependency,
  type DependencyData,
  type DependencySource,
  type KvPair,
  type ServiceInstance,
} from './observe';
import { compareText } from './observe/payload';
import { isSafeServiceName } from './nginx-safety';
import type { RenderableTemplate, TemplateEngine } from './template-engine';
import type { RenderOutcome } from './template-env';

export interface GoEngineOptions {
  leftDelimiter?: string;
  rightDelimiter?: string;
  errorOnMissingKey?: boolean;
  functionDenylist?: string[];
  /** What env/envOrDefault read. */
  env?: NodeJS.ProcessEnv;
}

/** The renderer dependency that answers a Go template's query (identical Consul reads map to one). */
export function rendererDependency(dep: GoDependency): Dependency {
  if ('query' in dep) {
    const params = Object.keys(dep.query);
    if (params.length > 0) throw new Error(`${goDependencyKey(dep)}: ${params.map((p) => `${p}=`).join(', ')} is not supported by the renderer`);
  }
  const dc = 'dc' in dep && dep.dc ? { dc: dep.dc } : {};
  switch (dep.kind) {
    case 'health.service': {
      // Only a passing-only filter is Consul's (?passing); any other set reads every instance and filters here.
      const passingOnly = dep.filters.length === 1 && dep.filters[0] === 'passing';
      return { kind: 'health.service', service: dep.name, status: passingOnly ? 'passing' : 'any', ...(dep.tag ? { tag: dep.tag } : {}), ...dc, ...(dep.near ? { near: dep.near } : {}) };
    }
    case 'catalog.services': return { kind: 'catalog.services', ...dc };
    case 'catalog.node': return { kind: 'catalog.node', ...(dep.name ? { node: dep.name } : {}), ...dc };
    case 'catalog.nodes': return { kind: 'catalog.nodes', ...dc, ...(dep.near ? { near: dep.near } : {}) };
    case 'catalog.datacenters': return { kind: 'catalog.datacenters' };
    case 'kv.get': return { kind: 'kv.key', key: dep.key, ...dc };
    // consul-template lists the prefix as written (`a` also lists `ab/..`); `a/` is the nunjucks tree's read too.
    case 'kv.list': return { kind: 'kv.prefix', prefix: dep.prefix, asGiven: true, ...dc };
    case 'file': return { kind: 'file', path: dep.path };
  }
}

/** api.HealthChecks.AggregatedStatus: maintenance first, then the worst check. */
function goStatus(instance: ServiceInstance): string {
  return instance.Maintenance ? 'maintenance' : instance.Status;
}

function sortedTags(tags: readonly string[]): string[] {
  return [...tags].sort(compareText);
}

/** The instance each HealthService was made from: pushUpstream's peers are built from the renderer's shape. */
const instanceOf = new WeakMap<HealthService, ServiceInstance>();

/** dependency.HealthService of one instance, as consul-template builds it from a health entry. */
function healthService(i: ServiceInstance): HealthService {
  const service: HealthService = {
    Node: i.Node,
    NodeID: i.NodeID ?? '',
    NodeAddress: i.NodeAddress,
    NodeTaggedAddresses: i.NodeTaggedAddresses ?? {},
    NodeMeta: i.NodeMeta,
    ServiceMeta: i.Meta,
    Address: i.Address,
    ServiceTaggedAddresses: i.TaggedAddresses ?? {},
    ID: i.ID,
    Name: i.Name,
    Tags: sortedTags(i.Tags),
    Checks: i.Checks.map((c) => ({
      Node: c.Node ?? i.Node, CheckID: c.CheckID, Name: c.Name, Status: c.Status, Notes: c.Notes ?? '', Output: c.Output,
      ServiceID: c.ServiceID, ServiceName: c.ServiceName ?? '', ServiceTags: c.ServiceTags ?? [], Type: c.Type ?? '',
    })),
    Status: goStatus(i),
    Port: i.Port,
    Weights: i.Weights,
  };
  instanceOf.set(service, i);
  return service;
}

/** One render's pushUpstream calls, checked as the nunjucks function checks them. */
function upstreamRecorder(): { upstreams: Map<string, ServiceInstance[]>; push: (upstream: string, services: HealthService[]) => void } {
  const upstreams = new Map<string, ServiceInstance[]>();
  return {
    upstreams,
    push(upstream, services) {
      if (!isSafeServiceName(upstream)) throw new Error(`upstream ${JSON.stringify(upstream)}: not a usable upstream name`);
      if (upstreams.has(upstream)) throw new Error(`upstream ${upstream}: pushed twice in one render`);
      const instances = services.map((s) => instanceOf.get(s));
      if (!instances.every((i): i is ServiceInstance => i !== undefined)) throw new Error(`upstream ${upstream}: the list must come from service`);
      upstreams.set(upstream, instances);
    },
  };
}

function healthServices(instances: readonly ServiceInstance[], filters: readonly HealthFilter[], near: boolean): HealthService[] {
  const kept = filters.includes('any') ? instances : instances.filter((i) => filters.some((f) => f === goStatus(i)));
  const out = kept.map(healthService);
  // consul-template: sort.Stable(ByNodeThenID) unless ?near= ordered them by round-trip time.
  return near ? out : out.sort((a, b) => compareText(a.Node, b.Node) || compareText(a.ID, b.ID));
}

function nodeInfo(n: CatalogNode): CatalogNodeInfo {
  return { ID: n.ID, Node: n.Node, Address: n.Address, Datacenter: n.Datacenter, TaggedAddresses: n.TaggedAddresses ?? {}, Meta: n.Meta };
}

function catalogNode(n: CatalogNodeServices): GoCatalogNode {
  const services = n.Services.map((s) => ({ ...s, Tags: sortedTags(s.Tags) }));
  // consul-template: sort.Stable(ByService): by name, then ID.
  services.sort((a, b) => compareText(a.Service, b.Service) || compareText(a.ID, b.ID));
  return { Node: nodeInfo(n.Node), Services: services };
}

function keyPair(p: KvPair, path: string): KeyPair {
  return { Path: path, Key: p.Key, Value: p.Value, CreateIndex: p.CreateIndex ?? 0, ModifyIndex: p.ModifyIndex ?? 0, LockIndex: p.LockIndex ?? 0, Flags: p.Flags, Session: p.Session ?? '' };
}

/** What the watch of `rendererDependency(dep)` holds (the pool's lookup is untyped; its kind is the dependency's). */
interface WatchData {
  'health.service': ServiceInstance[];
  'catalog.services': CatalogService[];
  'catalog.node': CatalogNodeServices | null;
  'catalog.nodes': CatalogNode[];
  'catalog.datacenters': string[];
  'kv.get': KvPair | null;
  'kv.list': KvPair[];
  file: string | null;
}

function watchData<K extends GoDependency['kind']>(_kind: K, data: DependencyData | null): WatchData[K] {
  return data as WatchData[K];
}

/** The watch's data in the shape the Go engine expects for `dep`. */
function goData(dep: GoDependency, data: DependencyData | null): GoData {
  switch (dep.kind) {
    case 'health.service': return { kind: dep.kind, data: healthServices(watchData(dep.kind, data), dep.filters, dep.near !== undefined) };
    case 'catalog.services': return { kind: dep.kind, data: watchData(dep.kind, data).map((s) => ({ Name: s.Name, Tags: sortedTags(s.Tags) })) };
    case 'catalog.node': {
      const node = watchData(dep.kind, data);
      return { kind: dep.kind, data: node === null ? null : catalogNode(node) };
    }
    case 'catalog.nodes': return { kind: dep.kind, data: watchData(dep.kind, data).map(nodeInfo) };
    case 'catalog.datacenters': return { kind: dep.kind, data: [...watchData(dep.kind, data)] };
    case 'kv.get': {
      const pair = watchData(dep.kind, data);
      return { kind: dep.kind, data: pair === null ? null : keyPair(pair, dep.key) };
    }
    case 'kv.list': return { kind: dep.kind, data: watchData(dep.kind, data).map((p) => keyPair(p, p.Path ?? `${dep.prefix}${p.Key}`)) };
    case 'file': return { kind: dep.kind, data: watchData(dep.kind, data) };
  }
}

/**
 * One render's view of the watchers for the Go engine: records what was used (by the renderer's keys, which the
 * runner watches), and converts each answer once per answer object (the watcher hands back the same object until
 * the data changes), as the engine's data-source rules ask.
 */
class WatchedGoSource implements GoDataSource {
  readonly used = new Map<string, Dependency>();
  /** Go key -> renderer key. */
  readonly keys = new Map<string, string>();
  /** Instances per distinct health.service read: what the guard counts. */
  readonly instances = new Map<string, number>();
  usesServices = false;

  constructor(private readonly source: DependencySource, private readonly cache: WeakMap<object, Map<string, GoData>>) {}

  lookup(dep: GoDependency): GoData | undefined {
    const goKey = goDependencyKey(dep);
    const rdep = rendererDependency(dep);
    const key = dependencyKey(rdep);
    this.used.set(key, rdep);
    this.keys.set(goKey, key);
    if (dep.kind === 'health.service' || dep.kind === 'catalog.services') this.usesServices = true;
    const { ready, data } = this.source.lookup(rdep);
    if (!ready) return undefined;
    const answer = this.converted(goKey, dep, data ?? null);
    if (answer.kind === 'health.service') this.instances.set(goKey, answer.data.length);
    return answer;
  }

  private converted(goKey: string, dep: GoDependency, data: DependencyData | null): GoData {
    if (typeof data !== 'object' || data === null) return goData(dep, data);
    let byKey = this.cache.get(data);
    if (!byKey) {
      byKey = new Map();
      this.cache.set(data, byKey);
    }
    let answer = byKey.get(goKey);
    if (!answer) {
      answer = goData(dep, data);
      byKey.set(goKey, answer);
    }
    return answer;
  }
}

export function goEngine(options: GoEngineOptions = {}): TemplateEngine {
  const cache = new WeakMap<object, Map<string, GoData>>();
  return {
    compile(text, name): RenderableTemplate {
      let compiled: ReturnType<typeof compileGoTemplate>;
      try {
        // consul-template names every template "": Go's messages read `template: :LINE:COL: ...`.
        compiled = compileGoTemplate(text, { leftDelimiter: options.leftDelimiter, rightDelimiter: options.rightDelimiter, errorOnMissingKey: options.errorOnMissingKey, functionDenylist: options.functionDenylist });
      } catch (err) {
        if (!(err instanceof TemplateParseError)) throw err;
        throw rendererError('ERR_TEMPLATE_SYNTAX', `template ${name}: ${err.message}`, { template: name }, { cause: err });
      }
      return {
        name,
        render(source: DependencySource): RenderOutcome {
          const watched = new WatchedGoSource(source, cache);
          const pushed = upstreamRecorder();
          const outcome = renderGoTemplate(compiled, watched, { env: options.env, pushUpstream: pushed.push });
          const toKeys = (goKeys: string[]) => [...new Set(goKeys.map((k) => watched.keys.get(k) ?? k))].sort(compareText);
          let instances = 0;
          for (const n of watched.instances.values()) instances += n;
          return {
            output: outcome.output,
            used: watched.used,
            missing: toKeys(outcome.missing),
            blockedOn: toKeys(outcome.blockedOn),
            instances,
            usesServices: watched.usesServices,
            upstreams: pushed.upstreams,
            error: outcome.error ? new CodedError('ERR_RENDER', `template ${name}: ${errorMessage(outcome.error)}`, { template: name }, { cause: outcome.error }) : undefined,
          };
        },
      };
    },
  };
}

// The nunjucks environment templates run in: Consul functions that discover their own dependencies (a call whose
// data has not arrived records itself as missing and returns empty, as consul-template's multi-phase render does),
// helper filters, and deterministic output.

import nunjucks from 'nunjucks';
import './nunjucks-frame';
import { rendererError, type RendererErrorCode } from './errors';
import { CodedError, errorMessage } from '@consul-sidecars/core';
import {
  dependencyKey,
  healthServiceDependency,
  safeInstances,
  templateCatalogServices,
  topLevelPairs,
  type CatalogNode,
  type CatalogService,
  type Dependency,
  type DependencyData,
  type DependencySource,
  type KvPair,
  type RejectListener,
  type ServiceInstance,
  type StatusFilter,
} from './observe';
import { hostPort, isSafeServiceName, nginxQuote, nginxToken, upstreamName } from './nginx-safety';

export type { DependencySource } from './observe/dependency';

export interface RenderOutcome {
  /** The rendered text; only meaningful when `missing` and `blockedOn` are empty. */
  output: string;
  /** Every dependency the template called, by key. */
  used: Map<string, Dependency>;
  /** Keys of dependencies that have not answered yet: the render must not be written. */
  missing: string[];
  /** `key()` calls on keys that do not exist (consul-template blocks on those too). */
  blockedOn: string[];
  /** Instances returned by all distinct `service()` calls: what the guard counts. */
  instances: number;
  /** The template called services() or service(): the instance guards apply to it. */
  usesServices: boolean;
  /** What the template passed to pushUpstream(), by upstream name (the no-reload mode pushes these into nginx). */
  upstreams: Map<string, ServiceInstance[]>;
  /**
   * The upstreams pushed exactly as one service() call returned them: their dependency key, and how the template
   * views that dependency's answer. A change of only that answer can go to nginx before the next render
   * (plan/push-ahead.ts). Absent: the engine does not say (the render pushes as usual).
   */
  upstreamSources?: Map<string, UpstreamSource>;
  /** Instances of each service() answer, by dependency key (they add up to `instances`). */
  instancesByKey?: Map<string, number>;
  /**
   * Set when the template threw. `used` still lists what it called before failing, so the runner keeps watching
   * those and renders again when they change (a template fed a bad value recovers when the value is fixed).
   */
  error?: CodedError;
}

export interface UpstreamSource {
  key: string;
  /** The template's view of an answer of that dependency (what service() returns for it). */
  view: (answer: ServiceInstance[]) => ServiceInstance[];
}

export interface TemplateEnvironmentOptions {
  /** What `env()` reads; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Told of every name, tag or address dropped because it would break the rendered syntax. */
  onReject?: RejectListener;
}

export interface CompiledTemplate {
  name: string;
  /** The source text: an undefined-value error quotes the expression from it. */
  text: string;
  template: nunjucks.Template;
}

/**
 * nunjucks says only "attempted to output null or undefined value" at a line and column: name the expression
 * (`{{ i.Adress }}`) found there, so the error says which field is undefined.
 */
function namedUndefined(message: string, text: string): string {
  const at = /\[Line (\d+), Column (\d+)\] attempted to output null or undefined value/.exec(message);
  if (!at) return message;
  const line = text.split('\n')[Number(at[1]) - 1] ?? '';
  const column = Number(at[2]) - 1;
  const open = line.lastIndexOf('{{', column + 2);
  const close = line.indexOf('}}', Math.max(open, 0));
  if (open < 0 || close < 0) return message;
  const expression = line.slice(open + 2, close).trim();
  return `${message.replace(' attempted to output null or undefined value', '')} {{ ${expression} }} is undefined (a misspelt field or a missing value; use default() or an if where it may be absent)`;
}

interface RenderTracker {
  source: DependencySource;
  used: Map<string, Dependency>;
  missing: Set<string>;
  blockedOn: Set<string>;
  instancesByKey: Map<string, number>;
  /** services() or service() was called: the instance guards apply (a service vanishing from the catalog counts). */
  usesServices: boolean;
  upstreams: Map<string, ServiceInstance[]>;
  /** Each list service() returned, with its source; null when two dependencies returned the same list. */
  served: Map<ServiceInstance[], UpstreamSource | null>;
  upstreamSources: Map<string, UpstreamSource>;
  /** The last CodedError one of our functions or filters threw. */
  thrown?: CodedError;
}

type Keywords = Record<string, unknown>;

/** Objects and arrays, whose fields a template may read by name. */
function isIndexable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A call's options: nunjucks keyword arguments (`f(x, tag="a")`) or a trailing object literal (`f(x, {tag: "a"})`). */
function keywordArgs(args: unknown[]): Keywords {
  const last = args[args.length - 1];
  const out: Keywords = {};
  if (!isIndexable(last) || Array.isArray(last)) return out;
  for (const [key, value] of Object.entries(last)) if (key !== '__keywords') out[key] = value;
  return out;
}

function getPath(item: unknown, path: string): unknown {
  let node: unknown = item;
  // Any value but null/undefined has fields (a string's `length` too), as nunjucks' own lookups do.
  for (const part of path.split('.')) node = node === null || node === undefined ? undefined : Reflect.get(Object(node), part);
  return node;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && a != null && b != null && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  const sa = a == null ? '' : String(a);
  const sb = b == null ? '' : String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function asList<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

/** The `dc` option of services(), nodes(), key(), keyExists(), keyOrDefault(), ls() and tree(): validated, or absent. */
function datacenterOption(fn: string, options: Keywords): { dc?: string } {
  const unknown = Object.keys(options).filter((k) => k !== 'dc');
  if (unknown.length > 0) throw rendererError('ERR_RENDER', `${fn}: unknown option ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: dc)`, { option: unknown[0] });
  if (options.dc === undefined || options.dc === '') return {};
  const dc = String(options.dc);
  if (!DATACENTER.test(dc)) throw rendererError('ERR_UNSAFE_NAME', `${fn}: not a usable datacenter name ${JSON.stringify(dc)}`, { dc });
  return { dc };
}

/** A KV function's options: a trailing object literal or keyword arguments after the positional ones. */
function kvOptions(fn: string, args: unknown[], positional: number): { dc?: string } {
  return args.length > positional ? datacenterOption(fn, keywordArgs(args.slice(positional))) : {};
}

const STATUS_FILTERS: readonly StatusFilter[] = ['passing', 'warning', 'any'];
const SERVICE_OPTIONS = ['tag', 'status', 'dc'];

function isStatusFilter(value: unknown): value is StatusFilter {
  return STATUS_FILTERS.some((f) => f === value);
}
/** Consul's datacenter names: letters, digits, `-` and `_`. */
const DATACENTER = /^[A-Za-z0-9_-]+$/;

/** `service("web@dc2", {tag, status, dc})` -> its dependency; an unknown option or a bad value is an error naming it. */
function serviceDependency(name: unknown, options: Keywords): Dependency {
  // consul-template's `name@dc` suffix: the datacenter is part of the query, and of the watch's identity.
  const at = typeof name === 'string' ? name.lastIndexOf('@') : -1;
  const service = typeof name === 'string' && at > 0 ? name.slice(0, at) : name;
  const suffixDc = typeof name === 'string' && at > 0 ? name.slice(at + 1) : undefined;
  if (!isSafeServiceName(service)) throw rendererError('ERR_UNSAFE_NAME', `service(${JSON.stringify(name)}): not a usable service name`, { service: name });
  const unknown = Object.keys(options).filter((k) => !SERVICE_OPTIONS.includes(k));
  if (unknown.length > 0) throw rendererError('ERR_RENDER', `service(${service}): unknown option ${unknown.map((k) => JSON.stringify(k)).join(', ')} (known: ${SERVICE_OPTIONS.join(', ')})`, { service, option: unknown[0] });
  const status = options.status ?? 'passing';
  if (!isStatusFilter(status)) throw rendererError('ERR_RENDER', `service(${service}): status must be one of ${STATUS_FILTERS.join(', ')}, got ${JSON.stringify(status)}`);
  const optionDc = options.dc === undefined || options.dc === '' ? undefined : String(options.dc);
  if (suffixDc !== undefined && optionDc !== undefined && suffixDc !== optionDc) {
    throw rendererError('ERR_RENDER', `service(${JSON.stringify(name)}): datacenter given twice, "@${suffixDc}" and dc "${optionDc}"`, { service, dc: optionDc });
  }
  const dc = suffixDc ?? optionDc;
  if (dc !== undefined && !DATACENTER.test(dc)) throw rendererError('ERR_UNSAFE_NAME', `service(${JSON.stringify(name)}): not a usable datacenter name ${JSON.stringify(dc)}`, { service, dc });
  return healthServiceDependency(service, { tag: options.tag ? String(options.tag) : undefined, status, dc });
}

export class TemplateEnvironment {
  readonly nunjucks: nunjucks.Environment;
  private current?: RenderTracker;
  private readonly env: NodeJS.ProcessEnv;
  private readonly onReject?: RejectListener;
  /** The safe view of each answer, made once per answer (a watcher hands back the same object until the data changes). */
  private readonly safeViews = new WeakMap<object, unknown>();

  constructor(options: TemplateEnvironmentOptions = {}) {
    this.env = options.env ?? process.env;
    this.onReject = options.onReject;
    // Not HTML: no autoescape. trim/lstrip blocks so `{% %}` lines leave no blank lines behind. Outputting an
    // undefined value (a misspelt field, `{{ i.Adress }}`) is an error naming it, not an empty string.
    this.nunjucks = new nunjucks.Environment([], { autoescape: false, trimBlocks: true, lstripBlocks: true, throwOnUndefined: true });
    this.addConsulFunctions();
    this.addFilters();
  }

  compile(text: string, name: string): CompiledTemplate {
    try {
      return { name, text, template: new nunjucks.Template(text, this.nunjucks, name, true) };
    } catch (err) {
      throw rendererError('ERR_TEMPLATE_SYNTAX', `template ${name}: ${errorMessage(err)}`, { template: name }, { cause: err });
    }
  }

  /** Renders synchronously against whatever data `source` has now, recording what the template needed. Never throws. */
  render(compiled: CompiledTemplate, source: DependencySource, context: Record<string, unknown> = {}): RenderOutcome {
    const tracker: RenderTracker = { source, used: new Map(), missing: new Set(), blockedOn: new Set(), instancesByKey: new Map(), usesServices: false, upstreams: new Map(), served: new Map(), upstreamSources: new Map() };
    this.current = tracker;
    let output = '';
    let error: CodedError | undefined;
    try {
      output = compiled.template.render(context);
    } catch (err) {
      // nunjucks re-wraps what a function threw, losing its code: the tracker kept our own error.
      const code: string = tracker.thrown?.code ?? ('ERR_RENDER' satisfies RendererErrorCode);
      const message = errorMessage(err).replace(/\s+/g, ' ').replace(/CodedError: /, '').trim();
      error = new CodedError(code, `template ${compiled.name}: ${namedUndefined(message, compiled.text)}`, { template: compiled.name }, { cause: err });
    } finally {
      this.current = undefined;
    }
    let instances = 0;
    for (const n of tracker.instancesByKey.values()) instances += n;
    return {
      output,
      used: tracker.used,
      missing: [...tracker.missing].sort(),
      blockedOn: [...tracker.blockedOn].sort(),
      instances,
      usesServices: tracker.usesServices,
      upstreams: tracker.upstreams,
      upstreamSources: tracker.upstreamSources,
      instancesByKey: tracker.instancesByKey,
      error,
    };
  }

  private read<T extends DependencyData>(dep: Dependency, empty: T): { ready: boolean; data: T } {
    const tracker = this.current;
    if (!tracker) throw rendererError('ERR_RENDER', 'Consul functions can only be called while rendering');
    const key = dependencyKey(dep);
    tracker.used.set(key, dep);
    const { ready, data } = tracker.source.lookup(dep);
    if (!ready) {
      tracker.missing.add(key);
      return { ready: false, data: empty };
    }
    return { ready: true, data: (data ?? empty) as T };
  }

  /** `view(data)`, made once per answer object. */
  private safeView<T extends object>(data: T, view: (all: T) => T): T {
    const cached = this.safeViews.get(data) as T | undefined;
    if (cached) return cached;
    const made = view(data);
    this.safeViews.set(data, made);
    return made;
  }

  /** Records our own errors before nunjucks wraps them. */
  private guarded<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    return (...args: A) => {
      try {
        return fn(...args);
      } catch (err) {
        if (this.current && err instanceof CodedError) this.current.thrown = err;
        throw err;
      }
    };
  }

  private addConsulFunctions(): void {
    const env = { addGlobal: (name: string, fn: (...args: never[]) => unknown) => this.nunjucks.addGlobal(name, this.guarded(fn)) };

    env.addGlobal('services', (...args: unknown[]): CatalogService[] => {
      const { tag, ...rest } = keywordArgs(args);
      if (this.current) this.current.usesServices = true;
      const dep: Dependency = { kind: 'catalog.services', ...datacenterOption('services()', rest) };
      const list = this.safeView(this.read<CatalogService[]>(dep, []).data, (all) => templateCatalogServices(all, this.onReject));
      return tag ? list.filter((s) => s.Tags.includes(String(tag))) : list;
    });

    env.addGlobal('service', (name: unknown, ...rest: unknown[]): ServiceInstance[] => {
      const dep = serviceDependency(name, keywordArgs(rest));
      const result = this.read<ServiceInstance[]>(dep, []);
      const view = (answer: ServiceInstance[]): ServiceInstance[] => this.safeView(answer, (all) => safeInstances(all, String(name), this.onReject));
      const safe = view(result.data);
      const tracker = this.current;
      if (tracker) tracker.usesServices = true;
      if (result.ready && tracker) {
        const key = dependencyKey(dep);
        tracker.instancesByKey.set(key, safe.length);
        const seen = tracker.served.get(safe);
        // Equal answers may share one list: then it cannot say which dependency an upstream came from.
        tracker.served.set(safe, seen === undefined || seen?.key === key ? { key, view } : null);
      }
      return safe;
    });

    // No-reload mode: the upstream's members go to nginx's shared dict instead of the file; renders nothing.
    env.addGlobal('pushUpstream', (upstream: unknown, instances: unknown): string => {
      const tracker = this.current;
      if (!tracker) throw rendererError('ERR_RENDER', 'pushUpstream() can only be called while rendering');
      if (!isSafeServiceName(upstream)) throw rendererError('ERR_UNSAFE_NAME', `pushUpstream(${JSON.stringify(upstream)}): not a usable upstream name`, { upstream });
      if (tracker.upstreams.has(upstream)) throw rendererError('ERR_RENDER', `pushUpstream(${upstream}): pushed twice in one render`, { upstream });
      tracker.upstreams.set(upstream, asList<ServiceInstance>(instances));
      const source = Array.isArray(instances) ? tracker.served.get(instances as ServiceInstance[]) : undefined;
      if (source) tracker.upstreamSources.set(upstream, source);
      return '';
    });

    env.addGlobal('nodes', (...args: unknown[]): CatalogNode[] => this.read<CatalogNode[]>({ kind: 'catalog.nodes', ...datacenterOption('nodes()', keywordArgs(args)) }, []).data);

    env.addGlobal('key', (path: unknown, ...rest: unknown[]): string => {
      const dep: Dependency = { kind: 'kv.key', key: String(path), ...kvOptions('key()', rest, 0) };
      const result = this.read<KvPair | null>(dep, null);
      if (result.ready && result.data === null) this.current?.blockedOn.add(dependencyKey(dep));
      return result.data?.Value ?? '';
    });

    env.addGlobal('keyExists', (path: unknown, ...rest: unknown[]): boolean => this.read<KvPair | null>({ kind: 'kv.key', key: String(path), ...kvOptions('keyExists()', rest, 0) }, null).data !== null);

    // Unlike consul-template this still waits for Consul's first answer, so a default is never rendered
    // and then replaced a moment later by the real value (one write, one reload, not two).
    env.addGlobal('keyOrDefault', (path: unknown, fallback: unknown = '', ...rest: unknown[]): string => {
      const pair = this.read<KvPair | null>({ kind: 'kv.key', key: String(path), ...kvOptions('keyOrDefault()', rest, 0) }, null).data;
      return pair ? pair.Value : String(fallback ?? '');
    });

    env.addGlobal('ls', (prefix: unknown, ...rest: unknown[]): KvPair[] => topLevelPairs(this.read<KvPair[]>({ kind: 'kv.prefix', prefix: String(prefix), ...kvOptions('ls()', rest, 0) }, []).data));
    env.addGlobal('tree', (prefix: unknown, ...rest: unknown[]): KvPair[] => this.read<KvPair[]>({ kind: 'kv.prefix', prefix: String(prefix), ...kvOptions('tree()', rest, 0) }, []).data);

    env.addGlobal('env', (name: unknown, fallback: unknown = ''): string => {
      const value = this.env[String(name)];
      return value === undefined || value === '' ? String(fallback ?? '') : value;
    });
  }

  private addFilters(): void {
    const env = { addFilter: (name: string, fn: (...args: never[]) => unknown) => this.nunjucks.addFilter(name, this.guarded(fn)) };
    env.addFilter('byTag', (list: unknown, tag: unknown) => asList<{ Tags?: string[] }>(list).filter((i) => (i.Tags ?? []).includes(String(tag))));
    env.addFilter('byRole', (list: unknown, role: unknown) => asList<ServiceInstance>(list).filter((i) => i.Role === String(role)));
    env.addFilter('byMeta', (list: unknown, key: unknown, value?: unknown) =>
      asList<{ Meta?: Record<string, string> }>(list).filter((i) => {
        const v = i.Meta?.[String(key)];
        return value === undefined ? v !== undefined : v === String(value);
      }));
    // Stable sort on a dotted path ("Name", "Meta.weight"), numeric when both sides are numbers; "desc" reverses.
    env.addFilter('sortBy', (list: unknown, path: unknown, order?: unknown) => {
      const sign = order === 'desc' ? -1 : 1;
      return asList(list)
        .map((item, index) => ({ item, index }))
        .sort((a, b) => sign * compareValues(getPath(a.item, String(path)), getPath(b.item, String(path))) || a.index - b.index)
        .map((e) => e.item);
    });
    env.addFilter('contains', (list: unknown, item: unknown) => asList(list).includes(item));
    env.addFilter('hostPort', (instance: unknown) => {
      const i = instance as ServiceInstance;
      return hostPort(i.Address, i.Port);
    });
    env.addFilter('upstreamName', (name: unknown, prefix?: unknown) => upstreamName(String(name), prefix === undefined ? undefined : String(prefix)));
    env.addFilter('nginxToken', (value: unknown) => nginxToken(value));
    env.addFilter('nginxQuote', (value: unknown) => nginxQuote(value));
    env.addFilter('toJSON', (value: unknown) => JSON.stringify(value));
    env.addFilter('pluck', (list: unknown, path: unknown) => asList(list).map((item) => getPath(item, String(path))));
    // Sorted, de-duplicated strings from two lists: e.g. live service names plus the sites that must always exist.
    env.addFilter('union', (list: unknown, other: unknown) => [...new Set([...asList(list), ...asList(other)].map(String))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    env.addFilter('split', (value: unknown, separator: unknown = ',') => String(value ?? '').split(String(separator)));
  }
}

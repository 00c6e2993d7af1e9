// A wide "what changed" feed over Consul's catalog and health: three blocking queries, whatever the number of
// services watched, learn which services changed; readers then read just those, a bounded number at a time. A
// consumer watching N services holds at most FEED_BLOCKING_QUERIES + readConcurrency connections (11 by default)
// where one blocking query per service would hold N, beyond Consul's limits.http_max_conns_per_client (200).
//
// Which index moves on which write (Consul's state store, agent/consul/state/catalog.go; the stand-in moves the
// same ones): a service instance registered, changed or deregistered moves the `services` table index
// (/v1/catalog/services) and that service's index; a check written or removed moves the `checks` table index
// (/v1/health/state/any) and its service's index (a node check: every service of its node); a node written or
// removed moves the `nodes` table index (/v1/catalog/nodes) and every service of the node. So:
//   - /v1/health/state/any: its body names the service of each changed check: those services, at once; a
//     changed node check (serfHealth...) names its node: the services with checks on it first, then a sweep;
//   - /v1/catalog/services: a moved index says some instance changed, not which (the body is names and tags):
//     a name added or removed or whose tags changed, at once; then the instances of every node are read again
//     (/v1/catalog/node/<node>, one read per node) and the services whose instances were added, removed or
//     written (their ModifyIndex moved) since the last such reading are named (service-change-feed-nodes.ts);
//   - /v1/catalog/nodes: a node whose address or meta changed, or that went away: the services on it.
// Reading the nodes costs one read per node where a sweep costs one per watched service: with fewer nodes than
// services watched (1,000 services on 10 nodes), the feed reads the nodes; otherwise, or while it has no reading
// of them to compare with, it sweeps: it marks every watched service changed, each re-reads (bounded) and its
// watcher drops equal answers. The first reading is taken before readers read at all, so a change is either in
// what they read first or between two readings. Registrations with checks (registrator's) are named by the
// checks feed in the same write, so a single change costs one read before it is seen. Each reader also re-reads
// once per wait (as a blocking query times out), a safety net for anything the feed could not name.
// While a feed query fails (Consul unreachable), readers waiting on it fail too, so their watchers report the
// outage; until the feed answers again, a reader whose own read succeeds blocks on Consul itself.

import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { BackoffOptions } from '../backoff';
import { BlockingWatcher, type BlockingQuery, type BlockingQueryResult } from '../blocking-watcher';
import { Semaphore } from '../concurrency/semaphore';
import { parseDuration } from '../duration';
import { errorMessage } from '../errors';
import type { CatalogNode, CatalogService } from './catalog';
import type { BlockingAnswer, ConsulHttpClient, ReadOptions } from './client';
import { maxStaleBlockingQuery, readWithMaxStale } from './max-stale';
import { catalogNodesRead, catalogServicesRead, healthStateRead, type ConsulRead } from './reads';
import { checkMarksRead, sameMark, type CheckMark, type CheckMarks } from './service-change-feed-checks';
import { changedServices, nodeInstancesRead, sameNodeInstances, servicesOnNodes, type CatalogInstances, type NodeInstances } from './service-change-feed-nodes';
import { sameJsonValue } from '../same-json';

/** /v1/catalog/services, /v1/health/state/any and /v1/catalog/nodes: one connection each while blocked. */
export const FEED_BLOCKING_QUERIES = 3;
export const DEFAULT_FEED_READ_CONCURRENCY = 8;

export interface ServiceChangeFeedOptions {
  /** The datacenter watched (`?dc=`); absent: the agent's own. */
  dc?: string;
  /** `?stale` / `?consistent` on the feed's queries and reads. */
  consistency?: ReadOptions['consistency'];
  /** consul-template's max_stale (ms): ?stale, asked again of the leader past it (max-stale.ts). 0: off. */
  maxStaleMs?: number;
  /** `wait=` of the feed's blocking queries, and how long a reader waits before re-reading anyway. Default 60. */
  waitSeconds?: number;
  /** Reads at once through readThrough / blockingQuery (each holds a connection). Default 8. */
  readConcurrency?: number;
  logger?: Logger;
  backoff?: Partial<BackoffOptions>;
}

/** Why services were marked changed (`catalog`: a new or removed name, or instances read on their nodes). */
export type FeedChangeReason = 'checks' | 'catalog' | 'nodes' | 'sweep';

export interface ServiceChangeFeedEvents {
  /** These services (may) have changed: read them. `sweep`: every service the feed has been asked about. */
  changed: [services: string[], reason: FeedChangeReason];
  error: [err: unknown];
  recovered: [];
}

export class ServiceChangeFeed extends EventEmitter<ServiceChangeFeedEvents> {
  readonly readConcurrency: number;
  private readonly reads: Semaphore;
  private readonly waitMs: number;
  private readonly generations = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly watchers: BlockingWatcher<unknown>[] = [];
  private checks?: CheckMarks;
  private services?: Map<string, string[]>;
  /** The catalog's service names, so what the feed keeps of checks and nodes holds each name once. */
  private readonly names = new Map<string, string>();
  private servicesIndex?: number;
  /** The catalog query's last answer as parsed, what catalogServicesQuery() hands out. */
  private servicesList?: CatalogService[];
  private catalogWatcher?: BlockingWatcher<CatalogService[]>;
  /** catalogServicesQuery() readers waiting for the catalog's index to pass theirs. */
  private readonly catalogWaiters = new Set<() => void>();
  private nodes?: Map<string, CatalogNode>;
  /** The instances on every node at the last reading of them; undefined while there is none to compare with. */
  private instances?: CatalogInstances;
  /** A reading of the nodes is running; `readAgain`: the catalog moved meanwhile, so another follows it. */
  private readingNodes = false;
  private readAgain = false;
  private readonly baselines: Promise<void>;
  private markBaseline: (which: 'checks' | 'catalog' | 'nodes' | 'instances') => void = () => undefined;
  private started = false;
  private baselineDone = false;
  /** Resolves when one of the feed's queries failed before all three had answered. */
  private readonly baselineFailed: Promise<void>;
  private failBaseline: () => void = () => undefined;

  constructor(private readonly client: ConsulHttpClient, private readonly options: ServiceChangeFeedOptions = {}) {
    super();
    this.readConcurrency = options.readConcurrency ?? DEFAULT_FEED_READ_CONCURRENCY;
    this.reads = new Semaphore(this.readConcurrency);
    this.waitMs = (options.waitSeconds ?? 60) * 1000;
    const pending = new Set(['checks', 'catalog', 'nodes', 'instances']);
    this.baselines = new Promise<void>((resolve) => {
      this.markBaseline = (which) => {
        pending.delete(which);
        if (pending.size > 0) return;
        this.baselineDone = true;
        resolve();
      };
    });
    this.baselineFailed = new Promise<void>((resolve) => (this.failBaseline = resolve));
  }

  /** The most connections the feed and its reads hold at once. */
  get connectionBudget(): number {
    return FEED_BLOCKING_QUERIES + this.readConcurrency;
  }

  /** Reads running and waiting for a slot (tests, metrics). */
  get readsActive(): number {
    return this.reads.active;
  }

  get healthy(): boolean {
    return this.watchers.every((w) => w.healthy);
  }

  start(): this {
    if (this.started) return this;
    this.started = true;
    const { dc, consistency, logger, backoff } = this.options;
    const waitSeconds = this.options.waitSeconds ?? 60;
    const watch = <T>(name: string, read: ConsulRead<T>, onAnswer: (data: T, index: number) => void, everyAnswer = false): BlockingWatcher<T> => {
      const watcher = new BlockingWatcher<T>(maxStaleBlockingQuery(this.client, read, { dc, consistency, maxStaleMs: this.options.maxStaleMs ?? 0 }), {
        name: `feed:${name}`,
        logger,
        waitSeconds,
        backoff,
        // The catalog's body does not show an instance change, its index does; the checks' handler compares
        // them itself (one comparison of the 10,000 checks per answer, not two): see every answer.
        ...(everyAnswer ? { isEqual: () => false } : {}),
      });
      watcher.on('change', onAnswer);
      watcher.on('error', (err) => {
        if (!this.baselineDone) this.failBaseline();
        // The feed cannot see changes while one of its queries fails (Consul unreachable): readers waiting on it
        // fail too, so their watchers report the outage (last good data kept) instead of waiting in silence.
        this.failure = err;
        this.failures++;
        this.wakeAll();
        if (this.listenerCount('error') > 0) this.emit('error', err);
      });
      watcher.on('recovered', () => {
        if (this.healthy) this.failure = undefined;
        this.emit('recovered');
      });
      this.watchers.push(watcher as BlockingWatcher<unknown>);
      watcher.start();
      return watcher;
    };
    watch('health.state.any', checkMarksRead(healthStateRead('any')), (checks) => this.onChecks(checks), true);
    this.catalogWatcher = watch('catalog.services', catalogServicesRead(), (services, index) => this.onServices(services, index), true);
    watch('catalog.nodes', catalogNodesRead(), (nodes) => this.onNodes(nodes));
    // Part of the baseline: readers read after it, so whatever changes after it shows in the next reading.
    void this.readInstances().then((instances) => {
      this.instances = this.shareReading(undefined, instances);
    }, (err: unknown) => {
      this.options.logger?.debug({ err: errorMessage(err) }, 'feed: the first reading of the nodes failed; a catalog change sweeps until one succeeds');
    }).finally(() => this.markBaseline('instances'));
    return this;
  }

  /**
   * Every node's instances, read within the read concurrency: the nodes the nodes query last answered (the first
   * reading lists them itself). A node that query has not shown yet is read again once it does (onNodes); one it
   * still lists but the catalog lost reads as null, its instances gone.
   */
  private async readInstances(): Promise<CatalogInstances> {
    const read = <T>(r: ConsulRead<T>): Promise<T> => this.readThrough(async () => (await readWithMaxStale(this.client, r, { dc: this.options.dc, consistency: this.options.consistency, maxStaleMs: this.options.maxStaleMs ?? 0 })).value);
    const nodes = this.nodes ? [...this.nodes.keys()] : (await read(catalogNodesRead())).map((node) => node.Node);
    const out: CatalogInstances = new Map();
    const empty: NodeInstances = new Map();
    await Promise.all(nodes.map(async (node) => out.set(node, (await read(nodeInstancesRead(node))) ?? empty)));
    return out;
  }

  /** `next` keeping `before`'s map of each node whose instances are the same, and the catalog's name strings. */
  private shareReading(before: CatalogInstances | undefined, next: CatalogInstances): CatalogInstances {
    for (const [node, instances] of next) {
      const was = before?.get(node);
      if (was && sameNodeInstances(was, instances)) {
        next.set(node, was);
        continue;
      }
      for (const instance of instances.values()) instance.service = this.serviceName(instance.service);
    }
    return next;
  }

  /** A node per read pays when there are fewer nodes than watched services (each of which a sweep reads). */
  private nodeReadingPays(): boolean {
    return this.nodes !== undefined && this.nodes.size + 1 < this.generations.size;
  }

  /** The catalog moved: read the nodes again (once more after a running reading) and name what changed. */
  private readNodesAgain(): void {
    this.readAgain = true;
    if (this.readingNodes) return;
    this.readingNodes = true;
    void (async () => {
      try {
        while (this.readAgain && this.watchers.length > 0) {
          this.readAgain = false;
          let next: CatalogInstances;
          try {
            next = await this.readInstances();
          } catch (err) {
            // Nothing to compare the next reading with: everything may have changed meanwhile.
            this.options.logger?.debug({ err: errorMessage(err) }, 'feed: reading the nodes failed; sweeping');
            this.instances = undefined;
            this.sweep([], 'catalog');
            continue;
          }
          const before = this.instances;
          this.instances = this.shareReading(before, next);
          if (before) this.mark(changedServices(before, next), 'catalog');
          else this.sweep([], 'catalog');
        }
      } finally {
        this.readingNodes = false;
      }
    })();
  }

  async stop(): Promise<void> {
    await Promise.all(this.watchers.splice(0).map((w) => w.stop()));
    this.wakeAll();
  }

  /** The last error of a feed query while any of them fails; undefined while all answer. */
  private failure: unknown;
  /** Feed query errors so far: a reader that saw one while it waited fails too. */
  private failures = 0;

  private wakeAll(): void {
    for (const set of [...this.waiters.values()]) for (const wake of [...set]) wake();
    this.waiters.clear();
    for (const wake of [...this.catalogWaiters]) wake();
  }

  /**
   * Until the feed has its first answers (Consul down at start, or an agent that refuses the wide reads): 'feed' once
   * they are in, 'direct' when one of its queries failed first (the caller then reads Consul itself).
   */
  private firstAnswers(signal: AbortSignal): Promise<'feed' | 'direct'> {
    return abortable(Promise.race([this.baselines.then(() => 'feed' as const), this.baselineFailed.then(() => 'direct' as const)]), signal);
  }

  /** Resolves once the three queries have answered (changes after that are seen). */
  ready(): Promise<void> {
    return this.baselines;
  }

  /** A counter that moves each time `service` is marked changed. */
  generation(service: string): number {
    let gen = this.generations.get(service);
    if (gen === undefined) this.generations.set(service, (gen = 0));
    return gen;
  }

  /** Resolves when `service`'s generation passes `since`, after `timeoutMs`, or on abort (then rejects). */
  waitForChange(service: string, since: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.generation(service) > since) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let set = this.waiters.get(service);
      if (!set) this.waiters.set(service, (set = new Set()));
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(service) === set) this.waiters.delete(service);
        resolve();
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason ?? new Error('aborted'));
      };
      const timer = setTimeout(done, timeoutMs);
      set.add(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private firstReads = 0;
  private firstReadsDone?: { promise: Promise<void>; resolve: () => void };

  private firstReadsBarrier(): Promise<void> {
    if (this.firstReads === 0) return Promise.resolve();
    if (!this.firstReadsDone) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.firstReadsDone = { promise, resolve };
    }
    return this.firstReadsDone.promise;
  }

  private firstReadDone(): void {
    this.firstReads--;
    if (this.firstReads > 0) return;
    const done = this.firstReadsDone;
    this.firstReadsDone = undefined;
    done?.resolve();
  }

  /** Runs one read within the feed's read concurrency. */
  readThrough<T>(task: () => Promise<T>): Promise<T> {
    return this.reads.run(task);
  }

  /**
   * A BlockingQuery (for a BlockingWatcher) over `read`, a read of `service`: instead of holding a connection
   * blocked on Consul, it waits in memory for the feed to mark the service changed (or for the wait to pass),
   * then reads once, within the read concurrency. The index it answers is the read's X-Consul-Index.
   */
  blockingQuery<T>(service: string, read: ConsulRead<T>, options: ReadOptions = {}): BlockingQuery<T> {
    let seen = -1;
    const readOptions: ReadOptions = { dc: this.options.dc, consistency: this.options.consistency, ...options };
    return async ({ index, wait, timeoutMs, signal }): Promise<BlockingQueryResult<T>> => {
      this.start();
      if (!this.baselineDone) {
        // Until the feed has its first answers (Consul down at start, or an agent that refuses the wide reads):
        // a blocking query of the reader's own, as without the feed.
        const via = await this.firstAnswers(signal);
        if (via === 'direct') {
          seen = this.generation(service);
          const answer = await readWithMaxStale(this.client, read, { ...readOptions, index, wait, timeoutMs, signal, maxStaleMs: this.options.maxStaleMs ?? 0 });
          return { data: answer.value, index: answer.index, knownLeader: answer.knownLeader, lastContact: answer.lastContact };
        }
      } else if (index !== undefined && seen >= 0 && this.failure !== undefined) {
        // The feed is failing or still backing off after an outage, but this reader's own read succeeded: it
        // cannot rely on the feed to name its changes yet, so it blocks on Consul itself (one connection, as
        // without the feed) until the feed answers again. No re-read loop, no change missed meanwhile.
        seen = this.generation(service);
        const answer = await readWithMaxStale(this.client, read, { ...readOptions, index, wait, timeoutMs, signal, maxStaleMs: this.options.maxStaleMs ?? 0 });
        return { data: answer.value, index: answer.index, knownLeader: answer.knownLeader, lastContact: answer.lastContact };
      } else if (index !== undefined && seen >= 0) {
        // A feed query failing while this reader waits (Consul went away) fails the reader too, so its watcher
        // reports the outage; its own reads then fail or succeed as Consul does.
        const failuresBefore = this.failures;
        const waitMs = wait ? parseDuration(wait, 'wait') : this.waitMs;
        // Consul adds up to wait/16 of jitter: readers started together do not all re-read at once.
        await this.waitForChange(service, seen, waitMs + Math.random() * (waitMs / 16), signal);
        if (this.failures > failuresBefore && this.failure !== undefined) throw this.failure;
      }
      const first = index === undefined;
      seen = this.generation(service);
      if (first) this.firstReads++;
      let answer: BlockingAnswer<T>;
      try {
        answer = await this.readThrough(() => readWithMaxStale(this.client, read, { ...readOptions, signal, maxStaleMs: this.options.maxStaleMs ?? 0 }));
      } finally {
        if (first) this.firstReadDone();
      }
      // First answers go out together once every first read queued with this one is in: a consumer that
      // renders on each answer (a template watching 1,000 services) renders once, not once per service.
      if (first) await abortable(this.firstReadsBarrier(), signal);
      return { data: answer.value, index: answer.index, knownLeader: answer.knownLeader, lastContact: answer.lastContact };
    };
  }

  /**
   * A BlockingQuery of /v1/catalog/services (a template's services()) answered from the feed's own catalog query:
   * the same parsed answer, the same index, no read and no connection of its own. It waits for the catalog's index
   * to pass the one it is given (or for the wait to pass); while the feed has no answer yet, or its queries fail,
   * it reads (and blocks on) Consul itself, as the readers of blockingQuery do.
   */
  catalogServicesQuery(): BlockingQuery<CatalogService[]> {
    const readOptions: ReadOptions = { dc: this.options.dc, consistency: this.options.consistency };
    const own = async (params: { index?: number; wait?: string; timeoutMs?: number; signal: AbortSignal }): Promise<BlockingQueryResult<CatalogService[]>> => {
      const answer = await readWithMaxStale(this.client, catalogServicesRead(), { ...readOptions, ...params, maxStaleMs: this.options.maxStaleMs ?? 0 });
      return { data: answer.value, index: answer.index, knownLeader: answer.knownLeader, lastContact: answer.lastContact };
    };
    return async ({ index, wait, timeoutMs, signal }) => {
      this.start();
      if (!this.baselineDone) {
        const via = await this.firstAnswers(signal);
        if (via === 'direct') return own({ index, wait, timeoutMs, signal });
      }
      if (this.failure !== undefined) return own({ index, wait, timeoutMs, signal });
      if (index !== undefined && (this.servicesIndex ?? 0) <= index) {
        const failuresBefore = this.failures;
        const waitMs = wait ? parseDuration(wait, 'wait') : this.waitMs;
        await abortable(new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            this.catalogWaiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, waitMs + Math.random() * (waitMs / 16));
          this.catalogWaiters.add(done);
          signal.addEventListener('abort', done, { once: true });
        }), signal);
        if (this.failures > failuresBefore && this.failure !== undefined) throw this.failure;
      }
      const list = this.servicesList;
      if (list === undefined || this.servicesIndex === undefined) return own({ index, wait, timeoutMs, signal });
      return { data: list, index: this.servicesIndex, knownLeader: this.catalogWatcher?.knownLeader, lastContact: this.catalogWatcher?.lastContactMs };
    };
  }

  private mark(services: Iterable<string>, reason: FeedChangeReason): void {
    const names = [...new Set(services)];
    if (names.length === 0) return;
    for (const name of names) {
      this.generations.set(name, this.generation(name) + 1);
      const set = this.waiters.get(name);
      if (set) for (const wake of [...set]) wake();
    }
    this.options.logger?.debug({ services: names.length, reason }, 'feed: services changed');
    this.emit('changed', names, reason);
  }

  /** Every service asked about, after `first` (those read first: their readers queue first). */
  private sweep(first: Iterable<string>, reason: FeedChangeReason): void {
    const named = new Set(first);
    this.mark(named, reason);
    this.mark([...this.generations.keys()].filter((name) => !named.has(name)), 'sweep');
  }

  /** Services with a check on each of these nodes (the best guess of what a node change touches first). */
  private servicesWithChecksOn(nodes: ReadonlySet<string>): string[] {
    const out = new Set<string>();
    for (const node of nodes) for (const check of this.checks?.get(node)?.values() ?? []) if (check.service) out.add(check.service);
    return [...out];
  }

  /**
   * A change of these nodes (or of a node check on them) touches every instance on them: with a reading of the
   * nodes, those of its services (an instance registered since is named by the reading its write started); without
   * one, the services with checks there first, then a sweep.
   */
  private nodesChanged(nodes: ReadonlySet<string>, named: Iterable<string>, reason: FeedChangeReason): void {
    if (this.instances) {
      this.mark([...named, ...servicesOnNodes(this.instances, nodes), ...this.servicesWithChecksOn(nodes)], reason);
      return;
    }
    this.sweep([...named, ...this.servicesWithChecksOn(nodes)], reason);
  }

  /** Every answer (the watcher compares none): `next` keeps the previous answer's marks where they are the same. */
  private onChecks(next: CheckMarks): void {
    const previous = this.checks;
    this.checks = next;
    if (!previous) {
      this.markBaseline('checks');
      return;
    }
    const services = new Set<string>();
    const nodes = new Set<string>();
    const note = (node: string, check: CheckMark): void => {
      if (check.service) services.add(check.service);
      else nodes.add(node);
    };
    for (const [node, checks] of next) {
      const was = previous.get(node);
      let same = was !== undefined && was.size === checks.size;
      for (const [id, check] of checks) {
        const before = was?.get(id);
        if (before && sameMark(before, check)) {
          checks.set(id, before);
          continue;
        }
        same = false;
        check.service = this.serviceName(check.service);
        note(node, check);
        if (before && before.service !== check.service) note(node, before);
      }
      if (was && same) next.set(node, was);
      else if (was) for (const [id, check] of was) if (!checks.has(id)) note(node, check);
    }
    for (const [node, was] of previous) if (!next.has(node)) for (const check of was.values()) note(node, check);
    if (nodes.size > 0) {
      // A node check changes every instance of its node; instances without checks are not in this list.
      this.nodesChanged(nodes, services, 'checks');
      return;
    }
    this.mark(services, 'checks');
  }

  /** `name` as the catalog's own string when it has one. */
  private serviceName(name: string): string {
    return this.names.get(name) ?? name;
  }

  private onServices(list: CatalogService[], index: number): void {
    this.servicesList = list;
    for (const wake of [...this.catalogWaiters]) wake();
    const next = new Map(list.map((service) => [service.Name, service.Tags]));
    this.names.clear();
    for (const service of list) this.names.set(service.Name, service.Name);
    const previous = this.services;
    const previousIndex = this.servicesIndex;
    this.services = next;
    this.servicesIndex = index;
    if (!previous) {
      this.markBaseline('catalog');
      return;
    }
    if (index === previousIndex) return;
    const named: string[] = [];
    for (const [name, tags] of next) if (!sameJsonValue(previous.get(name), tags)) named.push(name);
    for (const name of previous.keys()) if (!next.has(name)) named.push(name);
    if (!this.nodeReadingPays()) {
      // The reading of the nodes is not kept up to date from here on: the next one has nothing to compare with.
      this.instances = undefined;
      this.sweep(named, 'catalog');
      return;
    }
    this.mark(named, 'catalog');
    this.readNodesAgain();
  }

  private onNodes(list: CatalogNode[]): void {
    const next = new Map(list.map((node) => [node.Node, node]));
    const previous = this.nodes;
    this.nodes = next;
    if (!previous) {
      this.markBaseline('nodes');
      return;
    }
    const changed = new Set<string>();
    let added = false;
    for (const [name, node] of next) {
      const before = previous.get(name);
      // A node that is new has no instances yet: its registrations move the catalog's index...
      if (before && !sameJsonValue(before, node)) changed.add(name);
      added ||= !before;
    }
    for (const name of previous.keys()) if (!next.has(name)) changed.add(name);
    if (changed.size > 0) this.nodesChanged(changed, [], 'nodes');
    // ...but a reading of the nodes that began before this answer did not read it.
    if (added && this.instances) this.readNodesAgain();
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    }, reject);
  });
}

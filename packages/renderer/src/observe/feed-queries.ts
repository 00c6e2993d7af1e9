// The renderer's connection budget: `service` queries of the local datacenter are woken by core's
// ServiceChangeFeed (three blocking queries for every service, reads bounded) instead of one blocking query each.
// Budget, at any number of services: the Consul client's maxSockets (16 by default; keep it <= 64): the feed's 3
// blocking queries and up to `readConcurrency` (8) reads, plus one connection per other watch while it is blocked
// (keys, trees, `nodes`, `node`, and `service` or `services` of another datacenter, which keep a blocking query
// each, as consul-template does). Those are few per template; when they pass maxSockets - feedBudget the
// factory warns: they would queue behind each other in the client. consul.maxStale (consul-template's max_stale)
// applies to both.

import { ServiceChangeFeed, silentLogger, withMaxStale, type BlockingQuery, type ConsulHttpClient, type Logger, type ServiceChangeFeedOptions } from '@consul-sidecars/core';
import type { Dependency, DependencyData, RejectListener } from './dependency';
import { dependencyQuery } from './kinds';
import { healthServiceDependencyRead } from './service';
import type { QueryFactory } from './watcher-pool';

export interface FeedQueryOptions extends Pick<ServiceChangeFeedOptions, 'readConcurrency' | 'waitSeconds' | 'consistency' | 'backoff' | 'maxStaleMs'> {
  logger?: Logger;
  /** The client's socket cap (what the budget is); default 16, core's transport default. */
  maxSockets?: number;
}

/** A query factory that also owns a feed: stop() it with the pool. */
export interface FeedQueryFactory extends QueryFactory {
  readonly feed: ServiceChangeFeed;
  /** Watches that keep a blocking query of their own (each holds a connection while blocked). */
  readonly ownQueries: number;
  stop(): Promise<void>;
}

export function feedQueryFactory(consul: ConsulHttpClient, onReject: RejectListener | undefined, options: FeedQueryOptions = {}): FeedQueryFactory {
  const logger = options.logger ?? silentLogger();
  const feed = new ServiceChangeFeed(consul, { ...options, logger });
  // consul-template's max_stale, on the watches that keep their own query too.
  const reads = withMaxStale(consul, options.maxStaleMs ?? 0, (lastContactMs) => logger.debug({ lastContactMs, maxStaleMs: options.maxStaleMs }, 'stale answer past max_stale; asked the leader'));
  const maxSockets = options.maxSockets ?? 16;
  let ownQueries = 0;
  let warned = false;
  const factory = ((dep: Dependency): BlockingQuery<DependencyData> => {
    if (dep.kind === 'health.service' && !dep.dc) return feed.blockingQuery(dep.service, healthServiceDependencyRead(dep));
    // services() of the local datacenter: the feed's own catalog answer (no second read of it, no connection).
    if (dep.kind === 'catalog.services' && !dep.dc) return feed.catalogServicesQuery();
    if (dep.kind !== 'file') ownQueries++;
    if (!warned && ownQueries > maxSockets - feed.connectionBudget) {
      warned = true;
      logger.warn({ ownQueries, maxSockets, feedBudget: feed.connectionBudget }, 'more key/tree/catalog watches than the Consul client has sockets for beside the service feed; some will wait for a socket');
    }
    return dependencyQuery(reads, dep, onReject);
  }) as FeedQueryFactory;
  Object.defineProperty(factory, 'feed', { value: feed });
  Object.defineProperty(factory, 'ownQueries', { get: () => ownQueries });
  Object.defineProperty(factory, 'stop', { value: () => feed.stop() });
  return factory;
}

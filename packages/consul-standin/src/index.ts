// consul-standin: Consul's HTTP API for tests, benchmarks and demos. A single node
// (startConsulStandin), or a cluster shaped like Consul's: a server (startConsulServer) holding
// the state and client agents (startConsulAgent), one per host, that forward to it.

import { Agent } from './agent';
import { ClientLink } from './client-agent';
import { clusterRoutes } from './cluster-endpoints';
import { ClusterMembers } from './cluster-members';
import { MemberView } from './member-view';
import {
  ConsulAgentOptions,
  ConsulServerOptions,
  ConsulStandinOptions,
  resolveClusterTiming,
  resolveOptions,
} from './options';
import { Route } from './router';
import { ReadCacheStats } from './read-cache';
import { ServerShape, StandinServer } from './server';

export type { ConsulAgentOptions, ConsulServerOptions, ConsulStandinOptions } from './options';
export type { MemberView } from './member-view';
export type { ReadCacheStats } from './read-cache';

export interface ConsulStandin {
  /** "http://127.0.0.1:PORT" */
  readonly url: string;
  /** "127.0.0.1:PORT", the form CONSUL_HTTP_ADDR takes. */
  readonly address: string;
  readonly port: number;
  readonly node: string;
  readonly datacenter: string;
  /** Requests served since start (or since resetRequestCounts). */
  readonly requestCount: number;
  /** Requests by URL path (query excluded), e.g. { "/v1/kv/app/config": 3 }. */
  requestCounts(): Record<string, number>;
  resetRequestCounts(): void;
  /** The current raft-like index (the last write's). */
  readonly index: number;
  /** Blocking queries currently held. */
  readonly parkedQueries: number;
  /** Open HTTP connections by client address (what limits.http_max_conns_per_client counts). */
  connectionsByClient(): Record<string, number>;
  /** The most connections each client address held at once since start or resetConnectionPeaks(). */
  connectionPeaks(): Record<string, number>;
  resetConnectionPeaks(): void;
  /** limits.http_max_conns_per_client now (0: none); changed as a config reload changes it (open connections stay). */
  httpMaxConnsPerClient: number;
  /** Connections refused with 429 because their client was at limits.http_max_conns_per_client. */
  readonly refusedConnections: number;
  /**
   * The follower that answers ?stale reads: X-Consul-LastContact (ms since it heard from the leader) and
   * X-Consul-KnownLeader. Default 0 and true; default and ?consistent reads are the leader's (0, true).
   */
  setFollower(state: { lastContactMs?: number; knownLeader?: boolean }): void;
  /** Runs the DeregisterCriticalServiceAfter reaper now rather than on its next tick. */
  reapNow(): void;
  /** The cache of catalog and health answers: entries and bytes held now (current state only), hits and misses since start. */
  readCacheStats(): ReadCacheStats;
  /** Stops listening, drops every connection (held blocking queries too) and all timers. */
  stop(): Promise<void>;
}

export interface ConsulServer extends ConsulStandin {
  /** Federates with another datacenter's server ("host:port" or URL); call it on both sides. */
  federate(datacenter: string, address: string): void;
  /** Serf's member list as /v1/agent/members shows it. */
  members(): MemberView[];
}

export interface ConsulAgent extends ConsulStandin {
  /** The server this agent forwards to and heartbeats. */
  readonly serverUrl: string;
  /** True while heartbeats reach the server. */
  readonly joined: boolean;
  /** Resolves when the agent has left gracefully (PUT /v1/agent/leave or leave()) and stopped. */
  readonly left: Promise<void>;
  /** A graceful leave: the node and its services leave the catalog at once, then the agent stops. */
  leave(): Promise<void>;
  /** Stops at once without leaving, as kill -9 would: the server notices after its detection window. */
  kill(): Promise<void>;
}

async function listen(agent: Agent, server: StandinServer, stopExtra: () => void): Promise<ConsulStandin> {
  const { options } = agent;
  let port: number;
  try {
    port = await server.listen(options.host, options.port);
  } catch (err) {
    stopExtra();
    agent.stop();
    throw err;
  }
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const address = `${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${address}`,
    address,
    port,
    node: options.node,
    datacenter: options.datacenter,
    get requestCount() {
      return server.counter.total;
    },
    requestCounts: () => Object.fromEntries(server.counter.byPath),
    resetRequestCounts: () => server.counter.reset(),
    get index() {
      return agent.store.lastIndex;
    },
    get parkedQueries() {
      return agent.store.hub.parked;
    },
    connectionsByClient: () => server.connections.openByClient(),
    connectionPeaks: () => server.connections.peakByClient(),
    resetConnectionPeaks: () => server.connections.resetPeaks(),
    get httpMaxConnsPerClient() {
      return server.connections.max;
    },
    set httpMaxConnsPerClient(value: number) {
      server.connections.max = value;
    },
    get refusedConnections() {
      return server.connections.refused;
    },
    setFollower: (state) => Object.assign(server.follower, state),
    reapNow: () => agent.reaper.reap(),
    readCacheStats: () => server.reads.stats(),
    stop: () => {
      stopping ??= (async () => {
        stopExtra();
        agent.stop();
        await server.close();
      })();
      return stopping;
    },
  };
}

export async function startConsulStandin(options: ConsulStandinOptions = {}): Promise<ConsulStandin> {
  const agent = new Agent(resolveOptions(options));
  return listen(agent, new StandinServer(agent), () => undefined);
}

/** A cluster's server: everything the single node does, plus members, detection and federation. */
export async function startConsulServer(options: ConsulServerOptions = {}): Promise<ConsulServer> {
  const timing = resolveClusterTiming(options);
  const agent = new Agent(resolveOptions({ node: 'server-1', ...options }));
  const members = new ClusterMembers(agent, timing);
  for (const peer of options.federation ?? []) agent.federation.join(peer.datacenter, peer.address);
  const standin = await listen(agent, new StandinServer(agent, { routes: clusterRoutes(members) }), () => members.stop());
  return Object.assign(standin, {
    federate: (datacenter: string, address: string) => agent.federation.join(datacenter, address),
    members: () => members.views(),
  });
}

/** A client agent on one host: its node's agent endpoints; the rest is forwarded to its server. */
export async function startConsulAgent(options: ConsulAgentOptions): Promise<ConsulAgent> {
  if (!options.serverAddress) throw new Error('serverAddress: required (the server\'s "host:port")');
  const agent = new Agent(resolveOptions(options), 'client');
  let link: ClientLink | undefined;
  let markLeft: () => void = () => undefined;
  const left = new Promise<void>((resolve) => (markLeft = resolve));
  let standin: ConsulStandin | undefined;
  const leave = async (): Promise<void> => {
    await link?.leave();
    agent.options.log({ level: 'info', msg: 'left the cluster', node: agent.options.node });
    markLeft();
  };
  const leaveRoute: Route = {
    pattern: '/v1/agent/leave',
    methods: ['PUT'],
    acl: () => ({ resource: 'operator', level: 'write' }),
    handle: async () => {
      try {
        await leave();
      } finally {
        // Consul's agent shuts down after a leave (heartbeats have stopped either way); let this answer go out first.
        setTimeout(() => void standin?.stop(), 20).unref();
      }
      return {};
    },
  };
  const shape: ServerShape = { routes: [leaveRoute], fallback: (ctx) => (link as ClientLink).forward(ctx) };
  const server = new StandinServer(agent, shape);
  link = new ClientLink(agent, server.forwarder, {
    serverAddress: options.serverAddress,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    antiEntropyIntervalMs: options.antiEntropyIntervalMs ?? 60_000,
  });
  const started = await listen(agent, server, () => link?.stop());
  standin = started;
  await link.start();
  const live = link;
  Object.defineProperty(started, 'joined', { get: () => live.joined, enumerable: true });
  return Object.assign(started as ConsulStandin & { readonly joined: boolean }, {
    serverUrl: live.serverUrl,
    left,
    leave: async () => {
      try {
        await leave();
      } finally {
        await started.stop();
      }
    },
    kill: () => started.stop(),
  });
}

export { DEFAULT_HTTP_MAX_CONNS_PER_CLIENT, TOO_MANY_CONNS_TEXT } from './connection-limit';

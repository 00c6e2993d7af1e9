// consul-standin: a single-node Consul agent speaking Consul's HTTP API, for tests, benchmarks and demos.

import { Agent } from './agent';
import { ConsulStandinOptions, resolveOptions } from './options';
import { StandinServer } from './server';

export type { ConsulStandinOptions } from './options';

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
  /** Runs the DeregisterCriticalServiceAfter reaper now rather than on its next tick. */
  reapNow(): void;
  /** Stops listening, drops every connection (held blocking queries too) and all timers. */
  stop(): Promise<void>;
}

export async function startConsulStandin(options: ConsulStandinOptions = {}): Promise<ConsulStandin> {
  const resolved = resolveOptions(options);
  const agent = new Agent(resolved);
  const server = new StandinServer(agent);
  let port: number;
  try {
    port = await server.listen(resolved.host, resolved.port);
  } catch (err) {
    agent.stop();
    throw err;
  }
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  const address = `${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${address}`,
    address,
    port,
    node: resolved.node,
    datacenter: resolved.datacenter,
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
    reapNow: () => agent.reaper.reap(),
    stop: () => {
      stopping ??= (async () => {
        agent.stop();
        await server.close();
      })();
      return stopping;
    },
  };
}

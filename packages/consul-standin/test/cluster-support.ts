// Shared by the cluster cases: a stand-in cluster (a server and client agents on their own
// loopback addresses), or a real one when CONSUL_HTTP_ADDR is set; and a TCP link between an
// agent and its server that a test can cut and restore, as a host whose network went away.

import net from 'node:net';
import { AddressInfo } from 'node:net';
import { ConsulAgent, ConsulAgentOptions, ConsulServer, ConsulServerOptions, startConsulAgent, startConsulServer } from '../src';
import { Client, FAST, realAgentAddress } from './support';

/** Detection and heartbeat windows short enough for tests. */
export const FAST_CLUSTER: ConsulServerOptions = { ...FAST, failureDetectionMs: 1000, heartbeatIntervalMs: 100 };

/** A TCP relay that can be cut (every connection dropped, new ones refused) and restored. */
export class Link {
  private readonly sockets = new Set<net.Socket>();
  private server?: net.Server;
  port = 0;

  constructor(private target: { host: string; port: number }) {}

  /** New connections go to another server from now on (a server replaced behind the same address). */
  retarget(target: { host: string; port: number }): void {
    this.target = target;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Drops every connection and refuses new ones until restore(). */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  restore(): Promise<void> {
    return this.open();
  }
}

export interface StandinCluster {
  server: ConsulServer;
  agents: ConsulAgent[];
  links: Link[];
  /** Starts one more agent on 127.0.0.N through its own link. */
  addAgent(node: string, address: string, options?: Partial<ConsulAgentOptions>): Promise<{ agent: ConsulAgent; link: Link; client: Client }>;
  stop(): Promise<void>;
}

export async function startStandinCluster(options: ConsulServerOptions = {}): Promise<StandinCluster> {
  const server = await startConsulServer({ ...FAST_CLUSTER, ...options });
  const agents: ConsulAgent[] = [];
  const links: Link[] = [];
  return {
    server,
    agents,
    links,
    async addAgent(node, address, extra = {}) {
      const link = new Link({ host: '127.0.0.1', port: server.port });
      await link.open();
      const agent = await startConsulAgent({ ...FAST, serverAddress: link.address, node, host: address, datacenter: server.datacenter, managementToken: options.managementToken, ...extra });
      agents.push(agent);
      links.push(link);
      return { agent, link, client: new Client(agent.url, options.managementToken) };
    },
    async stop() {
      for (const agent of agents) await agent.kill();
      for (const link of links) await link.cut();
      await server.stop();
    },
  };
}

/** Set when the cluster cases run against a real cluster: a second agent's address, if any. */
export const realSecondAgentAddress = (): string | undefined => (realAgentAddress() ? process.env.CONSUL_HTTP_ADDR_2 || undefined : undefined);

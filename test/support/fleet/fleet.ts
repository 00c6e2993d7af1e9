// A fleet on the testbed: a Consul server host, worker hosts each with its own engine, its own Consul client
// agent on 127.0.0.1:8500 inside the host (as in production) and registrator, and optionally an edge host for the
// renderer with nginx. Tests, benches and the demo build the multi-host chain from these pieces.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../../packages/core/src';
import { Testbed, type TestbedHost } from '../testbed';
import { composeOn, webProjectYaml, type WebProject } from './web-project';

const REPO = join(__dirname, '..', '..', '..');
export const BIN = {
  consul: join(REPO, 'packages', 'consul-standin', 'bin', 'consul-standin.js'),
  registrator: join(REPO, 'packages', 'registrator', 'bin', 'registrator.js'),
  renderer: join(REPO, 'packages', 'renderer', 'bin', 'renderer.js'),
  f5sync: join(REPO, 'packages', 'f5-sync', 'bin', 'f5-sync.js'),
  healer: join(REPO, 'packages', 'healer', 'bin', 'healer.js'),
};
export const AGENT_PORT = 8500;
const SERVER_HOST = 'cs';

export interface FleetOptions {
  id: string;
  index: number;
  /** Worker hosts (engine + agent + registrator); the Consul server gets a host of its own, "cs". */
  workers: readonly string[];
  /** More hosts with an agent but no registrator (an edge for nginx, a host for f5-sync). */
  others?: readonly string[];
  /** Consul's failure detection: a stopped agent's serfHealth turns critical after this. */
  detectionMs: number;
  images?: readonly string[];
  datacenter?: string;
  /** The server's session_ttl_min (Consul's 10 s by default; lowered, as Consul's can be, for locks that move in seconds). */
  sessionTtlMinMs?: number;
}

export class Fleet {
  private constructor(
    readonly bed: Testbed,
    readonly options: FleetOptions,
    /** The Consul server's HTTP API on the root's loopback (for the test's own reads and writes). */
    readonly consulUrl: string,
  ) {}

  static async start(options: FleetOptions): Promise<Fleet> {
    const hosts = [SERVER_HOST, ...options.workers, ...(options.others ?? [])];
    const bed = await Testbed.create({ id: options.id, index: options.index, hosts, images: options.images });
    try {
      const server = bed.host(SERVER_HOST);
      server.runService('consul-server', process.execPath, [
        BIN.consul, 'server', '--bind', server.address, '--port', String(AGENT_PORT), '--node', 'consul-server-1',
        '--datacenter', options.datacenter ?? 'dc1', '--failure-detection', `${options.detectionMs}ms`, '--heartbeat-interval', '200ms',
        ...(options.sessionTtlMinMs !== undefined ? ['--session-ttl-min', String(options.sessionTtlMinMs)] : []),
      ]);
      await waitFor(() => server.httpGet(`http://${server.address}:${AGENT_PORT}/v1/status/leader`).startsWith('200'), { timeoutMs: 15_000, message: 'the Consul server to answer' });
      const relay = await server.expose(AGENT_PORT, server.address);
      const fleet = new Fleet(bed, options, `http://127.0.0.1:${relay.port}`);
      await Promise.all([...options.workers, ...(options.others ?? [])].map((name) => fleet.startAgent(bed.host(name))));
      return fleet;
    } catch (error) {
      await bed.destroy();
      throw error;
    }
  }

  host(name: string): TestbedHost {
    return this.bed.host(name);
  }

  get workers(): TestbedHost[] {
    return this.options.workers.map((name) => this.bed.host(name));
  }

  get serverAddress(): string {
    return `${this.bed.host(SERVER_HOST).address}:${AGENT_PORT}`;
  }

  /** The host's client agent, on 127.0.0.1:8500 inside it; a service of the host (back when the host is revived). */
  async startAgent(host: TestbedHost): Promise<void> {
    host.runService('consul-agent', process.execPath, [
      BIN.consul, 'agent', '--server-addr', this.serverAddress, '--node', host.name, '--bind', '127.0.0.1', '--port', String(AGENT_PORT),
      '--advertise', host.address, '--heartbeat-interval', '200ms', '--datacenter', this.options.datacenter ?? 'dc1',
    ]);
    await this.agentAnswers(host);
  }

  async agentAnswers(host: TestbedHost, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => host.httpGet(`http://127.0.0.1:${AGENT_PORT}/v1/agent/self`).startsWith('200'), { timeoutMs, message: `the Consul agent on ${host.name}` });
  }

  /** registrator on the host: its own engine, its own agent, publishing the host's address. */
  startRegistrator(host: TestbedHost, extraArgs: readonly string[] = []): void {
    host.runService('registrator', process.execPath, [
      BIN.registrator, '-ip', host.address, '-hostname', host.name, '-resync', '5', '-retry-attempts', '-1', '-metrics-port', '0',
      ...extraArgs, `consul://127.0.0.1:${AGENT_PORT}`,
    ], host.dockerEnv({ ...process.env, LOG_LEVEL: 'info' }));
  }

  /** A busybox web instance on the host's network, answering "<name>" on <host address>:<port>; restarts with the engine. */
  runWeb(host: TestbedHost, name: string, port: number, options: { service?: string; tags?: readonly string[]; image: string }): string {
    const env = ['-e', `SERVICE_NAME=${options.service ?? 'web'}`, ...(options.tags?.length ? ['-e', `SERVICE_TAGS=${options.tags.join(',')}`] : [])];
    return host.docker([
      'run', '-d', '--name', name, '--network', 'host', '--expose', String(port), '--restart', 'unless-stopped', ...env,
      options.image, 'sh', '-c', `mkdir -p /www && echo ${name} > /www/index.html && exec httpd -f -p ${host.address}:${port} -h /www`,
    ]);
  }

  /** `docker-compose up -d --scale web=<n>` of the web project on the host (written once per host). */
  composeWeb(host: TestbedHost, scale: number, options: { image: string; service?: string; tags?: readonly string[] }): WebProject {
    const dir = this.workDir(`web-${host.name}`);
    const project: WebProject = {
      name: 'fleetweb',
      file: this.writeFile(dir, 'docker-compose.yml', webProjectYaml({
        image: options.image, service: options.service ?? 'web', tags: options.tags ?? [], hostAddress: host.address, subnet: this.bed.layout.localNetworkSubnet,
      })),
    };
    composeOn(host, project, ['up', '-d', '--scale', `web=${scale}`]);
    return project;
  }

  /** A scratch directory of the bed (removed with it). */
  workDir(name: string): string {
    const dir = join(this.bed.layout.runDir, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  writeFile(dir: string, name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  async stop(): Promise<void> {
    await this.bed.destroy();
  }
}

export const F5_OPS_PORT = 9467;

export interface F5SyncOnHost {
  configFile: string;
}

/**
 * f5-sync on a host, reading its local agent and talking to a BIG-IP (stand-in) whose port the host sees on its own
 * loopback; the leader lock in Consul makes one of several such processes the only writer.
 */
export function startF5SyncOn(fleet: Fleet, host: TestbedHost, options: {
  bigipPort: number; caFile: string; password: string; pools: Array<Record<string, unknown>>; lockDelay: string;
  /** More top-level settings (roleTags, partition, leaderLock.key...), merged over the defaults. */
  config?: Record<string, unknown>;
}): F5SyncOnHost {
  const dir = fleet.workDir(`f5-sync-${host.name}`);
  const configFile = fleet.writeFile(dir, 'f5-sync.json', JSON.stringify({
    consul: { address: `127.0.0.1:${AGENT_PORT}` },
    bigip: { url: `https://127.0.0.1:${options.bigipPort}`, username: 'admin', caFile: options.caFile },
    pools: options.pools,
    drainPeriod: '1s',
    debounce: { min: '50ms', max: '300ms' },
    resyncInterval: '2s',
    rateLimit: { callsPerSecond: 0 },
    retry: { attempts: 3, baseDelay: '100ms', maxDelay: '500ms' },
    leaderLock: { enabled: true, ttl: '30s', lockDelay: options.lockDelay },
    ...options.config,
  }));
  host.runService('f5-sync', process.execPath, [BIN.f5sync, '--config', configFile, '--metrics-port', String(F5_OPS_PORT)], {
    ...process.env,
    BIGIP_PASSWORD: options.password,
    CONSUL_HTTP_ADDR: `127.0.0.1:${AGENT_PORT}`,
  });
  return { configFile };
}

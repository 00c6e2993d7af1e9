// The whole #16 fleet on the testbed: three swarm managers (h1-h3) running the "shop" service, registrator on each,
// the healer on h1 and h2 (one leader), f5-sync on h1 and h2 (one leader) keeping a BIG-IP stand-in's pool with
// role tags as priority groups, and nginx with the renderer on an edge host. The acceptance test, the multi-host
// demo and the bench build on it.

import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../packages/core/src';
import { startBigipStandin, type BigipStandin, type TrafficView } from '../../../packages/bigip-standin/src';
import { ensureBusyboxImage } from '../docker-images';
import { formSwarm, waitSwarmNodeReady, type Swarm } from '../testbed/swarm';
import type { TestbedHost } from '../testbed/testbed';
import { startEdge, type Edge } from './edge';
import { AGENT_PORT, BIN, F5_OPS_PORT, Fleet, startF5SyncOn } from './fleet';

export const SHOP = 'shop';
export const SHOP_POOL = '/Common/shop';
export const SWARM_HOSTS = ['h1', 'h2', 'h3'] as const;
/** Where the healer and f5-sync run (one leader each); h3 runs neither. */
export const DAEMON_HOSTS = ['h1', 'h2'] as const;
const HEALER_OPS_PORT = 9766;
const NETWORK = 'shopnet';

export interface ShopFleetOptions {
  id: string;
  index: number;
  replicas: number;
  min: number;
  max: number;
  /** Consul's failure detection window (a dead agent's serfHealth critical after it). */
  detectionMs: number;
  /** Lock-delay of f5-sync's and the healer's leader locks. */
  lockDelayMs: number;
}

export interface ShopInstance {
  Node: { Node: string };
  Service: { ID: string; Service: string; Tags: string[] | null; Port: number; Address: string };
  Checks: Array<{ CheckID: string; Status: string }>;
}

export class ShopFleet {
  private constructor(
    readonly fleet: Fleet,
    readonly swarm: Swarm,
    readonly edge: Edge,
    readonly bigip: BigipStandin,
    readonly options: ShopFleetOptions,
    private readonly caDir: string,
    /** Relays to each daemon host's f5-sync /metrics on the root's loopback. */
    private readonly f5Metrics: Map<string, number>,
  ) {}

  static async start(options: ShopFleetOptions): Promise<ShopFleet> {
    const image = ensureBusyboxImage();
    const fleet = await Fleet.start({ id: options.id, index: options.index, workers: [...SWARM_HOSTS], others: ['edge'], detectionMs: options.detectionMs, images: [image] });
    const caDir = mkdtempSync(join(tmpdir(), `${options.id}-bigip-`));
    let bigip: BigipStandin | undefined;
    try {
      const swarm = formSwarm(fleet.bed, { hosts: [...SWARM_HOSTS], managers: [...SWARM_HOSTS] });
      // An overlay network with ports published in host mode: each task on a free port of its node, so a node runs
      // several tasks (host networking allows one per port), no routing mesh (this kernel has no IPVS), and a
      // revived node runs tasks again (a swarm-scoped bridge network fails there: "network ... exists").
      fleet.host('h1').docker(['network', 'create', '--driver', 'overlay', NETWORK]);
      for (const host of fleet.workers) fleet.startRegistrator(host);
      fleet.host('h1').docker([
        'service', 'create', '--detach', '--no-resolve-image', '--name', SHOP, '--network', NETWORK,
        '--publish', 'mode=host,target=80', '--replicas', String(options.replicas), '--restart-delay', '1s', '--stop-grace-period', '1s',
        '--container-label', `SERVICE_NAME=${SHOP}`, '--container-label', 'SERVICE_TAGS=fleet',
        '--container-label', 'SERVICE_CHECK_HTTP=/health', '--container-label', 'SERVICE_CHECK_INTERVAL=1s',
        '--env', 'TASK={{.Task.Name}}', '--env', 'NODE={{.Node.ID}}',
        // Each answer names its task and node, so the test knows which host served a request through nginx.
        image, 'sh', '-c', 'mkdir -p /www && echo "$TASK $NODE" > /www/index.html && echo ok > /www/health && exec httpd -f -p 80 -h /www',
      ]);
      const edge = await startEdge(fleet, fleet.host('edge'), { siteTag: 'fleet' });
      const password = `pw-${randomBytes(6).toString('hex')}`;
      bigip = await startBigipStandin({ port: 0, user: 'admin', password, tls: true, caOut: join(caDir, 'ca.pem') });
      const f5Metrics = new Map<string, number>();
      const desiredFile = fleet.writeFile(fleet.workDir('healer'), 'desired.json', JSON.stringify({
        services: {
          [SHOP]: {
            min: options.min, max: options.max, gracePeriod: '4s',
            scale: {
              kind: 'swarm', swarmService: SHOP, managers: fleet.workers.map((h) => h.dockerHost),
              nodeEngines: Object.fromEntries(fleet.workers.map((h) => [h.name, h.dockerHost])), nodeNameLabel: 'cst.host',
            },
          },
        },
        policy: { expectationTimeout: '30s', backoffBase: '2s', backoffMax: '10s', quorumMinServices: 3 },
      }));
      for (const name of DAEMON_HOSTS) {
        const host = fleet.host(name);
        await host.importPort(bigip.port);
        startF5SyncOn(fleet, host, {
          bigipPort: bigip.port, caFile: join(caDir, 'ca.pem'), password, lockDelay: `${options.lockDelayMs}ms`,
          pools: [{ consulService: SHOP, name: 'shop', minActiveMembers: 1 }],
          config: { roleTags: { master: 10, slave: 9 } },
        });
        f5Metrics.set(name, (await host.expose(F5_OPS_PORT)).port);
        host.runService('healer', process.execPath, [
          BIN.healer, 'run', '--desired', desiredFile, '--metrics-port', String(HEALER_OPS_PORT), '--schedule', '*/2 * * * * *',
          '--leader-ttl', '10s', '--leader-lock-delay', `${options.lockDelayMs}ms`, '--log-level', 'info',
        ], { ...process.env, CONSUL_HTTP_ADDR: `127.0.0.1:${AGENT_PORT}`, DOCKER_HOST: host.dockerHost });
      }
      return new ShopFleet(fleet, swarm, edge, bigip, options, caDir, f5Metrics);
    } catch (error) {
      if (bigip) await bigip.stop();
      rmSync(caDir, { recursive: true, force: true });
      await fleet.stop();
      throw error;
    }
  }

  host(name: string): TestbedHost {
    return this.fleet.host(name);
  }

  /** The host a swarm node id belongs to. */
  hostOfNode(nodeId: string): string | undefined {
    for (const [host, id] of this.swarm.nodeIds) if (id === nodeId) return host;
    return undefined;
  }

  async health(): Promise<ShopInstance[]> {
    return (await (await fetch(`${this.fleet.consulUrl}/v1/health/service/${SHOP}`)).json()) as ShopInstance[];
  }

  async healthy(): Promise<ShopInstance[]> {
    return (await this.health()).filter((i) => i.Checks.every((c) => c.Status === 'passing'));
  }

  async waitHealthy(count: number, timeoutMs: number, message: string): Promise<ShopInstance[]> {
    return waitFor(async () => {
      const list = await this.healthy();
      return list.length >= count ? list : undefined;
    }, { timeoutMs, intervalMs: 100, message });
  }

  /** Hosts (by name) with a server in the rendered nginx upstream. */
  nginxHosts(): string[] {
    return [...new Set(this.edge.upstreamServers().map((s) => this.hostOfAddress(s.slice(0, s.lastIndexOf(':')))))].sort();
  }

  /** Hosts (by name) with a member in the BIG-IP pool. */
  poolHosts(): string[] {
    const pool = this.bigip.snapshot().pools.find((p) => p.fullPath === SHOP_POOL);
    const members = (pool?.members ?? []) as Array<{ name: string }>;
    return [...new Set(members.map((m) => this.hostOfAddress(m.name.slice(0, m.name.lastIndexOf(':')))))].sort();
  }

  traffic(): TrafficView {
    return this.bigip.traffic(SHOP_POOL);
  }

  private hostOfAddress(address: string): string {
    return this.fleet.bed.hosts.find((h) => h.address === address)?.name ?? address;
  }

  /** The host whose daemon holds a leader lock (the key's session belongs to that host's node). */
  async lockHolder(key: string): Promise<string | undefined> {
    const kv = (await (await fetch(`${this.fleet.consulUrl}/v1/kv/${key}`)).json().catch(() => [])) as Array<{ Session?: string }>;
    const session = kv[0]?.Session;
    if (!session) return undefined;
    const info = (await (await fetch(`${this.fleet.consulUrl}/v1/session/info/${session}`)).json()) as Array<{ Node: string }>;
    return info[0]?.Node;
  }

  healerLeader(): Promise<string | undefined> {
    return this.lockHolder('consul-sidecars/healer/leader');
  }

  /** The f5-sync processes that say they lead now (a dead host's says nothing). */
  async f5Leaders(): Promise<string[]> {
    const holding: string[] = [];
    for (const [host, port] of this.f5Metrics) {
      const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.text()).catch(() => '');
      if (/^consul_sidecars_leader 1$/m.test(text)) holding.push(host);
    }
    return holding;
  }

  /** Every action the healers took, cluster-wide (both hosts' logs): task replacements, forced updates, raised replicas. */
  healerActions(): { replaced: number; forced: number; raised: number } {
    const count = (msg: string) => DAEMON_HOSTS.reduce((n, name) => {
      let text = '';
      try {
        text = readFileSync(join(this.host(name).logDir, 'healer.log'), 'utf8');
      } catch {
        return n;
      }
      return n + text.split('\n').filter((line) => line.includes(`"msg":"${msg}`)).length;
    }, 0);
    return {
      replaced: count('replacing a swarm task'),
      forced: count('replacing swarm tasks by a forced service update'),
      raised: count('raising swarm replicas'),
    };
  }

  /** Passes the healer on this host ran (from its /metrics inside the host); 0 when it does not answer. */
  healerPasses(host: string): number {
    const reply = this.host(host).httpGet(`http://127.0.0.1:${HEALER_OPS_PORT}/metrics`);
    if (!reply.startsWith('200')) return 0;
    return reply.split('\n').filter((l) => l.startsWith('healer_passes_total')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  private manager(except?: TestbedHost): TestbedHost {
    const manager = this.fleet.workers.find((h) => h.isAlive && h !== except);
    if (manager === undefined) throw new Error('no live swarm manager');
    return manager;
  }

  /** Swarm's tasks of shop it wants running: host, state, container id, and since when (ms) in that state. */
  tasks(): Array<{ host: string; state: string; container: string; since: number }> {
    const manager = this.manager();
    const ids = manager.docker(['service', 'ps', SHOP, '--filter', 'desired-state=running', '-q', '--no-trunc']).split('\n').filter(Boolean);
    if (ids.length === 0) return [];
    return manager.docker(['inspect', '--format', '{{.NodeID}}|{{.Status.State}}|{{if .Status.ContainerStatus}}{{.Status.ContainerStatus.ContainerID}}{{end}}|{{.Status.Timestamp.Format "2006-01-02T15:04:05.000Z07:00"}}', ...ids])
      .split('\n').filter(Boolean).map((line) => {
        const [node, state, container, since] = line.split('|');
        return { host: this.hostOfNode(node) ?? node, state, container, since: Date.parse(since) };
      });
  }

  replicas(): number {
    return Number(this.manager().docker(['service', 'inspect', '--format', '{{.Spec.Mode.Replicated.Replicas}}', SHOP]));
  }

  /** Spreads the tasks evenly again (a revived host gets none back by itself) and waits until they all pass. */
  async rebalance(): Promise<void> {
    this.manager().docker(['service', 'update', '--force', '--detach=false', '--quiet', SHOP], 180_000);
    const replicas = this.replicas();
    await this.waitHealthy(replicas, 60_000, `${replicas} healthy after the rebalance`);
    await waitFor(async () => (await this.health()).length === replicas, { timeoutMs: 30_000, message: 'replaced instances deregistered' });
  }

  /** Brings a killed host back: its agent answers, its swarm node is Ready and a reachable manager again. */
  async revive(host: TestbedHost): Promise<void> {
    await host.revive();
    await this.fleet.agentAnswers(host, 30_000);
    await waitSwarmNodeReady(this.manager(host), host);
  }

  /** Copies every host's logs (daemons, agent, engine) to `dir` before the bed goes, for a failed run. */
  keepLogs(dir: string): void {
    for (const host of this.fleet.bed.hosts) {
      mkdirSync(join(dir, host.name), { recursive: true });
      for (const file of readdirSync(host.logDir).filter((f) => f.endsWith('.log'))) copyFileSync(join(host.logDir, file), join(dir, host.name, file));
    }
  }

  /** The fleet first: its f5-sync processes and relays hold connections that would keep the BIG-IP's close waiting. */
  async stop(): Promise<void> {
    await this.fleet.stop();
    await this.bigip.stop();
    rmSync(this.caDir, { recursive: true, force: true });
  }
}

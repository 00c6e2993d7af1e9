// A swarm-mode service across three manager hosts with the healer on two of them (one leader): what the healer's
// fleet test and bench share. Every host is a manager, so one host down leaves swarm its quorum.

import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../packages/core/src';
import { ensureBusyboxImage } from '../support/docker-images';
import { AGENT_PORT, BIN, Fleet } from '../support/fleet/fleet';
import { formSwarm, waitSwarmNodeReady } from '../support/testbed/swarm';
import type { TestbedHost } from '../support/testbed/testbed';

/** Each task's overlay network: its httpd on port 80 inside, published in host mode on a free port of its node. */
const NETWORK = 'hswnet';
export const HEALER_HOSTS = ['h1', 'h2'] as const;
export const DETECTION_MS = 2_000;
/** The ops port of the crash tests' one-off healers (inside their host; the bed's healers use 9766). */
export const CRASH_OPS_PORT = 9768;

export interface HealthInstance {
  Node: { Node: string };
  Service: { ID: string; Service: string; Address: string; Port: number };
  Checks: Array<{ CheckID: string; Status: string }>;
}

export class SwarmHealerBed {
  private constructor(readonly fleet: Fleet, readonly desiredFile: string) {}

  static async start(options: { id: string; index: number; replicas: number; min: number; max: number }): Promise<SwarmHealerBed> {
    const image = ensureBusyboxImage();
    // A 1 s session_ttl_min: the crash tests' healers take a 1 s lock, free again within 2 s of a kill -9.
    const fleet = await Fleet.start({ id: options.id, index: options.index, workers: ['h1', 'h2', 'h3'], detectionMs: DETECTION_MS, images: [image], sessionTtlMinMs: 1000 });
    try {
      formSwarm(fleet.bed, { hosts: ['h1', 'h2', 'h3'], managers: ['h1', 'h2', 'h3'] });
      // Not host networking: tasks there share the node's port, so a task rescheduled next to another failed to bind
      // ("Address already in use") while its Consul check passed through the other's httpd, and a task that did not
      // serve counted healthy. An overlay network with the port published in host mode (as the shop fleet does):
      // each task on its own address:port, its check on its own httpd, no routing mesh (this kernel has no IPVS).
      fleet.host('h1').docker(['network', 'create', '--driver', 'overlay', NETWORK]);
      for (const host of fleet.workers) fleet.startRegistrator(host);
      const engines = Object.fromEntries(fleet.workers.map((h) => [h.name, h.dockerHost]));
      const desired = (gracePeriod: string) => JSON.stringify({
        services: {
          shop: {
            min: options.min, max: options.max, gracePeriod,
            scale: { kind: 'swarm', swarmService: 'shop', managers: fleet.workers.map((h) => h.dockerHost), nodeEngines: engines, nodeNameLabel: 'cst.host' },
          },
        },
        policy: { expectationTimeout: '30s', backoffBase: '2s', backoffMax: '10s', quorumMinServices: 3 },
      });
      const desiredFile = fleet.writeFile(fleet.workDir('healer'), 'desired.json', desired('4s'));
      // The crash tests' healers: a longer grace, so a task swarm starts counts as starting however loaded the machine.
      fleet.writeFile(fleet.workDir('healer'), 'desired-crash.json', desired('15s'));
      fleet.host('h1').docker([
        'service', 'create', '--detach', '--no-resolve-image', '--name', 'shop', '--network', NETWORK, '--publish', 'mode=host,target=80',
        '--replicas', String(options.replicas), '--restart-delay', '1s', '--stop-grace-period', '1s',
        '--container-label', 'SERVICE_NAME=shop', '--container-label', 'SERVICE_CHECK_HTTP=/health', '--container-label', 'SERVICE_CHECK_INTERVAL=1s',
        '--env', 'TASK={{.Task.Name}}',
        image, 'sh', '-c', 'mkdir -p /www && echo "$TASK" > /www/index.html && echo ok > /www/health && exec httpd -f -p 80 -h /www',
      ]);
      const bed = new SwarmHealerBed(fleet, desiredFile);
      for (const name of HEALER_HOSTS) bed.startHealer(fleet.host(name));
      return bed;
    } catch (error) {
      await fleet.stop();
      throw error;
    }
  }

  startHealer(host: TestbedHost): void {
    host.runService('healer', process.execPath, [
      BIN.healer, 'run', '--desired', this.desiredFile, '--metrics-port', '9766', '--schedule', '*/2 * * * * *',
      '--leader-ttl', '10s', '--leader-lock-delay', '3s', '--log-level', 'info',
    ], { ...process.env, CONSUL_HTTP_ADDR: `127.0.0.1:${AGENT_PORT}`, DOCKER_HOST: host.dockerHost });
  }

  /** Stops both healers (SIGTERM: each gives up its lock) until `startHealers`. */
  async stopHealers(): Promise<void> {
    await Promise.all(HEALER_HOSTS.map((name) => this.fleet.host(name).stopService('healer')));
  }

  startHealers(): void {
    for (const name of HEALER_HOSTS) this.startHealer(this.fleet.host(name));
  }

  /**
   * A one-off healer on the host, logging to `<logName>.log` there, with its own lock (`leaderKey`, 1 s TTL, no
   * lock-delay: a restart after a kill -9 is elected within seconds), the crash tests' desired file, a pass a second
   * and its ops port on CRASH_OPS_PORT.
   */
  spawnHealer(host: TestbedHost, logName: string, leaderKey: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
    return host.spawn(logName, process.execPath, [
      BIN.healer, 'run', '--desired', join(this.fleet.workDir('healer'), 'desired-crash.json'), '--metrics-port', String(CRASH_OPS_PORT),
      '--schedule', '* * * * * *', '--leader-key', leaderKey, '--leader-ttl', '1s', '--leader-lock-delay', '0s', '--log-level', 'info',
    ], { ...process.env, CONSUL_HTTP_ADDR: `127.0.0.1:${AGENT_PORT}`, DOCKER_HOST: host.dockerHost, ...env });
  }

  async health(): Promise<HealthInstance[]> {
    return (await (await fetch(`${this.fleet.consulUrl}/v1/health/service/shop`)).json()) as HealthInstance[];
  }

  /**
   * Instances passing every check, one per address:port: each task's check goes to its own published port, so two
   * passing instances on one endpoint would be one httpd counted twice (what host networking allowed).
   */
  async healthy(): Promise<HealthInstance[]> {
    const passing = (await this.health()).filter((i) => i.Checks.every((c) => c.Status === 'passing'));
    const endpoints = new Set<string>();
    return passing.filter((i) => {
      const endpoint = `${i.Service.Address}:${i.Service.Port}`;
      if (endpoints.has(endpoint)) return false;
      endpoints.add(endpoint);
      return true;
    });
  }

  /** The host whose healer holds the lock (the KV key's session belongs to that host's node). */
  async leaderHost(): Promise<string | undefined> {
    const kv = (await (await fetch(`${this.fleet.consulUrl}/v1/kv/consul-sidecars/healer/leader`)).json().catch(() => [])) as Array<{ Session?: string }>;
    const session = kv[0]?.Session;
    if (!session) return undefined;
    const info = (await (await fetch(`${this.fleet.consulUrl}/v1/session/info/${session}`)).json()) as Array<{ Node: string }>;
    return info[0]?.Node;
  }

  /** Lines of every healer's log (both hosts) with this message: actions counted cluster-wide. */
  actions(msg: string, logs: ReadonlyArray<{ host: string; log: string }> = HEALER_HOSTS.map((host) => ({ host, log: 'healer' }))): number {
    let n = 0;
    for (const { host, log } of logs) {
      let text = '';
      try {
        text = readFileSync(join(this.fleet.host(host).logDir, `${log}.log`), 'utf8');
      } catch {
        continue;
      }
      n += text.split('\n').filter((line) => line.includes(`"msg":"${msg}`)).length;
    }
    return n;
  }

  /**
   * Every action the healers took (both hosts' healers, or the logs named): task replacements, forced updates, raised
   * replicas, and passes that acted at all (a scale to what swarm already wants is no action and does not count: it is
   * logged as a pass that did nothing).
   */
  allActions(logs?: ReadonlyArray<{ host: string; log: string }>): { replaced: number; forced: number; raised: number; acted: number } {
    return {
      acted: this.actions('pass acted', logs),
      replaced: this.actions('replacing a swarm task', logs),
      forced: this.actions('replacing swarm tasks by a forced service update', logs),
      raised: this.actions('raising swarm replicas', logs),
    };
  }

  /** The healer log of a host, whole (a failed case prints it). */
  log(host: string, log: string): string {
    try {
      return readFileSync(join(this.fleet.host(host).logDir, `${log}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  /** The replicas swarm wants for the service. */
  replicas(): number {
    const manager = this.fleet.workers.find((h) => h.isAlive)!;
    return Number(manager.docker(['service', 'inspect', '--format', '{{.Spec.Mode.Replicated.Replicas}}', 'shop']));
  }

  /** Passes the healer on this host ran (any result), from its /metrics inside the host; 0 when it does not answer. */
  passes(host: TestbedHost, port = 9766): number {
    const reply = host.httpGet(`http://127.0.0.1:${port}/metrics`);
    if (!reply.startsWith('200')) return 0;
    return reply.split('\n').filter((l) => l.startsWith('healer_passes_total')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  /** Swarm's tasks of the service it wants running, by node name (from any live manager). */
  tasksByHost(): Array<{ host: string; container: string; state: string }> {
    const manager = this.fleet.workers.find((h) => h.isAlive)!;
    const ids = manager.docker(['service', 'ps', 'shop', '--filter', 'desired-state=running', '-q', '--no-trunc']).split('\n').filter(Boolean);
    if (ids.length === 0) return [];
    const hostOf = new Map<string, string>();
    for (const line of manager.docker(['node', 'ls', '-q']).split('\n').filter(Boolean)) {
      hostOf.set(line, manager.docker(['node', 'inspect', '--format', '{{index .Spec.Labels "cst.host"}}', line]));
    }
    return manager.docker(['inspect', '--format', '{{.NodeID}}|{{.Status.State}}|{{if .Status.ContainerStatus}}{{.Status.ContainerStatus.ContainerID}}{{end}}', ...ids]).split('\n').filter(Boolean).map((line) => {
      const [node, state, container] = line.split('|');
      return { host: hostOf.get(node) ?? node, state, container };
    });
  }

  /** Ids of the service's tasks swarm reports running (one CLI call: cheap enough to poll). */
  runningTaskIds(): string[] {
    const manager = this.fleet.workers.find((h) => h.isAlive)!;
    return manager.docker(['service', 'ps', 'shop', '--filter', 'desired-state=running', '--no-trunc', '--format', '{{.ID}}|{{.CurrentState}}'])
      .split('\n').filter((l) => l.split('|')[1]?.startsWith('Running')).map((l) => l.split('|')[0]);
  }

  async waitHealthy(count: number, timeoutMs: number, message: string): Promise<HealthInstance[]> {
    return waitFor(async () => {
      const list = await this.healthy();
      return list.length >= count ? list : undefined;
    }, { timeoutMs, intervalMs: 100, message });
  }

  /** The swarm node of a host is Ready again (after a revive). */
  async waitNodeReady(host: TestbedHost, timeoutMs = 60_000): Promise<void> {
    await waitSwarmNodeReady(this.fleet.workers.find((h) => h.isAlive && h !== host)!, host, timeoutMs);
  }

  /** Copies each host's logs (healer, registrator, agent) to `dir` before the bed is destroyed, for a failed run. */
  keepLogs(dir: string): void {
    for (const host of this.fleet.workers) {
      mkdirSync(join(dir, host.name), { recursive: true });
      for (const name of ['healer.log', 'registrator.log', 'consul-agent.log']) {
        try {
          copyFileSync(join(host.logDir, name), join(dir, host.name, name));
        } catch {
          // a host without that daemon
        }
      }
    }
  }

  async stop(): Promise<void> {
    await this.fleet.stop();
  }
}

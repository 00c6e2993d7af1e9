// N hosts on this machine: each a network namespace with its own address on a private bridge, its own dockerd,
// and whatever processes the test starts there (a Consul agent, the daemons). Hosts can be killed (kill -9 of
// everything they run), cut off (link down) and brought back. `destroy` leaves nothing; `create` first sweeps
// what killed runs left, by the testbed prefix.

import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clearRuntimeState, startEngine, dockerOn, loadImages, saveImages } from './engine';
import { killHostProcesses, spawnInHost, type HostProcessOptions } from './host-processes';
import { planBedLayout, type BedLayout, type HostLayout } from './layout';
import { createBridge, createHostNetwork, cutLink, linkIsUp, removeBridge, removeHostNetwork, restoreLink } from './network';
import { exposeToRoot, importIntoHost, type Relay } from './port-relay';
import { runInNetns } from './system';
import { sweepBed, sweepOrphanedBeds, testbedLeftovers } from './sweep';

const HTTP_PROBE = join(__dirname, 'http-probe.cjs');

export interface TestbedOptions {
  id: string;
  /** 0..15 or 20..63, the bed's address plan (layout.ts); two beds side by side need two indexes. */
  index?: number;
  hosts: readonly string[];
  /** Images of the main engine loaded into every host's engine. */
  images?: readonly string[];
}

/** A process the host runs as a service: started now, killed with the host, started again when it comes back. */
interface HostService {
  name: string;
  command: string;
  args: readonly string[];
  options: HostProcessOptions;
  /** The process of its last start. */
  child?: ChildProcess;
}

export class TestbedHost {
  private readonly services: HostService[] = [];
  private readonly relays: Relay[] = [];
  private alive = true;

  constructor(
    readonly layout: HostLayout,
    private readonly images: string | undefined,
  ) {}

  get name(): string {
    return this.layout.name;
  }
  get address(): string {
    return this.layout.address;
  }
  get dockerHost(): string {
    return this.layout.dockerHost;
  }
  get isAlive(): boolean {
    return this.alive;
  }
  get logDir(): string {
    return this.layout.runDir;
  }

  /** `docker -H <this host's engine> ...`; returns trimmed stdout. */
  docker(args: readonly string[], timeoutMs?: number): string {
    return dockerOn(this.layout, args, timeoutMs);
  }

  /** Environment for a command run from the root namespace against this host's engine (docker, docker-compose). */
  dockerEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    return { ...base, DOCKER_HOST: this.layout.dockerHost };
  }

  /** Starts a long-running process inside the host, and again whenever the host is brought back. */
  runService(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
    const service: HostService = { name, command, args, options: { env, logFile: `${this.layout.runDir}/${name}.log` } };
    this.services.push(service);
    if (this.alive) service.child = spawnInHost(this.layout, command, args, service.options);
  }

  /** Stops a service (SIGTERM; SIGKILL after the deadline) and forgets it: a revive no longer starts it. */
  async stopService(name: string, deadlineMs = 10_000): Promise<void> {
    const index = this.services.findIndex((s) => s.name === name);
    if (index === -1) throw new Error(`testbed host ${this.name}: no service named ${name}`);
    const [service] = this.services.splice(index, 1);
    const child = service.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    await exited;
    clearTimeout(timer);
  }

  /** Starts a service of the host again by name (after it exited, e.g. an agent that left the cluster). */
  restartService(name: string): void {
    const service = this.services.find((s) => s.name === name);
    if (service === undefined) throw new Error(`testbed host ${this.name}: no service named ${name}`);
    service.child = spawnInHost(this.layout, service.command, service.args, service.options);
  }

  /** Runs a one-off process inside the host (not restarted). */
  spawn(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    return spawnInHost(this.layout, command, args, { env, logFile: `${this.layout.runDir}/${name}.log` });
  }

  /**
   * Runs a one-off process inside the host without blocking the event loop (a request loop keeps going beside it):
   * resolves with its exit code and what it wrote (also appended to `<name>.log` in the host's log directory).
   */
  async runToExit(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 120_000): Promise<{ code: number | null; output: string }> {
    const logFile = `${this.layout.runDir}/${name}.log`;
    const before = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
    const child = spawnInHost(this.layout, command, args, { env, logFile });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    return { code, output: readFileSync(logFile, 'utf8').slice(before) };
  }

  /** Runs a command inside the host and returns its stdout (throws, naming the command, when it fails). */
  exec(command: string, args: readonly string[]): string {
    return runInNetns(this.layout.netnsPath, command, args);
  }

  /** One HTTP GET made from inside this host: "<status> <body>", or "error: ..." when it could not connect. */
  httpGet(url: string, timeoutMs = 2_000): string {
    try {
      return this.exec(process.execPath, [HTTP_PROBE, url, String(timeoutMs)]).trim();
    } catch (error) {
      const said = error instanceof Error ? error.message : String(error);
      return `error: ${said.split('failed: ').pop() ?? said}`;
    }
  }

  /** The host's `address:port` (its loopback by default) on the root's 127.0.0.1, for the test's own requests. */
  async expose(port: number, address = '127.0.0.1'): Promise<Relay> {
    const relay = await exposeToRoot(this.layout, port, address);
    this.relays.push(relay);
    return relay;
  }

  /** The root's 127.0.0.1:rootPort on the host's 127.0.0.1:hostPort (a stand-in on the root the host's daemons use). */
  async importPort(rootPort: number, hostPort = rootPort): Promise<Relay> {
    const relay = await importIntoHost(this.layout, rootPort, hostPort);
    this.relays.push(relay);
    return relay;
  }

  /** The host dies: kill -9 of its engine, containerd, shims, containers, agent, daemons and relays. */
  async kill(): Promise<void> {
    this.alive = false;
    await killHostProcesses(this.layout);
    clearRuntimeState(this.layout);
  }

  cutLink(): void {
    cutLink(this.layout);
  }

  restoreLink(): void {
    restoreLink(this.layout);
  }

  linkIsUp(): boolean {
    return linkIsUp(this.layout);
  }

  /** Brings a killed host back: its engine (containers follow their restart policies), then its services. */
  async revive(): Promise<void> {
    if (this.alive) return;
    await startEngine(this.layout);
    this.alive = true;
    for (const service of this.services) service.child = spawnInHost(this.layout, service.command, service.args, service.options);
    const relays = this.relays.splice(0);
    for (const relay of relays) await relay.close();
    for (const relay of relays) this.relays.push(await relay.reopen());
  }

  /** @internal */
  async boot(): Promise<void> {
    await startEngine(this.layout);
    if (this.images !== undefined) loadImages(this.layout, this.images);
  }

  /** @internal */
  async closeRelays(): Promise<void> {
    for (const relay of this.relays.splice(0)) await relay.close();
  }
}

export class Testbed {
  private constructor(
    readonly layout: BedLayout,
    readonly hosts: TestbedHost[],
  ) {}

  /** Sweeps what killed runs left, then builds the bridge, the hosts and their engines (in parallel). */
  static async create(options: TestbedOptions): Promise<Testbed> {
    const layout = planBedLayout({ id: options.id, index: options.index ?? 0, hosts: options.hosts });
    await sweepOrphanedBeds();
    const stillThere = testbedLeftovers(layout.id);
    if (stillThere.length > 0) throw new Error(`testbed ${layout.id} is in use by a live process: ${stillThere.slice(0, 3).join('; ')}`);
    mkdirSync(layout.runDir, { recursive: true });
    writeFileSync(layout.ownerFile, String(process.pid));
    let archive: string | undefined;
    if (options.images && options.images.length > 0) {
      archive = `${layout.runDir}/images.tar`;
      saveImages(options.images, archive);
    }
    const hosts = layout.hosts.map((host) => new TestbedHost(host, archive));
    const bed = new Testbed(layout, hosts);
    try {
      createBridge(layout);
      for (const host of layout.hosts) {
        mkdirSync(host.runDir, { recursive: true });
        createHostNetwork(layout, host);
      }
      await Promise.all(hosts.map((host) => host.boot()));
    } catch (error) {
      await bed.destroy();
      throw error;
    }
    return bed;
  }

  host(name: string): TestbedHost {
    const host = this.hosts.find((h) => h.name === name);
    if (host === undefined) throw new Error(`testbed ${this.layout.id}: no host named ${name} (hosts: ${this.hosts.map((h) => h.name).join(', ')})`);
    return host;
  }

  /** Ends every process, then removes mounts, wires, cgroups and files; `leftovers()` is empty afterwards. */
  async destroy(): Promise<void> {
    for (const host of this.hosts) await host.closeRelays();
    for (const host of this.hosts) await host.kill().catch(() => undefined);
    for (const host of this.layout.hosts) removeHostNetwork(host);
    removeBridge(this.layout.bridge);
    await sweepBed(this.layout.id);
  }

  leftovers(): string[] {
    return testbedLeftovers(this.layout.id);
  }
}

// Test support: a throw-away compose project of busybox services, a small registrar that registers each
// compose container in Consul with an HTTP check (registrator's job, until it exists), and a Consul to talk to.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { ConsulHttpClient, consulSettingsFromEnv, createConsulClient, errorMessage, type ConsulClient } from '@consul-sidecars/core';
import { OWNER_LABEL, sweepDeadOwners, TEST_LABEL } from '../../../test/support/container-owner';
import { ensureBusyboxImage } from '../../../test/support/docker-images';
import { startConsulStandin } from '../../consul-standin/src';

const run = promisify(execFile);
const docker = new Docker();

export { TEST_LABEL };
export type ServiceKind = 'httpd' | 'broken';

export class ComposeProject {
  readonly name: string;
  readonly dir: string;
  readonly file: string;

  constructor(services: Record<string, ServiceKind>) {
    ensureBusyboxImage();
    sweepDeadOwners('healer');
    this.name = `healer-${randomBytes(4).toString('hex')}`;
    this.dir = mkdtempSync(join(tmpdir(), 'healer-compose-'));
    this.file = join(this.dir, 'docker-compose.yml');
    const lines = ['version: "2.4"', 'services:'];
    for (const [svc, kind] of Object.entries(services)) {
      // httpd answers on 80; "broken" publishes 80 but never listens, so its HTTP check always fails.
      const command = kind === 'httpd'
        ? '["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www"]'
        : '["sleep", "3600"]';
      lines.push(
        `  ${svc}:`,
        '    image: consul-sidecars/busybox:test',
        `    command: ${command}`,
        '    network_mode: bridge',
        '    ports: ["127.0.0.1::80"]',
        '    stop_grace_period: 1s',
        `    labels: { "${TEST_LABEL}": "healer", "${OWNER_LABEL}": "${process.pid}" }`,
      );
    }
    writeFileSync(this.file, `${lines.join('\n')}\n`);
  }

  async compose(...args: string[]): Promise<string> {
    const { stdout } = await run('docker-compose', ['-p', this.name, '-f', this.file, ...args], { timeout: 120_000 });
    return stdout;
  }

  async up(service: string, count: number): Promise<void> {
    await this.compose('up', '-d', '--no-deps', '--no-recreate', '--scale', `${service}=${count}`, service);
  }

  async containers(service?: string): Promise<Docker.ContainerInfo[]> {
    const label = [`com.docker.compose.project=${this.name}`];
    if (service) label.push(`com.docker.compose.service=${service}`);
    return docker.listContainers({ all: true, filters: { label } });
  }

  async running(service: string): Promise<number> {
    return (await this.containers(service)).filter((c) => c.State === 'running').length;
  }

  async kill(ids: string[]): Promise<void> {
    await run('docker', ['kill', ...ids]);
  }

  async down(): Promise<void> {
    try {
      await this.compose('down', '-v', '-t', '0', '--remove-orphans');
    } catch {
      // fall back to removing by label: never leave containers behind
      const left = await this.containers().catch(() => []);
      if (left.length) await run('docker', ['rm', '-f', ...left.map((c) => c.Id)]).catch(() => undefined);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A desired-state service entry scaling this project's `service`. */
  scaleTarget(service: string) {
    return { composeProject: this.name, composeFile: this.file, composeService: service };
  }
}

/**
 * Registers every container of a compose project in Consul as an instance of its compose service, with an
 * HTTP check on its published port, and deregisters containers that are gone. Stopped containers keep their
 * registration (their check goes critical), as registrator does with -cleanup off.
 */
export class TestRegistrar {
  private timer?: NodeJS.Timeout;
  private busy = false;
  private readonly registered = new Set<string>();
  errors = 0;

  constructor(
    private readonly consul: ConsulClient,
    private readonly project: ComposeProject,
    private readonly intervalMs = 150,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.sync(), this.intervalMs);
    return this;
  }

  async sync(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const containers = await this.project.containers();
      const present = new Set<string>();
      for (const c of containers) {
        const name = c.Names[0].replace(/^\//, '');
        present.add(name);
        if (this.registered.has(name)) continue;
        const port = c.Ports.find((p) => p.PrivatePort === 80 && p.PublicPort)?.PublicPort;
        if (!port) continue; // not started yet (or already stopped before we saw it)
        // Consul service name: <project>-<compose service>, unique per test run (a shared real agent stays clean).
        const service = `${this.project.name}-${c.Labels['com.docker.compose.service']}`;
        await this.consul.agent.service.register({
          id: name,
          name: service,
          address: '127.0.0.1',
          port,
          meta: { container_id: c.Id },
          check: { name: 'http', http: `http://127.0.0.1:${port}/`, interval: '1s', timeout: '1s' },
        });
        this.registered.add(name);
      }
      for (const name of [...this.registered]) {
        if (present.has(name)) continue;
        await this.consul.agent.service.deregister(name);
        this.registered.delete(name);
      }
    } catch (err) {
      this.errors++;
      if (this.errors < 5) process.stderr.write(`test registrar: ${errorMessage(err)}\n`);
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    for (const name of this.registered) await this.consul.agent.service.deregister(name).catch(() => undefined);
    this.registered.clear();
  }
}

/** Passing instances of a service, as Consul's ?passing computes them. */
export async function passingCount(consul: ConsulClient, service: string): Promise<number> {
  const entries = (await consul.health.service({ service, passing: true })) as unknown[];
  return entries.length;
}

export interface TestConsul {
  /** The `consul`-package client the test registrar and assertions use. */
  consul: ConsulClient;
  /** core's client, the one the healer takes. */
  http: ConsulHttpClient;
  address: string;
  stop(): Promise<void>;
}

/** The stand-in, or a real agent when CONSUL_HTTP_ADDR is set; `sessionTtlMinMs` is the stand-in's session_ttl_min. */
export async function startTestConsul(options: { sessionTtlMinMs?: number } = {}): Promise<TestConsul> {
  if (process.env.CONSUL_HTTP_ADDR) {
    const settings = consulSettingsFromEnv(process.env);
    const http = new ConsulHttpClient(settings);
    return { consul: createConsulClient(settings), http, address: `${settings.host}:${settings.port}`, stop: async () => http.close() };
  }
  const standin = await startConsulStandin({ port: 0, node: `healer-${randomBytes(2).toString('hex')}`, ...options });
  const settings = consulSettingsFromEnv({}, standin.address);
  const http = new ConsulHttpClient(settings);
  return {
    consul: createConsulClient(settings),
    http,
    address: standin.address,
    stop: async () => {
      http.close();
      await standin.stop();
    },
  };
}

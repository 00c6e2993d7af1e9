// Lost Docker event stream, Consul agent stopped and restarted empty, (gated) dockerd restart: all converge without restarting registrator.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, waitFor } from '@consul-sidecars/core';
import { removeContainers, startWebContainer, type WebContainer } from '../../../test/support/web-container';
import { DockerSource } from '../src/observe/docker-source';
import type { RunningRegistrator } from '../src/daemon';
import { startInProcess, startTestConsul, uniqueName, waitForOwned, type TestConsul } from './harness';

const DOCKER_SOCKET = '/var/run/docker.sock';

/** A unix socket that forwards to dockerd; cut() drops every connection and stops listening, restore() listens again. */
class DockerSocketProxy {
  readonly path: string;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  connections = 0;

  constructor(dir: string) {
    this.path = join(dir, 'docker.sock');
  }

  async restore(): Promise<void> {
    this.server = net.createServer((client) => {
      this.connections++;
      const upstream = net.connect(DOCKER_SOCKET);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.path, () => resolve());
    });
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('registrator resilience @integration', function () {
  this.timeout(60_000);
  let consul: TestConsul | undefined;
  let running: RunningRegistrator | undefined;
  const containers: string[] = [];
  let tmp: string | undefined;
  let proxy: DockerSocketProxy | undefined;

  const web = (host: string, what: string): WebContainer => {
    const c = startWebContainer(uniqueName(what), { labels: { SERVICE_NAME: `${host}-svc` }, testLabel: 'registrator' });
    containers.push(c.name);
    return c;
  };
  const idOf = (host: string, c: WebContainer) => `${host}:${c.name}:80`;

  afterEach(async () => {
    await running?.stop({ deregister: true });
    running = undefined;
    await proxy?.cut();
    proxy = undefined;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
    removeContainers(...containers.splice(0));
    await consul?.stop();
    consul = undefined;
  });

  it('a lost Docker event stream: reconnects with backoff, replays, reconciles, never exits', async () => {
    consul = await startTestConsul();
    tmp = mkdtempSync(join(tmpdir(), 'registrator-proxy-'));
    proxy = new DockerSocketProxy(tmp);
    await proxy.restore();
    const host = uniqueName('host');
    const source = new DockerSource({ connection: { kind: 'unix', socketPath: proxy.path }, logger: silentLogger(), reconnectBackoff: { baseMs: 100, maxMs: 500 } });
    const a = web(host, 'a');
    const b = web(host, 'b');
    running = await startInProcess(consul, ['-hostname', host], { source });
    await waitForOwned(consul, host, [idOf(host, a), idOf(host, b)], 15_000);

    await proxy.cut();
    await waitFor(() => !source.connected, { timeoutMs: 5000, message: 'the stream to drop' });
    // While the stream is down: one container goes, one comes.
    removeContainers(b.name);
    const c = web(host, 'c');
    await proxy.restore();

    await waitForOwned(consul, host, [idOf(host, a), idOf(host, c)], 15_000, 'convergence after the stream came back');
    expect(source.reconnects).to.be.at.least(1);
    expect(source.connected).to.equal(true);
    // Events flow again after the reconnect.
    const d = web(host, 'd');
    await waitForOwned(consul, host, [idOf(host, a), idOf(host, c), idOf(host, d)], 10_000, 'an event after the reconnect');
  });

  it('the Consul agent stopped for 30 s and restarted empty on the same port: everything is re-registered', async function () {
    if (process.env.CONSUL_HTTP_ADDR) this.skip(); // a real agent cannot be stopped by the test
    this.timeout(90_000);
    consul = await startTestConsul();
    const port = consul.standin?.port as number;
    const host = uniqueName('host');
    const a = web(host, 'a');
    running = await startInProcess(consul, ['-hostname', host]);
    await waitForOwned(consul, host, [idOf(host, a)], 15_000);

    await consul.stop();
    const reconciler = running.reconciler;
    await waitFor(() => !reconciler.consulReachable, { timeoutMs: 5000, message: 'registrator to notice the outage' });
    const b = web(host, 'b'); // wanted state changes during the outage
    // The outage itself, as long as the issue's: a deliberate duration, not a wait for a condition.
    await new Promise((r) => setTimeout(r, 30_000));
    expect(reconciler.health().ok).to.equal(false);
    consul = await startTestConsul(port); // empty, same port

    const converged = Date.now();
    await waitForOwned(consul, host, [idOf(host, a), idOf(host, b)], 15_000, 'services re-registered after the restart');
    expect(Date.now() - converged).to.be.below(15_000);
    await waitFor(() => reconciler.health().consulReachable, { timeoutMs: 5000 });
  });

  it('an unchanged full reconcile writes nothing', async () => {
    consul = await startTestConsul();
    const host = uniqueName('host');
    const a = web(host, 'a');
    running = await startInProcess(consul, ['-hostname', host]);
    await waitForOwned(consul, host, [idOf(host, a)], 15_000);
    // Foreign containers on the engine may churn; retry until a pass sees a quiet engine.
    await waitFor(async () => {
      await running?.reconciler.fullSync();
      const result = await running?.reconciler.fullSync();
      return result?.actions.length === 0 && running?.reconciler.lastFullSync?.writes === 0;
    }, { timeoutMs: 15_000, message: 'a full reconcile with no writes' });
  });

  it('dockerd restarted while registrator runs (RUN_DOCKERD_RESTART=1 only: it disturbs every other test on the engine)', async function () {
    if (process.env.RUN_DOCKERD_RESTART !== '1') this.skip();
    this.timeout(120_000);
    consul = await startTestConsul();
    const host = uniqueName('host');
    const source = new DockerSource({ connection: { kind: 'unix', socketPath: DOCKER_SOCKET }, logger: silentLogger(), reconnectBackoff: { baseMs: 200, maxMs: 2000 } });
    const a = web(host, 'a');
    running = await startInProcess(consul, ['-hostname', host], { source });
    await waitForOwned(consul, host, [idOf(host, a)], 15_000);
    const command = (process.env.DOCKERD_RESTART_COMMAND ?? 'systemctl restart docker').split(' ');
    execFileSync(command[0], command.slice(1), { stdio: 'inherit', timeout: 90_000 });
    // Without --restart policies, containers are stopped by the restart: the service must go, then a new one arrives.
    await waitFor(() => source.reconnects >= 1 && source.connected, { timeoutMs: 60_000, message: 'the stream to reconnect' });
    const b = web(host, 'b');
    const running_ = execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', a.name], { encoding: 'utf8' }).trim() === 'true';
    await waitForOwned(consul, host, running_ ? [idOf(host, a), idOf(host, b)] : [idOf(host, b)], 30_000);
  });
});

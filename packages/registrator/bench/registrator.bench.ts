// registrator benchmark: container start -> service visible (p50/p99 beside the floor measured in the same run),
// a resync of >= 200 running containers with nothing changed (writes, time), and registrator's RSS at that size.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { mapLimit, waitFor } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { ensureBusyboxImage } from '../../../test/support/docker-images';
import { DOCKER_API_VERSION } from '../src/observe/docker-source';
import { percentile, type BenchResult, runStandalone } from '../../../bench/stats';

export type { BenchResult };

const SUITE = 'registrator';
const LATENCY_CONTAINERS = 50;
const RESYNC_CONTAINERS = 200;
const BIN = join(__dirname, '..', 'bin', 'registrator.js');


function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function rssKb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

export async function run(): Promise<BenchResult[]> {
  const image = ensureBusyboxImage();
  const docker = new Docker({ socketPath: '/var/run/docker.sock', version: DOCKER_API_VERSION });
  const tag = `registrator-bench-${randomBytes(3).toString('hex')}`;
  const hostname = tag;
  const created: string[] = [];
  let standin: ConsulStandin | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  let events: NodeJS.ReadableStream & { destroy?: () => void } | undefined;
  const consulUrl = () => (standin ? standin.url : `http://${process.env.CONSUL_HTTP_ADDR}`);
  const get = async <T>(path: string): Promise<{ status: number; body: T | undefined }> => {
    const res = await fetch(`${consulUrl()}/v1${path}`);
    return { status: res.status, body: res.ok ? ((await res.json()) as T) : undefined };
  };
  const create = async (i: number): Promise<Docker.Container> => {
    const name = `${tag}-${i}`;
    const c = await docker.createContainer({
      name, Image: image, Cmd: ['sleep', '3600'],
      Labels: { 'consul-sidecars.test': 'registrator-bench', [tag]: '1', SERVICE_NAME: `${tag}-svc` },
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    created.push(c.id);
    return c;
  };
  const results: BenchResult[] = [];
  try {
    standin = process.env.CONSUL_HTTP_ADDR ? undefined : await startConsulStandin({ port: 0, node: 'bench' });
    const address = standin ? standin.address : (process.env.CONSUL_HTTP_ADDR as string);

    // The bench's own event stream: the floor's "Docker event delivery".
    const eventSeen = new Map<string, number>();
    events = (await docker.getEvents({ filters: { type: ['container'], event: ['start'], label: [tag] } } as never)) as unknown as NodeJS.ReadableStream & { destroy?: () => void };
    let buffer = '';
    events.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const e = JSON.parse(line) as { Actor?: { ID?: string } };
          if (e.Actor?.ID && !eventSeen.has(e.Actor.ID)) eventSeen.set(e.Actor.ID, performance.now());
        } catch {
          // partial line
        }
      }
    });

    let output = '';
    child = spawn(process.execPath, [BIN, '-hostname', hostname, '-label-filter', tag, '-resync', '3', '-roles=false', `consul://${address}`], {
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(() => output.includes('full reconcile done'), { timeoutMs: 15_000, message: 'registrator to start' });

    // 1) start -> visible, one container at a time, with the floor measured beside it.
    const latencies: number[] = [];
    const floors: number[] = [];
    for (let i = 0; i < LATENCY_CONTAINERS; i++) {
      const c = await create(i);
      const info = await c.inspect();
      const serviceId = `${hostname}:${info.Name.replace(/^\//, '')}:80`;
      const t0 = performance.now();
      const started = c.start();
      let visibleAt = 0;
      let floorRegisterMs = 0;
      await Promise.all([
        started,
        waitFor(async () => (await get(`/agent/service/${encodeURIComponent(serviceId)}`)).status === 200, { timeoutMs: 10_000, intervalMs: 2 }).then(() => (visibleAt = performance.now())),
        waitFor(() => eventSeen.get(c.id), { timeoutMs: 10_000, intervalMs: 1 }).then(async () => {
          const r0 = performance.now();
          const res = await fetch(`${consulUrl()}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ ID: `${tag}-floor-${i}`, Name: `${tag}-floor`, Address: '127.0.0.1', Port: 1 }) });
          if (!res.ok) throw new Error(`floor register: HTTP ${res.status}`);
          floorRegisterMs = performance.now() - r0;
        }),
      ]);
      latencies.push(visibleAt - t0);
      floors.push((eventSeen.get(c.id) as number) - t0 + floorRegisterMs);
    }
    results.push(
      { suite: SUITE, name: 'start->visible p50', value: round(percentile(latencies, 50)), unit: 'ms', note: `${LATENCY_CONTAINERS} containers, published port, stand-in agent` },
      { suite: SUITE, name: 'start->visible p99', value: round(percentile(latencies, 99)), unit: 'ms' },
      { suite: SUITE, name: 'floor (event delivery + one register) p50', value: round(percentile(floors, 50)), unit: 'ms', note: 'same run' },
      { suite: SUITE, name: 'floor (event delivery + one register) p99', value: round(percentile(floors, 99)), unit: 'ms' },
    );
    for (let i = 0; i < LATENCY_CONTAINERS; i++) await fetch(`${consulUrl()}/v1/agent/service/deregister/${encodeURIComponent(`${tag}-floor-${i}`)}`, { method: 'PUT' });

    // 2) grow to RESYNC_CONTAINERS running containers; wait until registrator owns them all.
    const more = Array.from({ length: RESYNC_CONTAINERS - LATENCY_CONTAINERS }, (_, k) => LATENCY_CONTAINERS + k);
    await mapLimit(more, 8, async (i) => {
      const c = await create(i);
      await c.start();
    });
    const ownedCount = async () => {
      const { body } = await get<Record<string, { Meta?: Record<string, string> }>>('/agent/services');
      return Object.values(body ?? {}).filter((s) => s.Meta?.['registrator-node'] === hostname).length;
    };
    await waitFor(async () => (await ownedCount()) === RESYNC_CONTAINERS, { timeoutMs: 60_000, message: `${RESYNC_CONTAINERS} services registered` });

    // 3) the next -resync pass with nothing changed: its writes (log and, on the stand-in, PUTs seen) and its time.
    const writePaths = () => {
      const counts = standin?.requestCounts() ?? {};
      return Object.entries(counts).filter(([p]) => p.startsWith('/v1/agent/service/register') || p.startsWith('/v1/agent/service/deregister') || p.startsWith('/v1/agent/check/')).reduce((n, [, v]) => n + v, 0);
    };
    const mark = output.length;
    standin?.resetRequestCounts();
    const line = await waitFor(() => output.slice(mark).split('\n').find((l) => l.includes('full reconcile done')), { timeoutMs: 15_000, message: 'a resync pass' });
    const pass = JSON.parse(line) as { actions: number; ms: number; containers: number };
    const rss = rssKb(child.pid as number);
    results.push(
      { suite: SUITE, name: `resync ${RESYNC_CONTAINERS} unchanged: writes`, value: standin ? writePaths() : pass.actions, unit: 'count', note: `planned actions ${pass.actions}; must be 0` },
      { suite: SUITE, name: `resync ${RESYNC_CONTAINERS} unchanged: time`, value: pass.ms, unit: 'ms', note: `list + inspect ${RESYNC_CONTAINERS} + agent read + plan (engine has ${pass.containers} containers)` },
      { suite: SUITE, name: `RSS with ${RESYNC_CONTAINERS} services`, value: round(rss / 1024), unit: 'MiB' },
    );
    return results;
  } finally {
    events?.destroy?.();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    await mapLimit(created, 16, async (id) => {
      await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
    });
    await standin?.stop();
  }
}

runStandalone(module, run);

// registrator benchmark: container start -> service visible (one at a time, and 200 started at once, each beside the
// floor measured in the same run), resyncs with nothing changed (writes, time), and the RSS of the registrator
// process itself (never the bench runner's): idle, with 250 and with 1,000 containers (REGISTRATOR_BENCH_CONTAINERS),
// beside the RSS of a bare `node` started with the same flags (the floor no Node daemon goes below). Registrator runs
// as the image runs it: the Dockerfile ENTRYPOINT's node flags, and its ops port (prom-client loaded and serving).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { imageRuntime } from '../../../bench/image-runtime';
import { join } from 'node:path';
import Docker from 'dockerode';
import { mapLimit, waitFor } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { ownedLabels, sweepDeadOwners } from '../../../test/support/container-owner';
import { ensureBusyboxImage } from '../../../test/support/docker-images';
import { DOCKER_API_VERSION } from '../src/observe/docker-source';
import { percentile, type BenchResult, runStandalone } from '../../../bench/stats';

export type { BenchResult };

const SUITE = 'registrator';
const LATENCY_CONTAINERS = 50;
/** Started at once after the one-at-a-time run. */
const BURST_CONTAINERS = 200;
const RESYNC_CONTAINERS = LATENCY_CONTAINERS + BURST_CONTAINERS;
/** The fleet size of the last RSS row (busybox `sleep` containers: a few hundred KiB each on the engine). */
const FLEET_CONTAINERS = Number(process.env.REGISTRATOR_BENCH_CONTAINERS ?? 1000);
/** Containers created (or started) per engine call batch: bounded, so the shared engine is never flooded. */
const ENGINE_CONCURRENCY = 8;
const BIN = join(__dirname, '..', 'bin', 'registrator.js');



function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** RSS, anonymous and file-backed parts of a process, in MiB (from /proc). */
function memoryOf(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: round(kb('VmRSS')), anon: round(kb('RssAnon')), file: round(kb('RssFile')) };
}

export async function run(): Promise<BenchResult[]> {
  const image = ensureBusyboxImage();
  sweepDeadOwners('registrator-bench');
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
      Labels: { ...ownedLabels('registrator-bench'), [tag]: '1', SERVICE_NAME: `${tag}-svc` },
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

    // The floor: a bare node with the image's flags, idle.
    const { nodeFlags, env: imageEnv } = imageRuntime('registrator');
    const bare = spawn(process.execPath, [...nodeFlags, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', env: { ...process.env, ...imageEnv } });
    await new Promise((r) => setTimeout(r, 1500));
    const floor = memoryOf(bare.pid as number);
    bare.kill('SIGKILL');
    results.push({ suite: SUITE, name: 'RSS floor: bare node', value: floor.rss, unit: 'MiB', note: `node ${nodeFlags.join(' ')} -e 'setInterval(...)'; anon ${floor.anon}, file-backed ${floor.file}` });

    let output = '';
    child = spawn(process.execPath, [...nodeFlags, BIN, '-hostname', hostname, '-label-filter', tag, '-resync', '3', '-roles=false', '-ops-port', '0', `consul://${address}`], {
      env: { ...process.env, ...imageEnv, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(() => output.includes('full reconcile done'), { timeoutMs: 15_000, message: 'registrator to start' });
    // Idle: started, first reconcile done, no container of its label; after the start-up garbage settled.
    await new Promise((r) => setTimeout(r, 3000));
    const idle = memoryOf(child.pid as number);
    results.push({ suite: SUITE, name: 'RSS idle', value: idle.rss, unit: 'MiB', note: `registrator process; anon ${idle.anon}, file-backed ${idle.file}; ${round(idle.rss - floor.rss)} over the floor` });

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

    // 2) BURST_CONTAINERS created, then started at once: each start -> visible beside its floor, in the same run.
    const burst = await mapLimit(Array.from({ length: BURST_CONTAINERS }, (_, k) => LATENCY_CONTAINERS + k), ENGINE_CONCURRENCY, async (i) => {
      const c = await create(i);
      return { c, serviceId: `${hostname}:${tag}-${i}:80` };
    });
    const visible = new Map<string, number>();
    let polling = true;
    // One poller of the agent's services for the whole burst (not one per container, which would load the stand-in).
    const poller = (async () => {
      while (polling) {
        const { body } = await get<Record<string, unknown>>('/agent/services');
        const now = performance.now();
        for (const id of Object.keys(body ?? {})) if (!visible.has(id)) visible.set(id, now);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const startedAt = new Map<string, number>();
    const floorRegisterMs = new Map<string, number>();
    try {
      await Promise.all(burst.map(async ({ c, serviceId }, k) => {
        startedAt.set(serviceId, performance.now());
        await c.start();
        await waitFor(() => eventSeen.get(c.id), { timeoutMs: 30_000, intervalMs: 1 });
        const r0 = performance.now();
        const res = await fetch(`${consulUrl()}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ ID: `${tag}-floor-b${k}`, Name: `${tag}-floor`, Address: '127.0.0.1', Port: 1 }) });
        if (!res.ok) throw new Error(`floor register: HTTP ${res.status}`);
        floorRegisterMs.set(serviceId, performance.now() - r0);
      }));
      await waitFor(() => burst.every(({ serviceId }) => visible.has(serviceId)), { timeoutMs: 60_000, message: `${BURST_CONTAINERS} services visible` });
    } finally {
      polling = false;
      await poller;
    }
    const burstLatencies = burst.map(({ serviceId }) => (visible.get(serviceId) as number) - (startedAt.get(serviceId) as number));
    const burstFloors = burst.map(({ c, serviceId }) => (eventSeen.get(c.id) as number) - (startedAt.get(serviceId) as number) + (floorRegisterMs.get(serviceId) as number));
    const burstP99 = percentile(burstLatencies, 99);
    const burstFloorP99 = percentile(burstFloors, 99);
    results.push(
      { suite: SUITE, name: `${BURST_CONTAINERS} at once: start->visible p50`, value: round(percentile(burstLatencies, 50)), unit: 'ms', note: 'one /v1/agent/services poller, 5 ms' },
      { suite: SUITE, name: `${BURST_CONTAINERS} at once: start->visible p99`, value: round(burstP99), unit: 'ms' },
      { suite: SUITE, name: `${BURST_CONTAINERS} at once: floor p99`, value: round(burstFloorP99), unit: 'ms', note: 'event delivery + one register, same run' },
      { suite: SUITE, name: `${BURST_CONTAINERS} at once: p99 / floor p99`, value: Math.round((burstP99 / burstFloorP99) * 100) / 100, unit: 'x', note: 'goal <= 1.2' },
    );
    for (let k = 0; k < BURST_CONTAINERS; k++) await fetch(`${consulUrl()}/v1/agent/service/deregister/${encodeURIComponent(`${tag}-floor-b${k}`)}`, { method: 'PUT' });
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
    const resyncPass = async () => {
      const mark = output.length;
      standin?.resetRequestCounts();
      const line = await waitFor(() => output.slice(mark).split('\n').find((l) => l.includes('full reconcile done')), { timeoutMs: 60_000, message: 'a resync pass' });
      return { pass: JSON.parse(line) as { actions: number; ms: number; containers: number }, writes: writePaths() };
    };
    const atResync = await resyncPass();
    const memResync = memoryOf(child.pid as number);
    results.push(
      { suite: SUITE, name: `resync ${RESYNC_CONTAINERS} unchanged: writes`, value: standin ? atResync.writes : atResync.pass.actions, unit: 'count', note: `planned actions ${atResync.pass.actions}; must be 0` },
      { suite: SUITE, name: `resync ${RESYNC_CONTAINERS} unchanged: time`, value: atResync.pass.ms, unit: 'ms', note: `list + inspect ${RESYNC_CONTAINERS} + agent read + plan (engine has ${atResync.pass.containers} containers)` },
      { suite: SUITE, name: `RSS with ${RESYNC_CONTAINERS} services`, value: memResync.rss, unit: 'MiB', note: `anon ${memResync.anon}, file-backed ${memResync.file}` },
    );

    // 4) grow to FLEET_CONTAINERS in bounded batches; RSS after a resync pass over all of them.
    if (FLEET_CONTAINERS > RESYNC_CONTAINERS) {
      await mapLimit(Array.from({ length: FLEET_CONTAINERS - RESYNC_CONTAINERS }, (_, k) => RESYNC_CONTAINERS + k), ENGINE_CONCURRENCY, async (i) => {
        const c = await create(i);
        await c.start();
      });
      await waitFor(async () => (await ownedCount()) === FLEET_CONTAINERS, { timeoutMs: 300_000, intervalMs: 500, message: `${FLEET_CONTAINERS} services registered` });
      const atFleet = await resyncPass();
      const memFleet = memoryOf(child.pid as number);
      results.push(
        { suite: SUITE, name: `resync ${FLEET_CONTAINERS} unchanged: writes`, value: standin ? atFleet.writes : atFleet.pass.actions, unit: 'count', note: `planned actions ${atFleet.pass.actions}; must be 0` },
        { suite: SUITE, name: `resync ${FLEET_CONTAINERS} unchanged: time`, value: atFleet.pass.ms, unit: 'ms' },
        { suite: SUITE, name: `RSS with ${FLEET_CONTAINERS} services`, value: memFleet.rss, unit: 'MiB', note: `goal < 80; anon ${memFleet.anon}, file-backed ${memFleet.file}; ${round((memFleet.anon - idle.anon) / (FLEET_CONTAINERS / 1000))} MiB anon per 1,000 over idle; floor ${floor.rss}` },
      );
    }
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

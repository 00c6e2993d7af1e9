// registrator's RSS as its own process at 0, 200 and 1,000 containers, beside a bare node with the same flags, in a
// minute: the engine is simulated on a unix socket (one real container's inspect and `docker ps` entry, cloned with
// fresh ids, names and ports; start events on /events), so the shared engine is not loaded with 1,000 containers
// and the figure does not move with its load. registrator.bench.ts measures the same on the real engine.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { waitFor } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { ensureBusyboxImage } from '../../../test/support/docker-images';
import { DOCKER_API_VERSION } from '../src/observe/docker-source';
import { type BenchResult, runStandalone } from '../../../bench/stats';
import { imageRuntime } from '../../../bench/image-runtime';

const SUITE = 'registrator (simulated engine)';
const SIZES = (process.env.REGISTRATOR_MEMORY_SIZES ?? '200,1000').split(',').map(Number);
const BIN = join(__dirname, '..', 'bin', 'registrator.js');

type Json = Record<string, unknown>;

/** RSS and its anonymous / file-backed parts of a process, in MiB (from /proc). */
function memoryOf(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mib = (field: string) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 102.4) / 10;
  return { rss: mib('VmRSS'), anon: mib('RssAnon'), file: mib('RssFile') };
}

/** One real container's inspect and list entry: the templates of the simulated ones. */
async function templates(tag: string): Promise<{ inspect: Json; summary: Json }> {
  const docker = new Docker({ socketPath: '/var/run/docker.sock', version: DOCKER_API_VERSION });
  const c = await docker.createContainer({
    name: `${tag}-template`, Image: ensureBusyboxImage(), Cmd: ['sleep', '600'],
    Labels: { 'consul-sidecars.test': 'registrator-bench', SERVICE_NAME: `${tag}-svc` },
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  try {
    await c.start();
    const inspect = (await c.inspect()) as unknown as Json;
    const [summary] = (await docker.listContainers({ all: true, filters: { id: [c.id] } })) as unknown as Json[];
    return { inspect, summary };
  } finally {
    await c.remove({ force: true });
  }
}

interface Simulated { id: string; name: string; port: number }

export async function run(): Promise<BenchResult[]> {
  const tag = `registrator-mem-${randomBytes(3).toString('hex')}`;
  const { inspect, summary } = await templates(tag);
  const containers: Simulated[] = [];
  const streams = new Set<http.ServerResponse>();
  const inspectOf = (c: Simulated): Json => ({
    ...inspect, Id: c.id, Name: `/${c.name}`,
    NetworkSettings: { ...(inspect.NetworkSettings as Json), Ports: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(c.port) }] } },
  });
  const summaryOf = (c: Simulated): Json => ({ ...summary, Id: c.id, Names: [`/${c.name}`], Ports: [{ IP: '127.0.0.1', PrivatePort: 80, PublicPort: c.port, Type: 'tcp' }] });
  const engine = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://engine').pathname.replace(/^\/v[0-9.]+/, '');
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path === '/_ping') return void res.end('OK');
    if (path === '/containers/json') return void json(containers.map(summaryOf));
    const id = /^\/containers\/([^/]+)\/json$/.exec(path)?.[1];
    if (id !== undefined) {
      const c = containers.find((x) => x.id === id);
      return void (c ? json(inspectOf(c)) : res.writeHead(404).end('{"message":"No such container"}'));
    }
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }
    res.writeHead(404).end('{"message":"not simulated"}');
  });
  const started = (c: Simulated) => {
    const now = Date.now();
    const line = `${JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: c.id, Attributes: { name: c.name } }, time: Math.floor(now / 1000), timeNano: now * 1e6 })}\n`;
    for (const s of streams) s.write(line);
  };

  const dir = mkdtempSync(join(tmpdir(), `${tag}-`));
  const socket = join(dir, 'docker.sock');
  let standin: ConsulStandin | undefined;
  let child: ReturnType<typeof spawn> | undefined;
  const results: BenchResult[] = [];
  try {
    await new Promise<void>((resolve) => engine.listen(socket, resolve));
    standin = await startConsulStandin({ port: 0, node: 'bench' });
    const consul = standin;
    const { nodeFlags, env: imageEnv } = imageRuntime('registrator');
    const bare = spawn(process.execPath, [...nodeFlags, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', env: { ...process.env, ...imageEnv } });
    await new Promise((r) => setTimeout(r, 1500));
    const floor = memoryOf(bare.pid as number);
    bare.kill('SIGKILL');
    results.push({ suite: SUITE, name: 'RSS floor: bare node', value: floor.rss, unit: 'MiB', note: `node ${nodeFlags.join(' ')}; anon ${floor.anon}, file-backed ${floor.file}` });

    let passes = 0;
    child = spawn(process.execPath, [...nodeFlags, BIN, '-hostname', tag, '-ip', '127.0.0.1', '-resync', '3', '-roles=false', '-ops-port', '0', `consul://${consul.address}`], {
      env: { ...process.env, ...imageEnv, DOCKER_HOST: `unix://${socket}`, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (passes += chunk.toString().split('full reconcile done').length - 1));
    child.stderr?.resume();
    await waitFor(() => passes > 0, { timeoutMs: 30_000, message: 'registrator to start' });
    await new Promise((r) => setTimeout(r, 3000));
    const idle = memoryOf(child.pid as number);
    results.push({ suite: SUITE, name: 'RSS idle', value: idle.rss, unit: 'MiB', note: `anon ${idle.anon}, file-backed ${idle.file}; ${Math.round((idle.rss - floor.rss) * 10) / 10} over the floor` });

    const owned = async () => {
      const services = (await (await fetch(`${consul.url}/v1/agent/services`)).json()) as Record<string, { Meta?: Record<string, string> }>;
      return Object.values(services).filter((s) => s.Meta?.['registrator-node'] === tag).length;
    };
    for (const size of SIZES) {
      const t0 = performance.now();
      while (containers.length < size) {
        const c = { id: randomBytes(32).toString('hex'), name: `${tag}-${containers.length}`, port: 20_000 + containers.length };
        containers.push(c);
        started(c);
      }
      await waitFor(async () => (await owned()) === size, { timeoutMs: 120_000, intervalMs: 100, message: `${size} services registered` });
      const registeredMs = performance.now() - t0;
      // Measured after two -resync passes over all of them, as registrator.bench.ts measures.
      const mark = passes;
      await waitFor(() => passes >= mark + 2, { timeoutMs: 60_000, message: 'two resync passes' });
      const at = memoryOf(child.pid as number);
      results.push({
        suite: SUITE, name: `RSS with ${size} containers`, value: at.rss, unit: 'MiB',
        note: `${size === 1000 ? 'goal < 80; ' : ''}anon ${at.anon}, file-backed ${at.file}; ${Math.round(((at.anon - idle.anon) / size) * 1024)} KiB anon per container; all ${size} started at once, registered in ${Math.round(registeredMs)} ms`,
      });
    }
    return results;
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    for (const s of streams) s.destroy();
    await new Promise((r) => engine.close(r));
    await standin?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runStandalone(module, run);

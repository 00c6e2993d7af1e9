// Fleet scale, simulated on one machine: a Consul stand-in process holding 50 nodes' worth of instances (100 services x
// 50 nodes = 5,000, registered through the catalog API), 100 changes/s for 30 s (health flips and instance
// removals/additions), watched by the real daemons as their own processes: the renderer in reload mode (real nginx,
// nginx -t + reload) and in push mode (nginx-extras' Lua endpoint), and f5-sync against the BIG-IP stand-in.
// Per change: latency from the Consul write to the rendered file / nginx reloaded / nginx's pushed peers / the
// BIG-IP's pool members (p50/p99), CPU time per change of each daemon, connections each holds to Consul, and
// nothing dropped (every change seen, final state equal to Consul's). Floors measured alone in the same run:
// the stand-in's write -> blocking-query return, write + nginx -t + reload, one push, one iControl call.
// FLEET_SCALE_QUICK=1: 100 services x 20 nodes, 10 s of changes (well under 2 min).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { renameSync, watch, writeFileSync, readFileSync, type FSWatcher } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../packages/core/src';
import { startBigipStandin, type BigipStandin } from '../packages/bigip-standin/src';
import { freePort, startNginx, type NginxInstance } from '../packages/renderer/test/nginx-harness';
import { rendererEnv, rendererNodeFlags } from '../packages/renderer/bench/node-flags';
import { imageRuntime } from './image-runtime';
import { connectionsTo, cpuSeconds, pushedMembers, renderedMembers } from './fleet-scale-probes';
import { percentile, runStandalone, type BenchResult } from './stats';

const SUITE = 'fleet-scale';
const QUICK = process.env.FLEET_SCALE_QUICK === '1';
const SERVICES = 100;
const NODES = QUICK ? 20 : 50;
const RATE = 100;
const SECONDS = QUICK ? 10 : 30;
const CHANGES = RATE * SECONDS;
/** The load stops at CHANGES or at this much wall time, whichever comes first (a slow stand-in lowers the rate). */
const LOAD_TIME_LIMIT_MS = SECONDS * 1000 * 2;
/** Writes in flight at most (the writer falls behind the rate rather than piling up requests). */
const WRITE_CONCURRENCY = 16;
/** Poll period of nginx's pushed-peer dump and of the BIG-IP stand-in's pools: the resolution of those latencies. */
const PUSH_POLL_MS = 25;
const BIGIP_POLL_MS = 10;
const FLOOR_SAMPLES = 10;
const FLOOR_SERVICE = 'floor.scale.example';
/**
 * Quick: bounded for a < 2 min run (a change still unseen then may only be late). Full: long enough for a client with fewer sockets than
 * watchers (16 for 101) to cycle its whole queue of held queries (101 / 16 x ~64 s), so "late" and "dropped" differ.
 */
const DRAIN_TIMEOUT_MS = QUICK ? 30_000 : 360_000;
/** After the drain, how long the outputs get to equal Consul's state. */
const FINAL_TIMEOUT_MS = QUICK ? 10_000 : 30_000;
const F5_DEBOUNCE = { min: '100ms', max: '500ms' };
const F5_DEBOUNCE_MIN_MS = 100;
const ROOT = join(__dirname, '..');
const execFileAsync = promisify(execFile);

interface Instance {
  service: number;
  node: number;
  present: boolean;
  passing: boolean;
}

const serviceName = (s: number) => `fleet-${s}.scale.example`;
const poolName = (s: number) => `fleet_${s}`;
const nodeName = (n: number) => `fleet-node-${n}`;
/** Loopback addresses only: nothing ever connects to them (no request is sent to these sites). */
const nodeAddress = (n: number) => `127.1.${n}.1`;
const memberKey = (i: Instance) => `${nodeAddress(i.node)}:${20_000 + i.service}`;
const visible = (i: Instance) => i.present && i.passing;

/** A small Consul HTTP client on one keep-alive agent (the bench's own connections, counted apart). */
function consulCaller(port: number, maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const call = (method: string, path: string, body?: unknown): Promise<{ status: number; index: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, index: Number(res.headers['x-consul-index'] ?? 0), body: text }));
      });
      req.on('error', reject);
      req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  return { call, close: () => agent.destroy() };
}

function registration(i: Instance) {
  const id = `svc${i.service}-n${i.node}`;
  return {
    Node: nodeName(i.node),
    Address: nodeAddress(i.node),
    Service: { ID: id, Service: serviceName(i.service), Port: 20_000 + i.service, Tags: ['fleet'] },
    Check: { CheckID: `service:${id}`, Name: 'bench check', Status: i.passing ? 'passing' : 'critical', ServiceID: id },
  };
}

/** One change's path to being seen, per observer. */
class Lane {
  readonly pending = new Map<Instance, { expected: boolean; t0: number }>();
  readonly latencies: number[] = [];
  constructor(readonly name: string, private readonly onSeen?: (instance: Instance, t0: number) => void) {}
  expect(instance: Instance, t0: number): void {
    this.pending.set(instance, { expected: visible(instance), t0 });
  }
  /** Resolves every pending change that `has` now shows. */
  observe(has: (instance: Instance) => boolean | undefined, now = performance.now()): void {
    for (const [instance, p] of this.pending) {
      const shown = has(instance);
      if (shown === undefined || shown !== p.expected) continue;
      this.pending.delete(instance);
      this.latencies.push(now - p.t0);
      this.onSeen?.(instance, p.t0);
    }
  }
}

interface Daemon {
  name: string;
  child: ChildProcess;
  stderr: () => string;
  exit?: string;
}

function spawnDaemon(name: string, bin: string, args: string[], env: NodeJS.ProcessEnv = process.env, nodeFlags: readonly string[] = []): Daemon {
  // Logs (pino: stdout) and stderr, the last few KiB: what a daemon said before falling over.
  const child = spawn(process.execPath, [...nodeFlags, bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let tail = '';
  const keep = (c: Buffer) => (tail = (tail + c.toString()).slice(-4000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const daemon: Daemon = { name, child, stderr: () => tail };
  child.once('exit', (code, signal) => (daemon.exit = `exit ${code ?? signal}`));
  return daemon;
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function startStandinProcess(): Promise<{ child: ChildProcess; port: number }> {
  const bin = join(ROOT, 'packages', 'consul-standin', 'bin', 'consul-standin.js');
  const child = spawn(process.execPath, [bin, '--port', '0', '--node', 'fleet-scale'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`consul-standin did not print its address: ${out}`)), 15_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const match = /listening on http:\/\/[\d.]+:(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`consul-standin exited ${code}: ${out}`)));
  });
  child.stdout?.resume();
  return { child, port };
}

async function rendererLane(mode: 'reload' | 'push', consulUrl: string): Promise<{ nginx: NginxInstance; daemon: Daemon; adminPort?: number }> {
  const nginx = await startNginx({ label: `fleetbench-${mode}`, lua: mode === 'push', workers: 1 });
  const adminPort = mode === 'push' ? await freePort() : undefined;
  const vars: Record<string, unknown> = { listen: `127.0.0.1:${nginx.port}`, siteTag: 'fleet' };
  const template: Record<string, unknown> = {
    source: join(ROOT, 'packages', 'renderer', 'templates', mode === 'push' ? 'nginx-dynamic.conf.njk' : 'nginx-sites.conf.njk'),
    destination: nginx.sitesPath,
    validateCommand: nginx.validateCommand,
    reloadCommand: nginx.reloadCommand,
    vars,
  };
  if (adminPort) {
    vars.adminListen = `127.0.0.1:${adminPort}`;
    template.upstreamPush = { url: `http://127.0.0.1:${adminPort}/consul-sidecars`, nginx: '/usr/sbin/nginx' };
  }
  const configPath = join(nginx.prefix, 'renderer.json');
  writeFileSync(configPath, JSON.stringify({ consul: { address: consulUrl }, ops: { port: await freePort() }, logLevel: 'warn', templates: [template] }));
  // With the node flags of the renderer's image, as the renderer benches start it.
  const daemon = spawnDaemon(`renderer (${mode})`, join(ROOT, 'packages', 'renderer', 'bin', 'renderer.js'), ['-config', configPath], rendererEnv(), rendererNodeFlags());
  return { nginx, daemon, adminPort };
}

function pushDump(adminPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: adminPort, path: '/consul-sidecars/upstreams', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`push dump: HTTP ${res.statusCode}: ${body.slice(0, 200)}`))));
    }).on('error', reject);
  });
}

/** Pool members taking traffic (present, not drained) on the BIG-IP stand-in; undefined while the pool is absent. */
function bigipMembers(bigip: BigipStandin, service: number): Set<string> | undefined {
  try {
    return new Set(bigip.traffic(`/Common/${poolName(service)}`).members.filter((m) => m.session !== 'user-disabled').map((m) => m.name));
  } catch {
    return undefined;
  }
}

const progress = (msg: string) => {
  if (process.env.BENCH_VERBOSE) process.stderr.write(`fleet-scale: ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number) => Math.round(v * 10) / 10;

export async function run(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const instances: Instance[] = [];
  for (let n = 0; n < NODES; n++) for (let s = 0; s < SERVICES; s++) instances.push({ service: s, node: n, present: true, passing: true });
  const byKey = new Map(instances.map((i) => [memberKey(i), i]));
  const cleanups: Array<() => Promise<void> | void> = [];
  const daemons: Daemon[] = [];
  const watchers: FSWatcher[] = [];
  let running = true;
  try {
    // Consul: the stand-in as its own process, every instance registered through the catalog API.
    const standin = await startStandinProcess();
    cleanups.push(() => stopProcess(standin.child));
    const consulUrl = `http://127.0.0.1:${standin.port}`;
    const consul = consulCaller(standin.port, WRITE_CONCURRENCY);
    cleanups.push(() => consul.close());
    const write = async (i: Instance) => {
      const res = i.present
        ? await consul.call('PUT', '/v1/catalog/register', registration(i))
        : await consul.call('PUT', '/v1/catalog/deregister', { Node: nodeName(i.node), ServiceID: `svc${i.service}-n${i.node}` });
      if (res.status !== 200) throw new Error(`catalog write for ${memberKey(i)}: HTTP ${res.status} ${res.body}`);
      return res.index;
    };
    let started = performance.now();
    for (let at = 0; at < instances.length; at += WRITE_CONCURRENCY) await Promise.all(instances.slice(at, at + WRITE_CONCURRENCY).map(write));
    // The floor's service: the same shape (one instance per node), untagged, in no pool, watched by no daemon.
    const floorInstances = Array.from({ length: NODES }, (_, n) => ({
      ...registration({ service: SERVICES, node: n, present: true, passing: true }),
      Service: { ID: `floor-n${n}`, Service: FLOOR_SERVICE, Port: 30_000, Tags: [] as string[] },
      Check: { CheckID: `service:floor-n${n}`, Name: 'bench check', Status: 'passing', ServiceID: `floor-n${n}` },
    }));
    for (const instance of floorInstances) await consul.call('PUT', '/v1/catalog/register', instance);
    rows.push({ suite: SUITE, name: `register ${instances.length} instances (catalog API)`, value: performance.now() - started, unit: 'ms', note: `${SERVICES} services x ${NODES} nodes, ${WRITE_CONCURRENCY} in flight` });

    progress('registered');
    // The daemons, each its own process.
    const bigip = await startBigipStandin({ port: 0, user: 'admin', password: 'fleetbench', tls: false });
    cleanups.push(() => bigip.stop());
    const reload = await rendererLane('reload', consulUrl);
    cleanups.push(() => reload.nginx.stop());
    cleanups.push(() => stopProcess(reload.daemon.child));
    const push = await rendererLane('push', consulUrl);
    cleanups.push(() => push.nginx.stop());
    cleanups.push(() => stopProcess(push.daemon.child));
    const f5Config = join(reload.nginx.prefix, 'f5-sync.json');
    writeFileSync(f5Config, JSON.stringify({
      consul: { address: consulUrl },
      bigip: { url: bigip.url, username: 'admin' },
      pools: Array.from({ length: SERVICES }, (_, s) => ({ consulService: serviceName(s), name: poolName(s) })),
      debounce: F5_DEBOUNCE,
      resyncInterval: '1h',
      rateLimit: { callsPerSecond: 0 },
      leaderLock: { enabled: false },
      logLevel: 'warn',
    }));
    const f5 = spawnDaemon('f5-sync', join(ROOT, 'packages', 'f5-sync', 'bin', 'f5-sync.js'), ['--config', f5Config], { ...process.env, ...imageRuntime('f5-sync').env, BIGIP_PASSWORD: 'fleetbench' }, imageRuntime('f5-sync').nodeFlags);
    cleanups.push(() => stopProcess(f5.child));
    daemons.push(reload.daemon, push.daemon, f5);
    const alive = () => daemons.filter((d) => d.exit).map((d) => `${d.name} ${d.exit}: ${d.stderr().slice(-1500)}`);

    // Observers: one per path a change takes.
    const reloadFile = new Lane('reload mode: rendered file', (instance, t0) => awaitingReload.push({ instance, t0 }));
    const reloaded = new Lane('reload mode: nginx reloaded');
    const awaitingReload: Array<{ instance: Instance; t0: number }> = [];
    const pushed = new Lane('push mode: nginx peers');
    const bigipLane = new Lane('f5-sync: BIG-IP members');
    const lanes = [reloadFile, reloaded, pushed, bigipLane];
    const observed: { file: Set<string>; pushed: Set<string> } = { file: new Set(), pushed: new Set() };

    let fileReadQueued = false;
    const readFile = () => {
      fileReadQueued = false;
      try {
        observed.file = renderedMembers(readFileSync(reload.nginx.sitesPath, 'utf8'));
      } catch {
        return;
      }
      reloadFile.observe((i) => observed.file.has(memberKey(i)));
    };
    watchers.push(watch(dirname(reload.nginx.sitesPath), () => {
      if (!fileReadQueued) {
        fileReadQueued = true;
        setImmediate(readFile);
      }
    }));
    let reloadsSeen = reload.nginx.reloads();
    watchers.push(watch(reload.nginx.errorLog, () => {
      const now = performance.now();
      const count = reload.nginx.reloads();
      if (count === reloadsSeen) return;
      reloadsSeen = count;
      for (const { instance, t0 } of awaitingReload.splice(0)) {
        reloaded.pending.delete(instance);
        reloaded.latencies.push(now - t0);
      }
    }));
    const pushPoll = (async () => {
      while (running) {
        try {
          const body = await pushDump(push.adminPort as number);
          const now = performance.now();
          observed.pushed = pushedMembers(body);
          pushed.observe((i) => observed.pushed.has(memberKey(i)), now);
        } catch {
          // nginx not up yet, or nothing pushed: the next poll tells.
        }
        await sleep(PUSH_POLL_MS);
      }
    })();
    const bigipPoll = (async () => {
      while (running) {
        const cache = new Map<number, Set<string> | undefined>();
        const members = (s: number) => {
          if (!cache.has(s)) cache.set(s, bigipMembers(bigip, s));
          return cache.get(s);
        };
        bigipLane.observe((i) => members(i.service)?.has(memberKey(i)));
        await sleep(BIGIP_POLL_MS);
      }
    })();

    /** Instances whose shown state differs from Consul's, per observer (0 everywhere = converged). */
    const mismatches = () => {
      readFile();
      const file = instances.filter((i) => observed.file.has(memberKey(i)) !== visible(i)).length;
      const pushedOff = instances.filter((i) => observed.pushed.has(memberKey(i)) !== visible(i)).length;
      const pools = new Map<number, Set<string> | undefined>();
      const bigipOff = instances.filter((i) => {
        if (!pools.has(i.service)) pools.set(i.service, bigipMembers(bigip, i.service));
        return (pools.get(i.service)?.has(memberKey(i)) ?? false) !== visible(i);
      }).length;
      const off = instances.find((i) => (pools.get(i.service)?.has(memberKey(i)) ?? false) !== visible(i) || observed.file.has(memberKey(i)) !== visible(i) || observed.pushed.has(memberKey(i)) !== visible(i));
      const sample = off && `${memberKey(off)} consul ${visible(off)} file ${observed.file.has(memberKey(off))} pushed ${observed.pushed.has(memberKey(off))} bigip ${pools.get(off.service)?.has(memberKey(off))}`;
      return { file, pushed: pushedOff, bigip: bigipOff, total: file + pushedOff + bigipOff, sample };
    };
    const converged = (when: string) => waitFor(() => alive().length > 0 || mismatches().total === 0, { timeoutMs: 10_000, intervalMs: 100, message: `converged ${when}` }).catch(async (err) => {
      const m = mismatches();
      const svc = m.sample ? byKey.get(m.sample.split(' ')[0]) : undefined;
      const health = svc ? (await consul.call('GET', `/v1/health/service/${serviceName(svc.service)}`)).body : '';
      const entry = svc ? (JSON.parse(health) as Array<{ Node: { Node: string }; Checks: Array<{ Status: string }> }>).find((e) => e.Node.Node === nodeName(svc.node)) : undefined;
      throw new Error(`${(err as Error).message}; mismatches ${JSON.stringify(m)}; consul says ${JSON.stringify(entry?.Checks.map((c) => c.Status))}; ${alive().join('; ')}; stderr: ${daemons.map((d) => `${d.name}: ${d.stderr().slice(-1500)}`).join(' | ')}`);
    });
    started = performance.now();
    await waitFor(() => alive().length > 0 || mismatches().total === 0, { timeoutMs: QUICK ? 60_000 : 180_000, intervalMs: 250, message: 'nginx (both modes) and the BIG-IP showing every instance' }).catch((err) => {
      throw new Error(`${(err as Error).message}; mismatches ${JSON.stringify(mismatches())}`);
    });
    if (alive().length) throw new Error(`a daemon exited before the first sync: ${alive().join('; ')}`);
    rows.push({ suite: SUITE, name: 'first sync, all three outputs', value: performance.now() - started, unit: 'ms', note: `${instances.length} instances in the rendered file, nginx's pushed peers and ${SERVICES} BIG-IP pools` });

    progress('first sync done');
    // Floor 1: the stand-in's own write -> blocking-query return (a health flip; one parked query on that service).
    // On a service of the same shape that no daemon watches, so the floor does not disturb them.
    const floorConsul: number[] = [];
    const watcher = consulCaller(standin.port, 1);
    for (let k = 0; k < FLOOR_SAMPLES * 2; k++) {
      const instance = floorInstances[k % floorInstances.length];
      const path = `/v1/health/service/${FLOOR_SERVICE}`;
      const { index } = await watcher.call('GET', path);
      const woken = watcher.call('GET', `${path}?index=${index}&wait=30s`);
      await sleep(100);
      instance.Check.Status = instance.Check.Status === 'passing' ? 'critical' : 'passing';
      const t0 = performance.now();
      const res = await consul.call('PUT', '/v1/catalog/register', instance);
      if (res.status !== 200) throw new Error(`floor write: HTTP ${res.status} ${res.body}`);
      await woken;
      floorConsul.push(performance.now() - t0);
    }
    watcher.close();

    // Floor 2: write + nginx -t + nginx -s reload of the same 5,000-server file, alone, until nginx logs the reload.
    const floorReload: number[] = [];
    const rendered = readFileSync(reload.nginx.sitesPath, 'utf8');
    const putFile = (text: string) => {
      writeFileSync(`${reload.nginx.sitesPath}.floor`, text);
      renameSync(`${reload.nginx.sitesPath}.floor`, reload.nginx.sitesPath);
    };
    const validateAndReload = async () => {
      const before = reload.nginx.reloads();
      await execFileAsync(reload.nginx.validateCommand[0], reload.nginx.validateCommand.slice(1));
      await execFileAsync(reload.nginx.reloadCommand[0], reload.nginx.reloadCommand.slice(1));
      await waitFor(() => reload.nginx.reloads() > before, { timeoutMs: 10_000, intervalMs: 1, message: 'nginx reload logged' });
    };
    for (let k = 0; k < FLOOR_SAMPLES; k++) {
      const t0 = performance.now();
      putFile(`${rendered}# floor ${k}\n`);
      await validateAndReload();
      floorReload.push(performance.now() - t0);
    }
    putFile(rendered);
    await validateAndReload();
    reloadsSeen = reload.nginx.reloads();
    awaitingReload.length = 0;

    // Floor 3: one push of one upstream into nginx's endpoint, alone (POST, then the dump the lane polls).
    const floorPush: number[] = [];
    const dump = JSON.parse(await pushDump(push.adminPort as number)) as { upstreams: Record<string, { peers: unknown[] }> };
    const [upstream, entry] = Object.entries(dump.upstreams)[0];
    for (let k = 0; k < FLOOR_SAMPLES; k++) {
      const peers = k % 2 === 0 ? entry.peers.slice(1) : entry.peers;
      const t0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${push.adminPort}/consul-sidecars/upstreams`, { method: 'POST', body: JSON.stringify({ upstreams: { [upstream]: peers } }) });
      if (res.status !== 200) throw new Error(`push floor: nginx answered ${res.status}: ${await res.text()}`);
      pushedMembers(await pushDump(push.adminPort as number));
      floorPush.push(performance.now() - t0);
    }
    const restore = await fetch(`http://127.0.0.1:${push.adminPort}/consul-sidecars/upstreams`, { method: 'POST', body: JSON.stringify({ upstreams: { [upstream]: entry.peers } }) });
    if (restore.status !== 200) throw new Error(`push floor restore: HTTP ${restore.status}`);

    // Floor 4: one iControl member PATCH at the BIG-IP stand-in, alone.
    const floorBigip: number[] = [];
    const member = [...(bigipMembers(bigip, 0) ?? [])][0];
    const auth = `Basic ${Buffer.from('admin:fleetbench').toString('base64')}`;
    const patchMember = async (session: string) => {
      const res = await fetch(`${bigip.url}/mgmt/tm/ltm/pool/~Common~${poolName(0)}/members/~Common~${member}`, { method: 'PATCH', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ session }) });
      if (res.status !== 200) throw new Error(`BIG-IP floor: PATCH ${member}: HTTP ${res.status} ${await res.text()}`);
    };
    for (let k = 0; k < FLOOR_SAMPLES; k++) {
      const t0 = performance.now();
      await patchMember(k % 2 === 0 ? 'user-disabled' : 'user-enabled');
      floorBigip.push(performance.now() - t0);
    }
    await converged('after the floors');

    progress('floors done');
    // The load: 100 changes/s, each on an instance with no change still unseen anywhere.
    const pids = { reload: reload.daemon.child.pid as number, push: push.daemon.child.pid as number, f5: f5.child.pid as number, consul: standin.child.pid as number };
    const maxConnections = { reload: 0, push: 0, f5: 0 };
    const sampleConnections = () => {
      const count = (pid: number) => {
        try {
          return connectionsTo(pid, standin.port);
        } catch {
          return 0; // exited
        }
      };
      maxConnections.reload = Math.max(maxConnections.reload, count(pids.reload));
      maxConnections.push = Math.max(maxConnections.push, count(pids.push));
      maxConnections.f5 = Math.max(maxConnections.f5, count(pids.f5));
    };
    sampleConnections();
    const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)])) as Record<keyof typeof pids, ReturnType<typeof cpuSeconds>>;
    const reloadsBefore = reload.nginx.reloads();
    const busy = (i: Instance) => lanes.some((lane) => lane.pending.has(i));
    const writeLatencies: number[] = [];
    let writeErrors = 0;
    let firstWriteError: string | undefined;
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    let skipped = 0;
    let sent = 0;
    let inFlight = 0;
    const connectionTimer = setInterval(sampleConnections, 1000);
    const loadStart = performance.now();
    let lastSent = loadStart;
    let slotFreed: () => void = () => undefined;
    const progressTimer = setInterval(() => progress(`sent ${sent}, in flight ${inFlight}, unseen ${lanes.map((l) => l.pending.size).join('/')}`), 1000);
    for (let k = 0; k < CHANGES && performance.now() - loadStart < LOAD_TIME_LIMIT_MS; k++) {
      const due = loadStart + (k * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      while (inFlight >= WRITE_CONCURRENCY) await new Promise<void>((r) => (slotFreed = r));
      let instance: Instance | undefined;
      for (let tries = 0; tries < 50 && !instance; tries++) {
        const pick = instances[Math.floor(Math.random() * instances.length)];
        if (!busy(pick)) instance = pick;
      }
      if (!instance) {
        skipped++;
        continue;
      }
      // Three in four changes flip health; one in four removes an instance or adds it back.
      if (!instance.present) instance.present = true;
      else if (Math.random() < 0.25) instance.present = false;
      else instance.passing = !instance.passing;
      const t0 = performance.now();
      for (const lane of lanes) lane.expect(instance, t0);
      inFlight++;
      sent++;
      lastSent = t0;
      const target = instance;
      // A failed write is sent again (register and deregister are idempotent), so Consul ends where `expected` says.
      const attempt = (left: number): Promise<unknown> => write(target).catch((err: Error) => {
        writeErrors++;
        firstWriteError ??= err.message;
        if (left > 0) return attempt(left - 1);
        for (const lane of lanes) lane.pending.delete(target);
        return undefined;
      });
      attempt(3).then(() => writeLatencies.push(performance.now() - t0)).finally(() => {
        inFlight--;
        slotFreed();
      });
    }
    clearInterval(progressTimer);
    loopDelay.disable();
    progress('load sent');
    const loadSeconds = (lastSent - loadStart) / 1000;
    await waitFor(() => inFlight === 0, { timeoutMs: 30_000, intervalMs: 5, message: 'writes answered' });
    // Drain: every change seen (or the deadline), then the final state compared with Consul's.
    const drainStart = performance.now();
    await waitFor(() => lanes.every((lane) => lane.pending.size === 0) || alive().length > 0, { timeoutMs: DRAIN_TIMEOUT_MS, intervalMs: 50 }).catch(() => undefined);
    progress('drained');
    const drainMs = performance.now() - drainStart;
    clearInterval(connectionTimer);
    sampleConnections();
    const cpuAfter = Object.fromEntries(Object.entries(pids).filter(([k]) => !daemons.find((d) => d.child.pid === pids[k as keyof typeof pids])?.exit).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const unseen = Object.fromEntries(lanes.map((lane) => [lane.name, lane.pending.size]));
    const unseenAnywhere = new Set(lanes.flatMap((lane) => [...lane.pending.keys()])).size;
    let final = mismatches();
    await waitFor(() => (final = mismatches()).total === 0, { timeoutMs: FINAL_TIMEOUT_MS, intervalMs: 250 }).catch(() => undefined);
    const down = alive();

    const sizes = `${instances.length} instances, ${sent} changes in ${loadSeconds.toFixed(1)} s`;
    const latencyRows = (lane: Lane, label: string, note: string) => [
      { suite: SUITE, name: `${label} p50`, value: round(percentile(lane.latencies, 50)), unit: 'ms', note: `${lane.latencies.length} of ${sent} changes seen; ${note}` },
      { suite: SUITE, name: `${label} p99`, value: round(percentile(lane.latencies, 99)), unit: 'ms' },
    ];
    rows.push(
      { suite: SUITE, name: 'changes written', value: sent, unit: 'changes', note: `${round(sent / loadSeconds)}/s achieved of ${RATE}/s for ${SECONDS} s (cut at ${LOAD_TIME_LIMIT_MS / 1000} s); ${writeErrors} write errors (sent again${firstWriteError ? `; first: ${firstWriteError}` : ''}), ${skipped} skipped (no idle instance); write ack p99 ${round(percentile(writeLatencies, 99))} ms` },
      { suite: SUITE, name: 'bench process event-loop delay p99 during the load', value: round(loopDelay.percentile(99) / 1e6), unit: 'ms', note: `max ${round(loopDelay.max / 1e6)} ms: the writer, observers and the in-process BIG-IP stand-in share it; load average ${os.loadavg().map(round).join(' ')} (${os.cpus().length} CPUs)` },
      { suite: SUITE, name: 'floor: stand-in write -> blocking query returns p50', value: round(percentile(floorConsul, 50)), unit: 'ms', note: `${floorConsul.length} health flips, alone, ${instances.length} instances held` },
      { suite: SUITE, name: 'floor: stand-in write -> blocking query returns p99', value: round(percentile(floorConsul, 99)), unit: 'ms' },
      ...latencyRows(reloadFile, 'reload mode: change -> rendered file', 'inotify on the file'),
      ...latencyRows(reloaded, 'reload mode: change -> nginx reloaded with it', `${reload.nginx.reloads() - reloadsBefore} reloads during the load (nginx logging SIGHUP)`),
      { suite: SUITE, name: 'floor: write + nginx -t + reload, alone p50', value: round(percentile(floorReload, 50)), unit: 'ms', note: `${FLOOR_SAMPLES} runs on the same ${instances.length}-server file (no render)` },
      { suite: SUITE, name: 'floor: write + nginx -t + reload, alone p99', value: round(percentile(floorReload, 99)), unit: 'ms' },
      ...latencyRows(pushed, 'push mode: change -> nginx peers', `nginx's dump polled every ${PUSH_POLL_MS} ms (adds up to that)`),
      { suite: SUITE, name: 'floor: one push + one dump read, alone p50', value: round(percentile(floorPush, 50)), unit: 'ms', note: `${FLOOR_SAMPLES} POSTs of one ${entry.peers.length}-peer upstream` },
      ...latencyRows(bigipLane, 'f5-sync: change -> BIG-IP members', `stand-in polled every ${BIGIP_POLL_MS} ms; debounce ${F5_DEBOUNCE.min}-${F5_DEBOUNCE.max}`),
      { suite: SUITE, name: 'floor: one iControl member PATCH, alone p50', value: round(percentile(floorBigip, 50)), unit: 'ms', note: 'BIG-IP stand-in (in the bench process), plain HTTP' },
      { suite: SUITE, name: 'floor: f5-sync change -> BIG-IP p50', value: round(percentile(floorConsul, 50) + F5_DEBOUNCE_MIN_MS + 2 * percentile(floorBigip, 50)), unit: 'ms', note: `Consul floor p50 + debounce min ${F5_DEBOUNCE.min} + 2 calls (pool GET + member PATCH)` },
    );
    const cpuRow = (key: keyof typeof pids, label: string, children: boolean) => {
      const after = cpuAfter[key];
      if (!after) return { suite: SUITE, name: `CPU per change, ${label}`, value: NaN, unit: 'ms', note: 'process exited' };
      const self = ((after.self - cpuBefore[key].self) * 1000) / sent;
      const kids = ((after.children - cpuBefore[key].children) * 1000) / sent;
      return { suite: SUITE, name: `CPU per change, ${label}`, value: round(self), unit: 'ms', note: `${round(after.self - cpuBefore[key].self)} s CPU over the load + drain${children ? `; + ${round(kids)} ms/change in children (nginx -t, nginx -s reload)` : ''}` };
    };
    rows.push(
      cpuRow('reload', 'renderer (reload mode)', true),
      cpuRow('push', 'renderer (push mode)', true),
      cpuRow('f5', 'f5-sync', false),
      cpuRow('consul', 'Consul stand-in', false),
      { suite: SUITE, name: 'connections to Consul, renderer (reload mode)', value: maxConnections.reload, unit: 'conns', note: `most held at once (/proc/<pid>/fd + /proc/net/tcp, sampled every 1 s); ${SERVICES} services watched` },
      { suite: SUITE, name: 'connections to Consul, renderer (push mode)', value: maxConnections.push, unit: 'conns' },
      { suite: SUITE, name: 'connections to Consul, f5-sync', value: maxConnections.f5, unit: 'conns', note: `${SERVICES} pools` },
      { suite: SUITE, name: 'changes never seen', value: unseenAnywhere, unit: 'changes', note: `${JSON.stringify(unseen)} by some observer, after a ${round(drainMs / 1000)} s drain (deadline ${DRAIN_TIMEOUT_MS / 1000} s); target 0` },
      { suite: SUITE, name: 'final state differing from Consul', value: final.total, unit: 'instances', note: `file ${final.file}, pushed ${final.pushed}, BIG-IP ${final.bigip}; target 0${down.length ? `; EXITED: ${down.join('; ')}` : ''}` },
    );
    rows[0].note = `${rows[0].note}; ${sizes}`;
    return rows;
  } finally {
    running = false;
    for (const w of watchers) w.close();
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  }
}

runStandalone(module, run);

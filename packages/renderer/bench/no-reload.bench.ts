// renderer no-reload mode against reload mode, in the same run, on real nginx-extras, real busybox web
// containers and the Consul stand-in (or CONSUL_HTTP_ADDR), each mode with its own renderer process, nginx and
// Consul stand-in (so a change of one mode wakes only its own renderer, as on two hosts; a real agent is shared),
// each nginx holding 1,000 upstreams (the measured site and 999 filler services):
// - Consul change -> nginx routing to the new instance, p50/p99 per mode, and the ratio (target: push mode p99
//   below 50 ms and at least 10x faster than reload mode), beside each mode's floor with the renderer stopped
//   (push: one POST to nginx + requests; reload: the file written, nginx -t, reload + requests);
// Probes and floor requests use a fresh connection each: a reload makes the old workers close idle kept-alive
// connections, and a probe reusing one would read ECONNRESET (an artefact of the probe, not of the mode).
// - requests failed while backends churn under a bounded wrk load with client keepalive, per mode (target 0),
//   with the nginx reloads each mode caused.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@consul-sidecars/core';
import { startTestConsul, type TestConsul } from '../../../test/support/consul';
import { ensureBusyboxImage } from '../../../test/support/docker-images';
import { removeContainers, startWebContainer, type WebContainer } from '../../../test/support/web-container';
import { percentile, type BenchResult, runStandalone } from '../../../bench/stats';
import { freePort, httpGet, startNginx, type NginxInstance } from '../test/nginx-harness';
import { settled, untilServed, wrkFailures } from './support';
import { adminRequest, countUpstreams, deregisterFillers, fillerName, registerFillers, repointUpstream, upstreamPorts, UPSTREAMS } from './no-reload-fixture';
import { rendererEnv, rendererNodeFlags } from './node-flags';

export type { BenchResult };

const SUITE = 'renderer no-reload';
const ITERATIONS = 30;
/** Changes per mode before measuring (first renders, first pushes, JIT). */
const WARMUP = 3;
const BIN = join(__dirname, '..', 'bin', 'renderer.js');
/** nginx worker processes of each lane. */
const WORKERS = 2;
const TEMPLATES = join(__dirname, '..', 'templates');
const execFileAsync = promisify(execFile);

type Mode = 'reload' | 'push';

interface Lane {
  mode: Mode;
  consul: TestConsul;
  nginx: NginxInstance;
  child: ChildProcess;
  site: string;
  host: string;
  tag: string;
  adminPort?: number;
}

async function startLane(mode: Mode, consul: TestConsul, id: string): Promise<Lane> {
  const nginx = await startNginx({ label: `bench-${mode}`, lua: mode === 'push', workers: WORKERS });
  const tag = `renderer-bench-${mode}-${id}`;
  const site = `${mode}-${id}.example.com`;
  const adminPort = mode === 'push' ? await freePort() : undefined;
  const vars: Record<string, unknown> = { listen: `127.0.0.1:${nginx.port}`, domainPrefix: 'test.', siteTag: tag };
  const template: Record<string, unknown> = {
    source: join(TEMPLATES, mode === 'push' ? 'nginx-dynamic.conf.njk' : 'nginx-sites.conf.njk'),
    destination: nginx.sitesPath,
    validateCommand: nginx.validateCommand,
    reloadCommand: nginx.reloadCommand,
    group: 'nginx',
    vars,
  };
  if (adminPort) {
    vars.adminListen = `127.0.0.1:${adminPort}`;
    template.upstreamPush = { url: `http://127.0.0.1:${adminPort}/consul-sidecars`, nginx: '/usr/sbin/nginx' };
  }
  const configPath = join(nginx.prefix, 'renderer.json');
  writeFileSync(configPath, JSON.stringify({ consul: { address: consul.url }, ops: { port: await freePort() }, logLevel: process.env.BENCH_VERBOSE ? 'info' : 'warn', templates: [template] }));
  // BENCH_VERBOSE: each renderer's log in the temp dir (the nginx prefix goes with the lane).
  const log = process.env.BENCH_VERBOSE ? openSync(join(tmpdir(), `renderer-nr-bench-${mode}-${id}.log`), 'w') : 'ignore';
  const child = spawn(process.execPath, [...rendererNodeFlags(), BIN, '-config', configPath], { stdio: ['ignore', log, log], env: rendererEnv() });
  return { mode, consul, nginx, child, site, host: `test.${site}`, tag, adminPort };
}

/** The ports nginx routes the lane's site to: its rendered upstream block (reload) or its pushed peers (push). */
async function members(lane: Lane): Promise<number[]> {
  const upstream = `consul_${lane.site}`;
  if (lane.adminPort) {
    const res = await adminRequest(lane.adminPort, 'GET', `/consul-sidecars/upstreams/${upstream}`);
    const body = JSON.parse(res.text) as { upstreams?: Record<string, { peers?: { port: number }[] }> };
    return (body.upstreams?.[upstream]?.peers ?? []).map((p) => p.port);
  }
  return upstreamPorts(readFileSync(lane.nginx.sitesPath, 'utf8'), upstream);
}

function sameMembers(ports: number[], want: number[]): boolean {
  return ports.length === want.length && [...ports].sort().every((p, i) => p === [...want].sort()[i]);
}

async function stopRenderer(lane: Lane): Promise<void> {
  if (lane.child.exitCode === null && lane.child.signalCode === null) {
    const exited = new Promise((r) => lane.child.once('exit', r));
    lane.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (lane.child.exitCode === null && lane.child.signalCode === null) lane.child.kill('SIGKILL');
  }
}

async function stopLane(lane: Lane | undefined): Promise<void> {
  if (!lane) return;
  await stopRenderer(lane);
  await lane.nginx.stop();
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const id = randomBytes(3).toString('hex');
  const consuls: TestConsul[] = [];
  let webs: WebContainer[] = [];
  const lanes: Lane[] = [];
  const fillers: { consul: TestConsul; ids: string[] }[] = [];
  try {
    ensureBusyboxImage();
    webs = ['a', 'b', 'c'].map((n) => startWebContainer(`renderer-nr-bench-${id}-${n}`, { testLabel: `renderer-nr-bench-${id}` }));
    // One stand-in per mode; a real agent (CONSUL_HTTP_ADDR) is one, shared.
    consuls.push(await startTestConsul());
    if (consuls[0].isStandin) consuls.push(await startTestConsul());
    const consulOf = (mode: Mode): TestConsul => consuls[mode === 'reload' ? 0 : consuls.length - 1];
    await waitFor(async () => (await fetch(`http://127.0.0.1:${webs[2].hostPort}/`)).ok, { timeoutMs: 15_000, message: 'web containers' });
    const register = (lane: Lane, serviceId: string, web: WebContainer) =>
      lane.consul.client.agent.service.register({ name: lane.site, id: `${lane.mode}-${serviceId}-${id}`, address: '127.0.0.1', port: web.hostPort, tags: [lane.tag] });
    const deregister = (lane: Lane, serviceId: string) => lane.consul.client.agent.service.deregister(`${lane.mode}-${serviceId}-${id}`);

    for (const mode of ['reload', 'push'] as Mode[]) lanes.push(await startLane(mode, consulOf(mode), id));
    for (const lane of lanes) {
      await register(lane, 'one', webs[0]);
      await untilServed(lane.nginx, lane.host, webs[0].name, Date.now());
    }
    // 999 more sites per nginx: reload mode's nginx -t + reload parse 1,000 upstreams, push mode's dict holds 1,000.
    const fillersStarted = Date.now();
    for (const lane of lanes) fillers.push({ consul: lane.consul, ids: await registerFillers(lane.consul.client, { site: lane.site, tag: lane.tag, port: webs[0].hostPort, count: UPSTREAMS - 1 }) });
    for (const lane of lanes) {
      await waitFor(async () => (await httpGet(lane.nginx.port, `test.${fillerName(UPSTREAMS - 1, lane.site)}`, '/', 2000)).body.trim() === webs[0].name, { timeoutMs: 120_000, intervalMs: 50, message: `${lane.mode} nginx serving the last filler` });
      await waitFor(() => countUpstreams(readFileSync(lane.nginx.sitesPath, 'utf8')) === UPSTREAMS, { timeoutMs: 30_000, message: `${lane.mode} nginx file with ${UPSTREAMS} upstreams` });
      if (lane.adminPort) {
        await waitFor(async () => (JSON.parse((await adminRequest(lane.adminPort!, 'GET', '/consul-sidecars/status')).text) as { upstreams?: number }).upstreams === UPSTREAMS, { timeoutMs: 30_000, message: `push nginx holding ${UPSTREAMS} upstreams` });
      }
    }
    const fillersTook = Date.now() - fillersStarted;

    // 1. Consul change -> routed to the new instance: the single instance moves between three containers; each
    // step starts once nginx answers only with the current one (no draining worker can pass for the new one).
    const changes: Record<Mode, number[]> = { reload: [], push: [] };
    for (let i = 0; i < (WARMUP + ITERATIONS) * 2; i++) {
      const lane = lanes[i % 2];
      const step = Math.floor(i / 2);
      await settled(lane.nginx, lane.host, webs[step % 3].name);
      // Neither nginx still retiring the workers of its last reload: a mode's latency is not the other's leftover work.
      await waitFor(() => lanes.every((l) => l.nginx.workerPids().length === WORKERS), { timeoutMs: 15_000, intervalMs: 20, message: 'old nginx workers gone' });
      const target = webs[(step + 1) % 3];
      const started = Date.now();
      await register(lane, 'one', target);
      const took = await untilServed(lane.nginx, lane.host, target.name, started);
      if (step >= WARMUP) changes[lane.mode].push(took);
      if (process.env.BENCH_VERBOSE) console.error(`change ${i} ${lane.mode} ${started}: ${took} ms (${lane.nginx.reloads()} reloads)`);
    }
    if (process.env.BENCH_VERBOSE) console.error(JSON.stringify(changes));
    const p99 = (mode: Mode) => percentile(changes[mode], 99);
    const upstreams = `${UPSTREAMS} upstreams in each nginx (${UPSTREAMS - 1} fillers registered and live in ${(fillersTook / 1000).toFixed(1)} s)`;
    results.push(
      { suite: SUITE, name: 'consul change -> routed, reload mode p50', value: percentile(changes.reload, 50), unit: 'ms', note: `${ITERATIONS} changes after ${WARMUP} warm-ups; nginx -t + reload; ${upstreams}` },
      { suite: SUITE, name: 'consul change -> routed, reload mode p99', value: p99('reload'), unit: 'ms' },
      { suite: SUITE, name: 'consul change -> routed, push mode p50', value: percentile(changes.push, 50), unit: 'ms', note: `${ITERATIONS} changes; 0 reloads; target p99 < 50 ms` },
      { suite: SUITE, name: 'consul change -> routed, push mode p99', value: p99('push'), unit: 'ms' },
      { suite: SUITE, name: 'reload p99 / push p99', value: Math.round((p99('reload') / Math.max(1, p99('push'))) * 10) / 10, unit: 'x', note: 'target >= 10' },
      { suite: SUITE, name: 'reload p50 / push p50', value: Math.round((percentile(changes.reload, 50) / Math.max(1, percentile(changes.push, 50))) * 10) / 10, unit: 'x' },
    );

    // 2. Failed requests while the backends churn (register the next, deregister the oldest, every 250 ms),
    // under wrk with client keepalive: what a reload costs (idle connections dropped) against a push.
    for (const lane of lanes) {
      // The new instance first (the site never has none, so its server block stays), then nginx holding it alone:
      // answering with webs[1] is no proof when the one instance was there already and the renderer lags behind.
      await register(lane, 'churn-1', webs[1]);
      await deregister(lane, 'one');
      await waitFor(async () => sameMembers(await members(lane), [webs[1].hostPort]), { timeoutMs: 60_000, intervalMs: 20, message: `${lane.mode} nginx holding churn-1 alone` });
      await settled(lane.nginx, lane.host, webs[1].name);
      const reloadsBefore = lane.nginx.reloads();
      let stop = false;
      let churns = 0;
      const churn = (async () => {
        let n = 2;
        while (!stop && churns < 40) {
          await register(lane, `churn-${n}`, webs[n % 3]);
          await deregister(lane, `churn-${n - 1}`);
          n++;
          churns++;
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      const wrk = await execFileAsync('/usr/bin/wrk', ['-t2', '-c8', '-d5s', '--timeout', '2s', '-H', `Host: ${lane.host}`, `http://127.0.0.1:${lane.nginx.port}/`], { timeout: 30_000 });
      stop = true;
      await churn;
      const load = wrkFailures(wrk.stdout);
      results.push({
        suite: SUITE,
        name: `requests failed while backends churn, ${lane.mode} mode`,
        value: load.failed,
        unit: 'requests',
        note: `of ${load.requests} (wrk -t2 -c8 -d5s, keepalive; ${churns} churns, ${lane.nginx.reloads() - reloadsBefore} nginx reloads; ${load.detail})`,
      });
    }

    // 3. The floors, renderer stopped (nothing in between, and no poll repairing the floor's push): the same move
    // of the one instance between containers, straight into each nginx with its 1,000 upstreams.
    for (const lane of lanes) await stopRenderer(lane);
    const floors: Record<Mode, number[]> = { reload: [], push: [] };
    const moves: Record<Mode, (port: number) => Promise<void>> = {
      reload: async (port) => {
        const nginx = lanes[0].nginx;
        writeFileSync(nginx.sitesPath, repointUpstream(readFileSync(nginx.sitesPath, 'utf8'), `consul_${lanes[0].site}`, port));
        await execFileAsync(nginx.validateCommand[0], nginx.validateCommand.slice(1));
        await execFileAsync(nginx.reloadCommand[0], nginx.reloadCommand.slice(1));
      },
      push: async (port) => {
        const res = await adminRequest(lanes[1].adminPort!, 'POST', '/consul-sidecars/upstreams', { upstreams: { [`consul_${lanes[1].site}`]: [{ address: '127.0.0.1', port }] } });
        if (res.status !== 200) throw new Error(`push floor: nginx answered ${res.status}: ${res.text}`);
      },
    };
    for (const lane of lanes) {
      await moves[lane.mode](webs[0].hostPort);
      await untilServed(lane.nginx, lane.host, webs[0].name, Date.now());
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        await settled(lane.nginx, lane.host, webs[i % 3].name);
        const to = webs[(i + 1) % 3];
        const started = Date.now();
        await moves[lane.mode](to.hostPort);
        const took = await untilServed(lane.nginx, lane.host, to.name, started);
        if (i >= WARMUP) floors[lane.mode].push(took);
      }
    }
    if (process.env.BENCH_VERBOSE) console.error(JSON.stringify(floors));
    results.push(
      { suite: SUITE, name: 'reload floor (file, nginx -t, reload + requests) p50', value: percentile(floors.reload, 50), unit: 'ms', note: `same nginx (${UPSTREAMS} upstreams), same run, renderer stopped` },
      { suite: SUITE, name: 'reload floor (file, nginx -t, reload + requests) p99', value: percentile(floors.reload, 99), unit: 'ms' },
      { suite: SUITE, name: 'push floor (POST to nginx + requests) p50', value: percentile(floors.push, 50), unit: 'ms', note: `same nginx (${UPSTREAMS} upstreams in the dict), same run, renderer stopped` },
      { suite: SUITE, name: 'push floor (POST to nginx + requests) p99', value: percentile(floors.push, 99), unit: 'ms' },
      { suite: SUITE, name: 'reload floor p99 / push floor p99', value: Math.round((percentile(floors.reload, 99) / Math.max(1, percentile(floors.push, 99))) * 10) / 10, unit: 'x', note: 'the ratio the modes allow at best' },
    );
    return results;
  } finally {
    for (const lane of lanes) await stopLane(lane);
    for (const { consul, ids } of fillers) await deregisterFillers(consul.client, ids).catch(() => undefined);
    removeContainers(...webs.map((w) => w.id));
    for (const consul of consuls) await consul.close();
  }
}

runStandalone(module, run);

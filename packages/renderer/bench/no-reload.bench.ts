// renderer no-reload mode against reload mode, in the same run, on real nginx-extras, real busybox web
// containers and the Consul stand-in (or CONSUL_HTTP_ADDR), each mode with its own renderer process and nginx:
// - Consul change -> nginx routing to the new instance, p50/p99 per mode, and the ratio (target: push mode p99
//   below 50 ms and at least 10x faster than reload mode), beside the push floor (one POST to nginx + requests);
// - requests failed while backends churn under a bounded wrk load with client keepalive, per mode (target 0),
//   with the nginx reloads each mode caused.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '@consul-sidecars/core';
import { startTestConsul, type TestConsul } from '../../../test/support/consul';
import { ensureBusyboxImage } from '../../../test/support/docker-images';
import { removeContainers, startWebContainer, type WebContainer } from '../../../test/support/web-container';
import { percentile, type BenchResult, runStandalone } from '../../../bench/stats';
import { freePort, startNginx, type NginxInstance } from '../test/nginx-harness';
import { settled, untilServed, wrkFailures } from './support';

export type { BenchResult };

const SUITE = 'renderer no-reload';
const ITERATIONS = 30;
/** Changes per mode before measuring (first renders, first pushes, JIT). */
const WARMUP = 3;
const BIN = join(__dirname, '..', 'bin', 'renderer.js');
const TEMPLATES = join(__dirname, '..', 'templates');
const execFileAsync = promisify(execFile);

type Mode = 'reload' | 'push';

interface Lane {
  mode: Mode;
  nginx: NginxInstance;
  child: ChildProcess;
  site: string;
  host: string;
  tag: string;
  adminPort?: number;
}

async function startLane(mode: Mode, consul: TestConsul, id: string): Promise<Lane> {
  const nginx = await startNginx({ label: `bench-${mode}`, lua: mode === 'push', workers: 2 });
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
  writeFileSync(configPath, JSON.stringify({ consul: { address: consul.url }, ops: { port: await freePort() }, logLevel: 'warn', templates: [template] }));
  const child = spawn(process.execPath, [BIN, '-config', configPath], { stdio: 'ignore' });
  return { mode, nginx, child, site, host: `test.${site}`, tag, adminPort };
}

async function stopLane(lane: Lane | undefined): Promise<void> {
  if (!lane) return;
  if (lane.child.exitCode === null) {
    const exited = new Promise((r) => lane.child.once('exit', r));
    lane.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (lane.child.exitCode === null) lane.child.kill('SIGKILL');
  }
  await lane.nginx.stop();
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const id = randomBytes(3).toString('hex');
  let consul: TestConsul | undefined;
  let webs: WebContainer[] = [];
  const lanes: Lane[] = [];
  try {
    ensureBusyboxImage();
    webs = ['a', 'b', 'c'].map((n) => startWebContainer(`renderer-nr-bench-${id}-${n}`, { testLabel: `renderer-nr-bench-${id}` }));
    consul = await startTestConsul();
    const client = consul.client;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${webs[2].hostPort}/`)).ok, { timeoutMs: 15_000, message: 'web containers' });
    const register = (lane: Lane, serviceId: string, web: WebContainer) =>
      client.agent.service.register({ name: lane.site, id: `${lane.mode}-${serviceId}-${id}`, address: '127.0.0.1', port: web.hostPort, tags: [lane.tag] });
    const deregister = (lane: Lane, serviceId: string) => client.agent.service.deregister(`${lane.mode}-${serviceId}-${id}`);

    for (const mode of ['reload', 'push'] as Mode[]) lanes.push(await startLane(mode, consul, id));
    for (const lane of lanes) {
      await register(lane, 'one', webs[0]);
      await untilServed(lane.nginx, lane.host, webs[0].name, Date.now());
    }

    // 1. Consul change -> routed to the new instance: the single instance moves between three containers; each
    // step starts once nginx answers only with the current one (no draining worker can pass for the new one).
    const changes: Record<Mode, number[]> = { reload: [], push: [] };
    for (let i = 0; i < (WARMUP + ITERATIONS) * 2; i++) {
      const lane = lanes[i % 2];
      const step = Math.floor(i / 2);
      await settled(lane.nginx, lane.host, webs[step % 3].name);
      const target = webs[(step + 1) % 3];
      const started = Date.now();
      await register(lane, 'one', target);
      const took = await untilServed(lane.nginx, lane.host, target.name, started);
      if (step >= WARMUP) changes[lane.mode].push(took);
    }
    const next = WARMUP + ITERATIONS;
    // The push floor: the same move as one POST to nginx's endpoint, no Consul and no renderer in between.
    const push = lanes[1];
    const upstream = `consul_${push.site}`;
    const floor: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const from = webs[(next + i) % 3];
      const to = webs[(next + i + 1) % 3];
      await settled(push.nginx, push.host, from.name);
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${push.adminPort}/consul-sidecars/upstreams`, { method: 'POST', body: JSON.stringify({ upstreams: { [upstream]: [{ address: '127.0.0.1', port: to.hostPort }] } }) });
      if (res.status !== 200) throw new Error(`push floor: nginx answered ${res.status}: ${await res.text()}`);
      floor.push(await untilServed(push.nginx, push.host, to.name, started));
    }
    // Consul and nginx agree again (the renderer re-pushes what Consul says on its next change).
    await register(push, 'one', webs[(next + ITERATIONS) % 3]);
    if (process.env.BENCH_VERBOSE) console.error(JSON.stringify(changes));
    const p99 = (mode: Mode) => percentile(changes[mode], 99);
    results.push(
      { suite: SUITE, name: 'consul change -> routed, reload mode p50', value: percentile(changes.reload, 50), unit: 'ms', note: `${ITERATIONS} changes after ${WARMUP} warm-ups; nginx -t + reload` },
      { suite: SUITE, name: 'consul change -> routed, reload mode p99', value: p99('reload'), unit: 'ms' },
      { suite: SUITE, name: 'consul change -> routed, push mode p50', value: percentile(changes.push, 50), unit: 'ms', note: `${ITERATIONS} changes; 0 reloads; target p99 < 50 ms` },
      { suite: SUITE, name: 'consul change -> routed, push mode p99', value: p99('push'), unit: 'ms' },
      { suite: SUITE, name: 'push floor (POST to nginx + requests) p50', value: percentile(floor, 50), unit: 'ms', note: 'same nginx, same run' },
      { suite: SUITE, name: 'reload p99 / push p99', value: Math.round((p99('reload') / Math.max(1, p99('push'))) * 10) / 10, unit: 'x', note: 'target >= 10' },
      { suite: SUITE, name: 'reload p50 / push p50', value: Math.round((percentile(changes.reload, 50) / Math.max(1, percentile(changes.push, 50))) * 10) / 10, unit: 'x' },
    );

    // 2. Failed requests while the backends churn (register the next, deregister the oldest, every 250 ms),
    // under wrk with client keepalive: what a reload costs (idle connections dropped) against a push.
    for (const lane of lanes) {
      await deregister(lane, 'one');
      await register(lane, 'churn-1', webs[1]);
      await untilServed(lane.nginx, lane.host, webs[1].name, Date.now());
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
    return results;
  } finally {
    for (const lane of lanes) await stopLane(lane);
    removeContainers(...webs.map((w) => w.id));
    await consul?.close();
  }
}

runStandalone(module, run);

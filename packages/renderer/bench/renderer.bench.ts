// renderer benchmark, against a real nginx, real busybox web containers and the Consul stand-in:
// - Consul change -> nginx serving the new upstream (p50/p99), beside the floor measured in the same run
//   (the file written by hand + one `nginx -t` + one reload + requests until the new backend answers);
// - render time of the shipped nginx template for 1,000 services x 10 instances;
// - the renderer process's RSS while watching 100 services x 10 instances;
// - requests failed under a bounded wrk load while the backends churn (target 0).

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { consulSettingsFromEnv, createConsulClient, waitFor, type ConsulClient } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { ensureBusyboxImage } from '../../../test/support/docker-images';
import { removeContainers, startWebContainer, type WebContainer } from '../../../test/support/web-container';
import { percentile, rssMiB, type BenchResult, runStandalone } from '../../../bench/stats';
import { dependencyKey, type Dependency, type DependencyData } from '../src/dependencies';
import { TemplateEnvironment } from '../src/template-env';
import { freePort, httpGet, startNginx, type NginxInstance } from '../test/nginx-harness';
import { settled, untilServed, wrkFailures } from './support';
import { instance } from '../test/fixtures';
import { rendererEnv, rendererNodeFlags } from './node-flags';

export type { BenchResult };

const SUITE = 'renderer';
const ITERATIONS = 20;
const BIN = join(__dirname, '..', 'bin', 'renderer.js');
const TEMPLATE = join(__dirname, '..', 'templates', 'nginx-sites.conf.njk');
const execFileAsync = promisify(execFile);

/**
 * Render time of the shipped nginx template over `count` services x 10 instances, beside its floor: the same
 * upstream lines built by plain string concatenation over the same data (no template engine), same run.
 */
export function renderBench(count: number, runs: number): BenchResult[] {
  const env = new TemplateEnvironment();
  const compiled = env.compile(readFileSync(TEMPLATE, 'utf8'), 'nginx-sites');
  const data = new Map<string, DependencyData>();
  const services = Array.from({ length: count }, (_, s) => ({ Name: `svc-${String(s).padStart(5, '0')}.example.com`, Tags: ['http'] }));
  data.set('catalog.services', services);
  for (const svc of services) {
    const dep: Dependency = { kind: 'health.service', service: svc.Name, status: 'passing' };
    data.set(dependencyKey(dep), Array.from({ length: 10 }, (_, i) => instance(`${svc.Name}-${i}`, 20_000 + i, { Name: svc.Name, Address: `10.1.${i}.${(svc.Name.length + i) % 250}` })));
  }
  const source = { lookup: (dep: Dependency) => ({ ready: true, data: data.get(dependencyKey(dep)) }) };
  const times: number[] = [];
  const floors: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs + 2; i++) {
    const started = process.hrtime.bigint();
    const out = env.render(compiled, source, { vars: { listen: 8080, siteTag: 'http' } });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    bytes = out.output.length;
    if (out.error || out.missing.length) throw new Error(`render failed: ${out.error?.message ?? out.missing.join(', ')}`);
    const floorStarted = process.hrtime.bigint();
    let text = '';
    for (const svc of services) {
      text += `upstream ${svc.Name} {\n`;
      const instances = data.get(dependencyKey({ kind: 'health.service', service: svc.Name, status: 'passing' })) as { Address: string; Port: number }[];
      for (const inst of instances) text += `    server ${inst.Address}:${inst.Port} max_fails=2 fail_timeout=5s;\n`;
      text += '}\n';
    }
    floors.push(Number(process.hrtime.bigint() - floorStarted) / 1e6 + (text.length > 0 ? 0 : 1));
  }
  const label = `${count.toLocaleString('en-US')} services x 10 instances`;
  return [
    { suite: SUITE, name: `render ${label} p50`, value: percentile(times.slice(2), 50), unit: 'ms', note: `${Math.round(bytes / 1024)} KiB output, shipped nginx template${count >= 10_000 ? '; target < 300 ms' : ''}` },
    { suite: SUITE, name: `render ${label} max`, value: Math.max(...times.slice(2)), unit: 'ms', note: `${runs} runs after 2 warm-ups` },
    { suite: SUITE, name: `render ${label} floor p50`, value: percentile(floors.slice(2), 50), unit: 'ms', note: 'the upstream lines by string concatenation, same data, same run' },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [...renderBench(1000, 5), ...renderBench(10_000, 3)];
  const id = randomBytes(3).toString('hex');
  const tag = `renderer-bench-${id}`;
  const site = `bench-${id}.example.com`;
  const host = `test.${site}`;
  let standin: ConsulStandin | undefined;
  let nginx: NginxInstance | undefined;
  let child: ChildProcess | undefined;
  let webs: WebContainer[] = [];
  try {
    ensureBusyboxImage();
    webs = ['a', 'b', 'c'].map((n) => startWebContainer(`renderer-bench-${id}-${n}`, { testLabel: tag }));
    standin = await startConsulStandin({ port: 0 });
    const consul: ConsulClient = createConsulClient(consulSettingsFromEnv({}, standin.address));
    nginx = await startNginx({ label: 'bench' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${webs[2].hostPort}/`)).ok, { timeoutMs: 15_000, message: 'web containers' });

    const register = (serviceId: string, web: WebContainer, name = site) => consul.agent.service.register({ name, id: serviceId, address: '127.0.0.1', port: web.hostPort, tags: [tag] });
    await register('bench-1', webs[0]);

    const configPath = join(nginx.prefix, 'renderer.json');
    writeFileSync(configPath, JSON.stringify({
      consul: { address: standin.address },
      ops: { port: await freePort() },
      logLevel: 'warn',
      templates: [{ source: TEMPLATE, destination: nginx.sitesPath, validateCommand: nginx.validateCommand, reloadCommand: nginx.reloadCommand, group: 'nginx', vars: { listen: `127.0.0.1:${nginx.port}`, domainPrefix: 'test.', siteTag: tag } }],
    }));
    child = spawn(process.execPath, [...rendererNodeFlags(), BIN, '-config', configPath], { stdio: 'ignore', env: rendererEnv() });
    const pid = child.pid as number;
    await untilServed(nginx, host, webs[0].name, Date.now());

    // 1. Consul change -> served, then the floor.
    // Backends rotate over three containers, and each step starts once nginx answers only with the current one,
    // so a worker still draining an older config can never pass for the new one.
    const changes: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      await settled(nginx, host, webs[i % 3].name);
      const target = webs[(i + 1) % 3];
      const started = Date.now();
      await register('bench-1', target);
      changes.push(await untilServed(nginx, host, target.name, started));
    }
    const floors: number[] = [];
    for (let i = ITERATIONS; i < ITERATIONS * 2; i++) {
      const from = webs[i % 3];
      const to = webs[(i + 1) % 3];
      await settled(nginx, host, from.name);
      const text = readFileSync(nginx.sitesPath, 'utf8').replace(`127.0.0.1:${from.hostPort} `, `127.0.0.1:${to.hostPort} `);
      const started = Date.now();
      writeFileSync(`${nginx.sitesPath}.floor`, text);
      renameSync(`${nginx.sitesPath}.floor`, nginx.sitesPath);
      await execFileAsync(nginx.validateCommand[0], nginx.validateCommand.slice(1));
      await execFileAsync(nginx.reloadCommand[0], nginx.reloadCommand.slice(1));
      floors.push(await untilServed(nginx, host, to.name, started));
    }
    // Consul and the file agree again before the next phase.
    await register('bench-1', webs[(ITERATIONS * 2) % 3]);
    results.push(
      { suite: SUITE, name: 'consul change -> nginx serving p50', value: percentile(changes, 50), unit: 'ms', note: `${ITERATIONS} changes, wait 0` },
      { suite: SUITE, name: 'consul change -> nginx serving p99', value: percentile(changes, 99), unit: 'ms' },
      { suite: SUITE, name: 'floor (write + nginx -t + reload + request) p50', value: percentile(floors, 50), unit: 'ms', note: 'same nginx, same run' },
      { suite: SUITE, name: 'floor (write + nginx -t + reload + request) p99', value: percentile(floors, 99), unit: 'ms' },
    );

    // 2. Requests failed while backends churn under a bounded wrk load (register the next, then deregister the oldest).
    let churnStop = false;
    let churns = 0;
    const churn = (async () => {
      let n = 2;
      while (!churnStop && churns < 60) {
        await register(`bench-${n}`, webs[n % 3]);
        await consul.agent.service.deregister(`bench-${n - 1}`);
        n++;
        churns++;
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    const wrk = await execFileAsync('/usr/bin/wrk', ['-t2', '-c8', '-d4s', '--timeout', '2s', '-H', `Host: ${host}`, `http://127.0.0.1:${nginx.port}/`], { timeout: 30_000 });
    const keepaliveChurns = churns;
    const wrkClose = await execFileAsync('/usr/bin/wrk', ['-t2', '-c8', '-d4s', '--timeout', '2s', '-H', `Host: ${host}`, '-H', 'Connection: close', `http://127.0.0.1:${nginx.port}/`], { timeout: 30_000 });
    churnStop = true;
    await churn;
    const load = wrkFailures(wrk.stdout);
    const loadClose = wrkFailures(wrkClose.stdout);
    results.push(
      { suite: SUITE, name: 'requests failed while backends churn (client keepalive)', value: load.failed, unit: 'requests', note: `of ${load.requests} (wrk -t2 -c8 -d4s; ${keepaliveChurns} churns = reloads; ${load.detail}); target 0` },
      { suite: SUITE, name: 'requests failed while backends churn (Connection: close)', value: loadClose.failed, unit: 'requests', note: `of ${loadClose.requests} (wrk -t2 -c8 -d4s; ${churns - keepaliveChurns} churns; ${loadClose.detail}); target 0` },
    );

    // 3. RSS of the renderer process watching 100 services x 10 instances.
    const many = Array.from({ length: 100 }, (_, s) => `many-${s}-${id}.example.com`);
    for (const name of many) for (let i = 0; i < 10; i++) await register(`${name}-${i}`, webs[i % 3], name);
    await waitFor(() => readFileSync(nginx?.sitesPath as string, 'utf8').includes(`server_name test.${many[99]};`), { timeoutMs: 30_000, message: '100 services rendered' });
    results.push({ suite: SUITE, name: 'renderer RSS, 101 services x ~10 instances', value: Math.round(rssMiB(pid) * 10) / 10, unit: 'MiB', note: `${many.length + 1} health watchers + catalog` });
    return results;
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    removeContainers(...webs.map((w) => w.id));
    await nginx?.stop();
    await standin?.stop();
  }
}

runStandalone(module, run);

// The renderer at fleet scale, as its own process: RSS while watching 1,000 services x 10 instances (the shipped
// nginx template, rendered to a file, no nginx), right after following a change and once settled (V8's memory
// reducer shrinks the heap ~8 s after a burst: SETTLE_MS), beside its floor in the same run (the same process
// idle: one template, no service), and the connections it holds at the stand-in (its Consul budget) under
// Consul's limit.

import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapLimit, waitFor } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { rssMiB, runStandalone, type BenchResult } from '../../../bench/stats';
import { freePort } from '../../../test/support/ports';
import { rendererEnv, rendererNodeFlags } from './node-flags';

const SUITE = 'renderer scale';
const SERVICES = 1000;
const INSTANCES = 10;
const NODES = 10;
const LIMIT = 200;
const BIN = join(__dirname, '..', 'bin', 'renderer.js');
const TEMPLATE = join(__dirname, '..', 'templates', 'nginx-sites.conf.njk');
/** The bench's own writes come from another loopback address: the stand-in counts connections per address. */
const WRITER = '127.0.0.2';
/** Node flags of the renderer process: the image's NODE_OPTIONS, or RENDERER_BENCH_NODE_FLAGS to compare heap settings. */
const NODE_FLAGS = rendererNodeFlags();
/** How long after the change the settled RSS is read: past V8's memory reducer delay (8 s) with a margin. */
const SETTLE_MS = 12_000;

function put(agent: http.Agent, base: string, path: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'PUT', agent, localAddress: WRITER }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function startRenderer(dir: string, standin: ConsulStandin, name: string): Promise<{ child: ChildProcess; dest: string }> {
  const dest = join(dir, `${name}.conf`);
  const configPath = join(dir, `${name}.json`);
  writeFileSync(configPath, JSON.stringify({
    consul: { address: standin.address },
    ops: { port: await freePort() },
    logLevel: 'warn',
    wait: { min: '200ms', max: '2s' },
    templates: [{ source: TEMPLATE, destination: dest, vars: { listen: 8080, domainPrefix: 'test.', siteTag: 'http' }, guard: { minInstances: 0 } }],
  }));
  return { child: spawn(process.execPath, [...NODE_FLAGS, BIN, '-config', configPath], { stdio: 'ignore', env: rendererEnv() }), dest };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export async function run(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rendobs-scale-'));
  let standin: ConsulStandin | undefined;
  let idle: ChildProcess | undefined;
  let busy: ChildProcess | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    standin = await startConsulStandin({ httpMaxConnsPerClient: LIMIT });
    const s = standin;
    // The floor: the same renderer with nothing to watch but the catalog (no service carries the tag yet).
    const floor = await startRenderer(dir, s, 'idle');
    idle = floor.child;
    await waitFor(() => { try { readFileSync(floor.dest); return true; } catch { return false; } }, { timeoutMs: 30_000, message: 'the idle renderer to render' });
    const rssIdle = rssMiB(idle.pid as number);
    await stop(idle);

    const names = Array.from({ length: SERVICES }, (_, i) => `svc-${String(i).padStart(4, '0')}.example.com`);
    const started = Date.now();
    /** Unique per instance, so the bench can see one go. */
    const address = (k: number, i: number): string => `10.${Math.floor(k / 250) + 1}.${k % 250}.${i + 1}`;
    await mapLimit(names.flatMap((name, k) => Array.from({ length: INSTANCES }, (_, i) => ({ name, k, i }))), 8, ({ name, k, i }) =>
      put(agent, s.url, '/v1/catalog/register', {
        Node: `node-${i % NODES}`,
        Address: `10.0.0.${i % NODES}`,
        Service: { ID: `${name}-${i}`, Service: name, Tags: ['http'], Address: address(k, i), Port: 20_000 + i },
        Check: { Node: `node-${i % NODES}`, CheckID: `check-${name}-${i}`, Name: 'alive', Status: 'passing', ServiceID: `${name}-${i}` },
      }));
    const registerMs = Date.now() - started;
    s.resetConnectionPeaks();
    const loaded = await startRenderer(dir, s, 'busy');
    busy = loaded.child;
    const renderStarted = Date.now();
    const last = `test.${names[SERVICES - 1]}`;
    await waitFor(() => { try { return readFileSync(loaded.dest, 'utf8').includes(`${address(SERVICES - 1, 9)}:20009`); } catch { return false; } }, { timeoutMs: 180_000, intervalMs: 200, message: `${SERVICES} services rendered` });
    const firstRenderMs = Date.now() - renderStarted;
    // One change at the end, then a settle, so the RSS is that of a renderer that has followed a change too.
    await put(agent, s.url, '/v1/catalog/deregister', { Node: 'node-9', ServiceID: `${names[SERVICES - 1]}-9` });
    const gone = `${address(SERVICES - 1, 9)}:20009`;
    await waitFor(() => !readFileSync(loaded.dest, 'utf8').includes(gone), { timeoutMs: 60_000, intervalMs: 200, message: 'the change rendered' });
    const rss = rssMiB(busy.pid as number);
    // A deliberate wait, not a condition: the figure is the RSS a quiet renderer keeps.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const settledRss = rssMiB(busy.pid as number);
    const peak = s.connectionPeaks()['127.0.0.1'] ?? 0;
    const note = `${SERVICES} services x ${INSTANCES} on ${NODES} nodes, shipped nginx template to a file`;
    return [
      { suite: SUITE, name: `renderer RSS, ${SERVICES} services x ${INSTANCES} instances`, value: Math.round(rss * 10) / 10, unit: 'MiB', note: `${note}; own process, node ${NODE_FLAGS.join(' ') || '(V8 defaults)'} ${Object.entries(rendererEnv({})).map(([k, v]) => `${k}=${v}`).join(' ')} as the image runs it; target < 100 MiB` },
      { suite: SUITE, name: `renderer RSS, ${SERVICES} services x ${INSTANCES} instances, settled`, value: Math.round(settledRss * 10) / 10, unit: 'MiB', note: `the same process ${SETTLE_MS / 1000} s after the change, nothing else changing` },
      { suite: SUITE, name: 'renderer RSS idle (floor)', value: Math.round(rssIdle * 10) / 10, unit: 'MiB', note: 'same binary and template, no service, same run' },
      { suite: SUITE, name: 'connections held at Consul (peak)', value: peak, unit: 'conns', note: `limit ${LIMIT} per client (Consul's default); ${s.refusedConnections} refused` },
      { suite: SUITE, name: 'first render after start', value: firstRenderMs, unit: 'ms', note: `${SERVICES * INSTANCES} instances registered in ${registerMs} ms before` },
    ];
  } finally {
    agent.destroy();
    await stop(idle);
    await stop(busy);
    await standin?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runStandalone(module, run);

// Benchmark: an instance is killed -> how long until the healthy count is back, beside the floor measured in
// the same run (one compose up of one instance + the health check interval). Real Docker, compose, stand-in.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentLogger, waitFor } from '@consul-sidecars/core';
import { DesiredStateSource } from '../src/desired/desired-source';
import { Healer } from '../src/healer';
import { ComposeBackend } from '../src/backends/compose/compose-backend';
import { ComposeRunner } from '../src/backends/compose/compose-runner';
import { ComposeProject, TestRegistrar, passingCount, startTestConsul } from '../test/compose-fixture';
import { HEALER_BIN, sampleSum } from '../test/healer-process';
import { freePort } from '../../../test/support/ports';
import { startConsulStandin } from '../../consul-standin/src';
import { percentile, type BenchResult, runStandalone } from '../../../bench/stats';
import { imageRuntime } from '../../../bench/image-runtime';

export type { BenchResult };

const exec = promisify(execFile);
const SUITE = 'healer';
const RUNS = 5;
const FLOOR_RUNS = 3;
const CHECK_INTERVAL_MS = 1000;
const INSTANCES = 2;


export async function run(): Promise<BenchResult[]> {
  const deadline = Date.now() + 55_000;
  const remaining = () => Math.max(1000, deadline - Date.now());
  const consul = await startTestConsul();
  const project = new ComposeProject({ web: 'httpd' });
  const registrar = new TestRegistrar(consul.consul, project, 50).start();
  const service = `${project.name}-web`;
  const dir = mkdtempSync(join(tmpdir(), 'healer-bench-'));
  let healer: Healer | undefined;
  const waitHealthy = (count: number) =>
    waitFor(async () => (await passingCount(consul.consul, service)) >= count, { timeoutMs: Math.min(20_000, remaining()), intervalMs: 25, message: `${count} passing` });
  try {
    await project.up('web', INSTANCES);
    await waitHealthy(INSTANCES);

    // Floor: remove one instance by hand, then one compose up of one instance, then the check's first pass.
    const composeMs: number[] = [];
    const floorObserved: number[] = [];
    for (let i = 0; i < FLOOR_RUNS; i++) {
      const [victim] = await project.containers('web');
      await exec('docker', ['rm', '-f', victim.Id]);
      await waitFor(async () => (await project.containers('web')).length === INSTANCES - 1, { timeoutMs: 10_000 });
      const t0 = Date.now();
      await project.up('web', INSTANCES);
      composeMs.push(Date.now() - t0);
      await waitHealthy(INSTANCES);
      floorObserved.push(Date.now() - t0);
      await waitFor(async () => (await passingCount(consul.consul, service)) === INSTANCES, { timeoutMs: 10_000, message: 'stale registration gone' });
    }
    const composeP50 = percentile(composeMs, 50);

    const file = join(dir, 'desired.json');
    writeFileSync(file, JSON.stringify({
      services: { [service]: { min: INSTANCES, gracePeriod: '5s', scale: project.scaleTarget('web') } },
      policy: { expectationTimeout: '20s' },
    }));
    const desired = new DesiredStateSource(file);
    desired.load();
    // As deployed: the health watch is the trigger (plus the cron schedule, off here to keep runs independent).
    const healerComposeMs: number[] = [];
    const runner = new ComposeRunner({ onRun: (_target, result) => healerComposeMs.push(result.durationMs) });
    healer = new Healer({ desired, consul: consul.http, logger: silentLogger(), backends: { compose: new ComposeBackend({ runner }) }, schedule: false, leaderLock: false, debounceMs: 100 });
    await healer.start();
    const h = healer;
    await h.trigger('bench-start');

    const restoreMs: number[] = [];
    for (let i = 0; i < RUNS && deadline - Date.now() > 8000; i++) {
      // Start each run from a settled healer (no expectation pending from the previous heal).
      await waitFor(async () => {
        await h.trigger('bench-settle');
        return !h.state.services[service]?.expectation && (await passingCount(consul.consul, service)) === INSTANCES;
      }, { timeoutMs: Math.min(20_000, remaining()), intervalMs: 200, message: 'settled' });
      const [victim] = (await project.containers('web')).filter((c) => c.State === 'running');
      const t0 = Date.now();
      await exec('docker', ['kill', victim.Id]);
      await waitFor(async () => (await passingCount(consul.consul, service)) < INSTANCES, { timeoutMs: 10_000, message: 'the kill to show' });
      await waitHealthy(INSTANCES);
      restoreMs.push(Date.now() - t0);
    }
    const runs = h.backends.compose.runner.runs;
    const rows: BenchResult[] = [
      { suite: SUITE, name: 'kill -> healthy restored p50', value: percentile(restoreMs, 50), unit: 'ms', note: `n=${restoreMs.length}; trigger = Consul health watch; check interval ${CHECK_INTERVAL_MS} ms` },
      { suite: SUITE, name: 'kill -> healthy restored max', value: Math.max(...restoreMs), unit: 'ms', note: `n=${restoreMs.length}` },
      { suite: SUITE, name: 'floor: compose up 1 instance + check interval', value: composeP50 + CHECK_INTERVAL_MS, unit: 'ms', note: `compose up p50 ${composeP50} ms (n=${FLOOR_RUNS}) + ${CHECK_INTERVAL_MS} ms` },
      { suite: SUITE, name: 'floor observed: compose up -> passing p50', value: percentile(floorObserved, 50), unit: 'ms', note: `n=${FLOOR_RUNS}` },
      { suite: SUITE, name: 'healer compose run p50', value: percentile(healerComposeMs, 50), unit: 'ms', note: `n=${healerComposeMs.length}` },
      { suite: SUITE, name: 'compose runs per heal', value: restoreMs.length ? runs / restoreMs.length : 0, unit: 'count', note: 'should be 1' },
    ];
    return [...rows, ...(await memoryRows())];
  } finally {
    await healer?.stop().catch(() => undefined);
    await registrar.stop();
    await project.down();
    await consul.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** RSS, anonymous and file-backed parts of a process, in MiB (from /proc). */
function memoryOf(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  const round = (n: number) => Math.round(n * 10) / 10;
  return { rss: round(kb('VmRSS')), anon: round(kb('RssAnon')), file: round(kb('RssFile')) };
}

const DESIRED_SERVICES = 100;

/**
 * The healer as its own process (never this runner's RSS, which holds every earlier bench): idle (no schedule, after its
 * first pass), and with one and with 100 desired services (2 passing instances each in the stand-in; compose projects
 * with no containers, so each pass reads 100 services' health, lists their containers and acts on none) after passes
 * on a 1 s schedule, with the health watch (one query for all); beside the floor, a bare node process, in the same run.
 */
async function memoryRows(): Promise<BenchResult[]> {
  const consul = await startConsulStandin({ port: 0, node: 'healer-rss' });
  const dir = mkdtempSync(join(tmpdir(), 'healer-rss-'));
  const children: ChildProcess[] = [];
  try {
    const composeFile = join(dir, 'docker-compose.yml');
    writeFileSync(composeFile, 'version: "2.4"\nservices: {}\n');
    for (let i = 0; i < DESIRED_SERVICES; i++) {
      for (let n = 0; n < 2; n++) {
        const res = await fetch(`${consul.url}/v1/agent/service/register`, { method: 'PUT', body: JSON.stringify({ ID: `node:rss${i}-${n}:80`, Name: `rss${i}`, Port: 80, Check: { TTL: '1h', Status: 'passing' } }) });
        if (!res.ok) throw new Error(`register: HTTP ${res.status}`);
      }
    }
    const desiredFile = (count: number) => {
      const file = join(dir, `desired-${count}.json`);
      const services = Object.fromEntries(Array.from({ length: count }, (_, i) => [`rss${i}`, { min: 2, scale: { composeProject: `healer-rss-${process.pid}-${i}`, composeFile, composeService: 'web' } }]));
      writeFileSync(file, JSON.stringify({ services }));
      return file;
    };
    const settle = async (pid: number, passesDone: () => Promise<boolean>) => {
      await waitFor(passesDone, { timeoutMs: 180_000, intervalMs: 250, message: 'the passes to run' });
      // Then the largest of a few samples a second apart: RSS grows to its working set, it is not freed back at once.
      let peak = memoryOf(pid);
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        const m = memoryOf(pid);
        if (m.rss > peak.rss) peak = m;
      }
      return peak;
    };

    // As the image runs node (bench/image-runtime.ts): its flags and memory env, for the floor and the healer alike.
    const image = imageRuntime('healer');
    const imageEnv = { ...process.env, ...image.env };
    const floorChild = spawn(process.execPath, [...image.nodeFlags, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', env: imageEnv });
    children.push(floorChild);
    const floor = await settle(floorChild.pid!, async () => true);

    // Idle: no schedule, so one pass (the health watch's first answer) and then nothing until Consul changes.
    const healerAt = async (count: number, schedule = '* * * * * *', passesBefore = 3) => {
      const port = await freePort();
      const child = spawn(process.execPath, [...image.nodeFlags, HEALER_BIN, 'run', '-desired', desiredFile(count), '-consul', consul.address, '-ops-port', String(port), '-schedule', schedule, '-leader-lock=false', '-log-level', process.env.HEALER_BENCH_LOG ?? 'warn'], { stdio: ['ignore', 'pipe', 'pipe'], env: imageEnv });
      for (const stream of [child.stdout, child.stderr]) stream?.on('data', (d: Buffer) => void (process.env.HEALER_BENCH_LOG && process.stderr.write(d)));
      children.push(child);
      const passes = async () => sampleSum(await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => ''), 'healer_passes_total');
      const m = await settle(child.pid!, async () => (await passes()) >= passesBefore);
      child.kill('SIGTERM');
      return m;
    };
    const idle = await healerAt(1, 'off', 1);
    const one = await healerAt(1);
    const many = await healerAt(DESIRED_SERVICES);
    const note = (m: { anon: number; file: number }) => `healer process; anon ${m.anon}, file-backed ${m.file}`;
    return [
      { suite: SUITE, name: 'RSS floor: a bare node process', value: floor.rss, unit: 'MiB', note: `same run; anon ${floor.anon}, file-backed ${floor.file}` },
      { suite: SUITE, name: 'RSS idle: 1 desired service, no schedule', value: idle.rss, unit: 'MiB', note: `after its first pass; ${note(idle)}` },
      { suite: SUITE, name: 'RSS with 1 desired service', value: one.rss, unit: 'MiB', note: note(one) },
      { suite: SUITE, name: `RSS with ${DESIRED_SERVICES} desired services`, value: many.rss, unit: 'MiB', note: `goal < 80; ${note(many)}; ${Math.round((many.rss - floor.rss) * 10) / 10} over the floor` },
    ];
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await consul.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `HEALER_BENCH=rss npx tsx packages/healer/bench/healer.bench.ts`: the memory rows alone. */
runStandalone(module, process.env.HEALER_BENCH === 'rss' ? memoryRows : run);

// Benchmark: an instance is killed -> how long until the healthy count is back, beside the floor measured in
// the same run (one compose up of one instance + the health check interval). Real Docker, compose, stand-in.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { silentLogger, waitFor } from '@consul-sidecars/core';
import { DesiredStateSource } from '../src/desired/desired-source';
import { Healer } from '../src/healer';
import { ComposeBackend } from '../src/backends/compose/compose-backend';
import { ComposeRunner } from '../src/backends/compose/compose-runner';
import { ComposeProject, TestRegistrar, passingCount, startTestConsul } from '../test/compose-fixture';
import { percentile, type BenchResult, runStandalone } from '../../../bench/stats';

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
      { suite: SUITE, name: 'RSS', value: Math.round(process.memoryUsage().rss / 1024 / 1024), unit: 'MiB' },
    ];
    return rows;
  } finally {
    await healer?.stop().catch(() => undefined);
    await registrar.stop();
    await project.down();
    await consul.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

runStandalone(module, run);

// kill -9 at every act step of the compose backend (core's crashPoint, CONSUL_SIDECARS_CRASH_AT), restart unarmed:
// the service is back at exactly its desired count, healed once across both processes, the expectation honoured.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@consul-sidecars/core';
import { freePort } from '../../../test/support/ports';
import { CRASH_POINTS } from '../src/crash-points';
import { ComposeProject, TestRegistrar, passingCount, startTestConsul, type TestConsul } from './compose-fixture';
import { exitWithin, killHealer, sample, sampleSum, spawnHealer, type HealerProcess } from './healer-process';

/** Each compose point, and how many compose runs the restarted healer makes: those before the run redo it; none after. */
const COMPOSE_CASES: Array<{ point: string; restartedRuns: 0 | 1 }> = [
  { point: CRASH_POINTS.beforeContainerRemove, restartedRuns: 1 },
  { point: CRASH_POINTS.afterContainerRemove, restartedRuns: 1 },
  { point: CRASH_POINTS.beforeComposeRun, restartedRuns: 1 },
  { point: CRASH_POINTS.afterComposeRun, restartedRuns: 0 },
  { point: CRASH_POINTS.beforeExpectationWrite, restartedRuns: 0 },
  { point: CRASH_POINTS.afterExpectationWrite, restartedRuns: 0 },
];

describe('healer killed at every crash point of the compose backend @integration', function () {
  // Deadlines are for a loaded machine (one compose run took 30 s at load 38 on 2 cores); a quiet one needs a few seconds a case.
  this.timeout(180_000);
  let consul: TestConsul;
  let project: ComposeProject;
  let registrar: TestRegistrar;
  let service: string;
  let dir: string;
  let file: string;
  let children: HealerProcess[] = [];

  before(async () => {
    // A 1 s session TTL (the stand-in's session_ttl_min lowered, as Consul's can be): a killed leader's lock is free
    // again within 2 s, so each restart is elected in seconds rather than after the default 15 s TTL + 15 s lock-delay.
    consul = await startTestConsul({ sessionTtlMinMs: 1000 });
    project = new ComposeProject({ web: 'httpd' });
    registrar = new TestRegistrar(consul.consul, project).start();
    service = `${project.name}-web`;
    dir = mkdtempSync(join(tmpdir(), 'healer-crash-'));
    file = join(dir, 'desired.json');
    writeFileSync(file, JSON.stringify({
      services: { [service]: { min: 2, gracePeriod: '10s', scale: project.scaleTarget('web') } },
      policy: { expectationTimeout: '30s' },
    }));
    await project.up('web', 2);
    await waitFor(async () => (await passingCount(consul.consul, service)) === 2, { timeoutMs: 30_000, message: 'two passing' });
  });
  afterEach(async () => {
    await Promise.all(children.map(killHealer));
    children = [];
  });
  after(async () => {
    await registrar?.stop();
    await project?.down();
    await consul?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = async (leaderKey: string, env: NodeJS.ProcessEnv = {}): Promise<{ healer: HealerProcess; port: number }> => {
    const port = await freePort();
    const healer = spawnHealer([
      'run', '-desired', file, '-consul', consul.address, '-ops-port', String(port), '-schedule', '* * * * * *',
      '-leader-key', leaderKey, '-leader-ttl', '1s', '-leader-lock-delay', '0s', '-log-level', 'info',
    ], env);
    children.push(healer);
    return { healer, port };
  };
  const metrics = async (port: number): Promise<string> => {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    } catch {
      return '';
    }
  };

  it('an unknown crash point is a config error at start (exit 78), naming it', async () => {
    const { healer } = await run(`consul-sidecars/healer-crash/${randomBytes(4).toString('hex')}/leader`, { CONSUL_SIDECARS_CRASH_AT: 'healer.after-compose-rnu' });
    expect((await exitWithin(healer, 15_000))?.code, healer.output()).to.equal(78);
    expect(healer.output()).to.include('CONSUL_SIDECARS_CRASH_AT="healer.after-compose-rnu" names no crash point');
  });

  for (const { point, restartedRuns } of COMPOSE_CASES) {
    it(`${point}: dies by SIGKILL there; restarted unarmed, exactly 2 containers, healed once (${restartedRuns} compose run after the restart)`, async () => {
      const leaderKey = `consul-sidecars/healer-crash/${randomBytes(4).toString('hex')}/leader`;
      const [victim] = (await project.containers('web')).filter((c) => c.State === 'running');
      await project.kill([victim.Id]);
      await waitFor(async () => (await project.running('web')) === 1, { timeoutMs: 30_000, message: 'the killed container to stop' });

      const t0 = Date.now(); const T = (w: string) => process.env.CRASH_TIMES && console.log(`      ${w} +${Date.now() - t0} ms`);
      const armed = await run(leaderKey, { CONSUL_SIDECARS_CRASH_AT: point });
      const died = await exitWithin(armed.healer, 60_000);
      if (!died) throw new Error(`the healer did not reach ${point} within 60 s:\n${armed.healer.output()}`);
      expect(died.signal, armed.healer.output()).to.equal('SIGKILL');
      expect(armed.healer.output()).to.include(`"crashPoint":"${point}"`);

      T('armed died');
      const restarted = await run(leaderKey);
      await waitFor(async () => (await project.running('web')) === 2 && (await passingCount(consul.consul, service)) === 2,
        { timeoutMs: 90_000, intervalMs: 200, message: '2 running and passing after the restart' }).catch((err: Error) => {
        throw new Error(`${err.message}\narmed:\n${armed.healer.output()}\nrestarted:\n${restarted.healer.output()}`);
      });
      T('converged');
      // Settled: the restarted leader runs passes over the healed state and adds nothing (a double heal shows here).
      await waitFor(async () => sample(await metrics(restarted.port), 'consul_sidecars_leader') === 1, { timeoutMs: 30_000, message: 'the restarted healer elected' });
      const passes = sampleSum(await metrics(restarted.port), 'healer_passes_total');
      await waitFor(async () => sampleSum(await metrics(restarted.port), 'healer_passes_total') >= passes + 2, { timeoutMs: 30_000, message: 'two more passes' });
      T('settled');
      const all = await project.containers('web');
      expect(all.map((c) => c.State), 'every container of the service, any state').to.deep.equal(['running', 'running']);
      expect(all.map((c) => c.Id), 'the killed container is gone').to.not.include(victim.Id);
      const text = await metrics(restarted.port);
      expect(sample(text, `healer_compose_runs_total{service="${service}",result="ok"}`), `compose runs after the restart:\n${restarted.healer.output()}`).to.equal(restartedRuns);
      expect(sampleSum(text, 'healer_actions_total'), 'actions after the restart').to.equal(restartedRuns === 0 ? 0 : sample(text, `healer_actions_total{service="${service}",kind="remove",result="ok"}`) + restartedRuns);
      if (point === CRASH_POINTS.afterExpectationWrite) expect(restarted.healer.output()).to.include("adopted the previous leader's expectations");
      await killHealer(restarted.healer);
    });
  }
});

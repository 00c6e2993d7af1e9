import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger, silentLogger, waitFor, type ConsulClient, type ConsulHttpClient } from '@consul-sidecars/core';
import { CommandAlertSink, type AlertSink } from '../src/act/alert-hook';
import { DesiredStateSource } from '../src/desired/desired-source';
import { Healer, type HealerOptions } from '../src/healer';
import type { Alert } from '../src/plan/alerts';
import { ComposeProject, TestRegistrar, passingCount, startTestConsul, type TestConsul } from './compose-fixture';

const REPO = resolve(__dirname, '../../..');
const HANDLER = join(REPO, 'scripts/healer-watch-handler.sh');
const HEALER_BIN = join(REPO, 'packages/healer/bin/healer.js');

function logger() {
  return process.env.HEALER_TEST_LOG ? createLogger({ name: 'healer-test', level: process.env.HEALER_TEST_LOG, destination: process.stderr }) : silentLogger();
}

class MemoryAlerts implements AlertSink {
  readonly sent: Alert[] = [];
  async send(alert: Alert): Promise<void> {
    this.sent.push(alert);
  }
}

function execCode(file: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(file, args, { env: { ...process.env, ...options.env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.end(options.input ?? '');
  });
}

describe('healer against real docker-compose and Consul @integration', function () {
  this.timeout(90_000);
  let consul: TestConsul;
  let client: ConsulClient;
  let http: ConsulHttpClient;
  let dir: string;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];

  before(async () => {
    consul = await startTestConsul();
    client = consul.consul;
    http = consul.http;
  });
  after(async () => {
    await consul?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'healer-it-'));
  });
  afterEach(async () => {
    // Last registered, first cleaned: healers stop before the registrar and the project go.
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  async function project(services: Record<string, 'httpd' | 'broken'>): Promise<{ project: ComposeProject; registrar: TestRegistrar; consulName: (svc: string) => string }> {
    const p = new ComposeProject(services);
    cleanups.push(() => p.down());
    const registrar = new TestRegistrar(client, p).start();
    cleanups.push(() => registrar.stop());
    return { project: p, registrar, consulName: (svc) => `${p.name}-${svc}` };
  }

  function writeDesired(content: unknown, name = 'desired.json'): string {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return file;
  }

  async function startHealer(file: string, options: Partial<HealerOptions> = {}, awaitLeader = true): Promise<Healer> {
    const desired = new DesiredStateSource(file);
    desired.load();
    const healer = new Healer({
      desired,
      consul: http,
      logger: logger(),
      opsPort: 0,
      schedule: false,
      leaderKey: `consul-sidecars/healer-test/${randomBytes(4).toString('hex')}/leader`,
      debounceMs: 100,
      ...options,
    });
    await healer.start();
    cleanups.push(() => healer.stop());
    if (awaitLeader) expect(await healer.awaitLeadership(10_000), 'leadership').to.equal(true);
    return healer;
  }

  async function waitPassing(service: string, count: number, timeoutMs = 30_000): Promise<void> {
    await waitFor(async () => (await passingCount(client, service)) === count, { timeoutMs, intervalMs: 100, message: `${count} passing ${service}` });
  }

  async function trigger(healer: Healer, body = '', source = 'test'): Promise<Record<string, unknown>> {
    const res = await fetch(`${healer.opsUrl}/trigger?wait=1&source=${source}`, { method: 'POST', body });
    expect(res.status).to.equal(200);
    return (await res.json()) as Record<string, unknown>;
  }

  it('3 desired, 2 containers killed -> back to 3 healthy within one cycle after the trigger, with one compose run', async () => {
    const { project: p, consulName } = await project({ web: 'httpd' });
    const web = consulName('web');
    await p.up('web', 3);
    await waitPassing(web, 3);
    const file = writeDesired({
      services: { [web]: { min: 3, gracePeriod: '5s', scale: p.scaleTarget('web') } },
      policy: { expectationTimeout: '30s' },
    });
    // The trigger is the only hint here (no health watch), so the pass it starts is the one that must heal.
    const healer = await startHealer(file, { watchHealth: false });
    const before = await trigger(healer);
    expect(before.actions).to.deep.equal([]);
    const check = await execCode(process.execPath, [HEALER_BIN, 'check', web, '--desired', file, '--consul', consul.address]);
    expect(check.stdout).to.match(/OK - 3 healthy/);
    expect(check.code).to.equal(0);

    const victims = (await p.containers('web')).slice(0, 2).map((c) => c.Id);
    await p.kill(victims);
    // `docker kill` returns before the state changes: the trigger comes once the failure is visible.
    await waitFor(async () => (await p.running('web')) === 1, { timeoutMs: 10_000, message: 'the killed containers to stop' });
    const started = Date.now();
    const report = await trigger(healer);
    const actions = report.actions as Array<{ kind: string; ok: boolean }>;
    expect(actions.map((a) => `${a.kind}:${a.ok}`)).to.deep.equal(['remove:true', 'scale:true']);
    await waitPassing(web, 3);
    const elapsed = Date.now() - started;
    expect(await p.running('web')).to.equal(3);
    // The killed containers were removed by id, not restarted in place.
    const ids = (await p.containers('web')).map((c) => c.Id);
    expect(ids.filter((id) => victims.includes(id))).to.deep.equal([]);
    // Replaying the old watch payload (what an agent reload does) is only a hint: nothing more happens.
    const replay = await trigger(healer, JSON.stringify([{ Service: { ID: 'stale' }, Checks: [{ Status: 'critical' }] }]), 'consul-watch');
    expect(replay.actions).to.deep.equal([]);
    expect(healer.backends.compose.runner.runs, 'compose runs').to.equal(1);
    expect(elapsed).to.be.lessThan(30_000);
    const metrics = await (await fetch(`${healer.opsUrl}/metrics`)).text();
    expect(metrics).to.match(new RegExp(`healer_compose_runs_total\\{service="${web}",result="ok"\\} 1`));
    expect(metrics).to.match(new RegExp(`healer_healthy_instances\\{service="${web}"\\} 3`));
    expect(metrics).to.match(new RegExp(`healer_service_state\\{service="${web}"\\} 0`));
  });

  it('a watch trigger fired with stale or unchanged healthy data (the handler script, an agent reload burst) -> no action', async () => {
    const { project: p, consulName } = await project({ web: 'httpd' });
    const web = consulName('web');
    await p.up('web', 2);
    await waitPassing(web, 2);
    const healer = await startHealer(writeDesired({ services: { [web]: { min: 2, scale: p.scaleTarget('web') } } }));
    // What a Consul watch hands its handler: the full current view on stdin; here a stale one showing both failing.
    const stale = JSON.stringify([1, 2].map((n) => ({ Node: { Node: 'n' }, Service: { ID: `${web}-${n}`, Service: web }, Checks: [{ CheckID: 'service', Status: 'critical' }] })));
    const passesBefore = healer.backends.compose.runner.runs;
    const script = await execCode('bash', [HANDLER], { input: stale, env: { HEALER_TRIGGER_URL: `${healer.opsUrl}/trigger`, CONSUL_INDEX: '42' } });
    expect(script.code, script.stderr).to.equal(0);
    await waitFor(() => healer.lastPass?.reasons.some((r) => r.startsWith('http:consul-watch')), { timeoutMs: 10_000, message: 'the handler hint to run a pass' });
    // An agent reload fires every watch at once: a burst of identical hints.
    const burst = await Promise.all(Array.from({ length: 8 }, () => trigger(healer, stale, 'consul-watch')));
    for (const r of burst) expect(r.actions).to.deep.equal([]);
    expect(healer.backends.compose.runner.runs - passesBefore).to.equal(0);
    expect(healer.lastPass?.decisions[0]).to.include({ state: 'passing', healthy: 2 });
    expect(await p.running('web')).to.equal(2);
  });

  it('4 running with max 3 -> warning and an alert through the alert command, nothing stopped', async () => {
    const { project: p, consulName } = await project({ web: 'httpd' });
    const web = consulName('web');
    await p.up('web', 4);
    await waitPassing(web, 4);
    const alertFile = join(dir, 'alerts.jsonl');
    const alertScript = join(dir, 'alert.sh');
    writeFileSync(alertScript, `#!/bin/sh\ncat >> '${alertFile}'\n`, { mode: 0o755 });
    const file = writeDesired({ services: { [web]: { min: 2, max: 3, scale: p.scaleTarget('web') } } });
    const healer = await startHealer(file, { alerts: new CommandAlertSink([alertScript]) });
    const report = await trigger(healer);
    expect(report.services).to.deep.equal([{ service: web, state: 'warning', healthy: 4, min: 2, max: 3, reason: 'warning: 4 healthy > max 3; never acts' }]);
    expect(report.actions).to.deep.equal([]);
    await waitFor(() => existsSync(alertFile) && readFileSync(alertFile, 'utf8').trim(), { timeoutMs: 5000, message: 'the alert command to run' });
    const alerts = readFileSync(alertFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(alerts).to.have.length(1);
    expect(alerts[0]).to.include({ kind: 'above-max', service: web, source: 'healer' });
    // A second pass does not alert again for the same condition.
    await trigger(healer);
    expect(readFileSync(alertFile, 'utf8').trim().split('\n')).to.have.length(1);
    expect(await p.running('web')).to.equal(4);
    expect(healer.backends.compose.runner.runs).to.equal(0);
    const check = await execCode(process.execPath, [HEALER_BIN, 'check', web, '--desired', file, '--consul', consul.address]);
    expect(check.stdout).to.match(/WARNING - 4 healthy \(min 2, max 3\)/);
    expect(check.code).to.equal(1);
  });

  it('two healers against one Consul -> exactly one acts', async () => {
    const { project: p, consulName } = await project({ web: 'httpd' });
    const web = consulName('web');
    await p.up('web', 2);
    await waitPassing(web, 2);
    const file = writeDesired({ services: { [web]: { min: 2, gracePeriod: '5s', scale: p.scaleTarget('web') } } });
    const leaderKey = `consul-sidecars/healer-test/${randomBytes(4).toString('hex')}/leader`;
    const a = await startHealer(file, { leaderKey }, false);
    const b = await startHealer(file, { leaderKey }, false);
    await waitFor(() => a.isLeader !== b.isLeader, { timeoutMs: 10_000, message: 'exactly one leader' });
    const [leader, follower] = a.isLeader ? [a, b] : [b, a];
    await p.kill([(await p.containers('web'))[0].Id]);
    await waitFor(async () => (await p.running('web')) === 1, { timeoutMs: 10_000, message: 'the killed container to stop' });
    // Both get the hint (every node's watch fires); the follower plans but does not act.
    // (Their own health watches fire too; whichever pass comes first, only the leader's can act.)
    await Promise.all([trigger(a), trigger(b)]);
    await waitPassing(web, 2);
    expect(leader.backends.compose.runner.runs).to.equal(1);
    expect(follower.backends.compose.runner.runs).to.equal(0);
    expect(follower.lastPass?.leader).to.equal(false);
    const followerMetrics = await (await fetch(`${follower.opsUrl}/metrics`)).text();
    expect(followerMetrics).to.match(/healer_passes_total\{result="follower"\} [1-9]/);
    expect(followerMetrics).to.match(/^consul_sidecars_leader 0$/m);
    // Both observe again: nothing further.
    await Promise.all([trigger(a), trigger(b)]);
    expect(a.backends.compose.runner.runs + b.backends.compose.runner.runs).to.equal(1);
    // Failover: the new leader takes over the old one's memory (its action, its expectation bookkeeping).
    await leader.stop();
    await waitFor(() => follower.isLeader, { timeoutMs: 15_000, message: 'the follower to take over' });
    await waitFor(() => follower.state.services[web]?.actionTimes.length === 1, { timeoutMs: 5000, message: 'the adopted memory' });
    await trigger(follower);
    expect(follower.backends.compose.runner.runs).to.equal(0);
  });

  it('a container that always fails its check -> bounded actions, then the breaker and an alert, no storm', async () => {
    const { project: p, consulName } = await project({ bad: 'broken' });
    const bad = consulName('bad');
    await p.up('bad', 1);
    await waitFor(async () => ((await client.health.service(bad)) as unknown[]).length === 1, { timeoutMs: 10_000, message: 'the broken instance to register' });
    const alerts = new MemoryAlerts();
    const healer = await startHealer(writeDesired({
      services: { [bad]: { min: 1, gracePeriod: '1s', scale: p.scaleTarget('bad') } },
      policy: { expectationTimeout: '2s', backoffBase: '200ms', backoffMax: '400ms', breakerFailures: 3, breakerCooldown: '10m', maxActionsPerWindow: 10 },
    }), { alerts, schedule: '* * * * * *' });
    await waitFor(() => alerts.sent.some((a) => a.kind === 'breaker-open'), { timeoutMs: 40_000, intervalMs: 100, message: 'the breaker to open' });
    const runsAtBreaker = healer.backends.compose.runner.runs;
    expect(runsAtBreaker).to.be.within(1, 3);
    // Let the schedule run several more passes: no further compose run, no further alert.
    const passes = () => healer.lastPass;
    const seen = new Set<string>();
    await waitFor(() => {
      const last = passes();
      if (last) seen.add(last.at);
      return seen.size >= 4;
    }, { timeoutMs: 15_000, intervalMs: 100, message: 'four more passes' });
    expect(healer.backends.compose.runner.runs).to.equal(runsAtBreaker);
    expect(alerts.sent.filter((a) => a.kind === 'breaker-open')).to.have.length(1);
    expect(healer.lastPass?.decisions[0].reason).to.match(/breaker open/);
    const metrics = await (await fetch(`${healer.opsUrl}/metrics`)).text();
    expect(metrics).to.match(new RegExp(`healer_breaker_open\\{service="${bad}"\\} 1`));
    // The broken container is still there (one, not a growing pile).
    expect((await p.containers('bad')).length).to.equal(1);
  });

  it('a broken desired-state file -> a clear error, the last good state kept', async () => {
    const { project: p, consulName } = await project({ web: 'httpd' });
    const web = consulName('web');
    await p.up('web', 1);
    await waitPassing(web, 1);
    const file = writeDesired({ services: { [web]: { min: 1, scale: p.scaleTarget('web') } } });
    const alerts = new MemoryAlerts();
    const healer = await startHealer(file, { alerts });
    const good = await trigger(healer);
    const goodHash = healer.lastPass!.desiredHash;
    expect(good.services).to.have.length(1);
    // An edit that would scale to 5 but is invalid (max below min): must not be used.
    writeFileSync(file, JSON.stringify({ services: { [web]: { min: 5, max: 2, scale: p.scaleTarget('web') } } }));
    const after = await trigger(healer);
    expect(after.actions).to.deep.equal([]);
    expect(healer.lastPass!.desiredHash).to.equal(goodHash);
    expect((after.services as Array<{ min: number }>)[0].min).to.equal(1);
    expect(alerts.sent.map((a) => a.kind)).to.deep.equal(['desired-invalid']);
    expect(alerts.sent[0].message).to.match(new RegExp(`services\\.${web}\\.max \\(2\\) is below services\\.${web}\\.min \\(5\\)`));
    const health = await fetch(`${healer.opsUrl}/health`);
    expect(health.status).to.equal(503);
    expect(((await health.json()) as { desiredError: string }).desiredError).to.match(/is below/);
    // The CLI names the problem and exits non-zero.
    const validate = await execCode(process.execPath, [HEALER_BIN, 'validate', '--desired', file]);
    expect(validate.code).to.equal(78);
    expect(validate.stderr).to.match(new RegExp(`services\\.${web}\\.max`));
    // Fixing the file is picked up on the next pass.
    writeFileSync(file, JSON.stringify({ services: { [web]: { min: 1, max: 2, scale: p.scaleTarget('web') } } }));
    await trigger(healer);
    expect(healer.lastPass!.desiredHash).to.not.equal(goodHash);
    expect((await fetch(`${healer.opsUrl}/health`)).status).to.equal(200);
  });

  it('healer run --once --dry-run plans and prints, and acts never', async () => {
    const { project: p, consulName } = await project({ web: 'httpd' });
    const web = consulName('web');
    await p.up('web', 1);
    await waitPassing(web, 1);
    const file = writeDesired({ services: { [web]: { min: 2, gracePeriod: '1s', scale: p.scaleTarget('web') } } });
    const out = await execCode(process.execPath, [HEALER_BIN, 'run', '--once', '--dry-run', '--desired', file, '--consul', consul.address, '--leader-key', `consul-sidecars/healer-test/${randomBytes(4).toString('hex')}`], { env: { LOG_LEVEL: 'error' } });
    expect(out.code, out.stderr).to.equal(0);
    const report = JSON.parse(out.stdout) as { dryRun: boolean; services: Array<{ state: string; reason: string }>; actions: unknown[] };
    expect(report.dryRun).to.equal(true);
    expect(report.services[0].state).to.equal('critical');
    expect(report.services[0].reason).to.match(/scaling to 2 \(\+1\)/);
    expect(report.actions).to.deep.equal([]);
    expect(await p.running('web')).to.equal(1);
  });

  it('the daemon: `healer run` serves /trigger for the watch handler and stops on SIGTERM within 5 s', async () => {
    const { project: p, consulName } = await project({ web: 'httpd' });
    const web = consulName('web');
    await p.up('web', 1);
    await waitPassing(web, 1);
    const file = writeDesired({ services: { [web]: { min: 1, scale: p.scaleTarget('web') } } });
    const port = await freePort();
    const child = spawn(process.execPath, [HEALER_BIN, 'run', '--desired', file, '--consul', consul.address, '--metrics-port', String(port), '--schedule', 'off', '--leader-key', `consul-sidecars/healer-test/${randomBytes(4).toString('hex')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    cleanups.push(() => child.kill('SIGKILL'));
    await waitFor(() => output.includes('healer started'), { timeoutMs: 15_000, message: 'the daemon to start' });
    const script = await execCode('bash', [HANDLER], { input: '[]', env: { HEALER_TRIGGER_URL: `http://127.0.0.1:${port}/trigger` } });
    expect(script.code, script.stderr).to.equal(0);
    await waitFor(async () => /healer_triggers_total\{source="http"\} 1/.test(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()), { timeoutMs: 10_000, message: 'the hint to be counted' });
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { ok: boolean; leader: boolean };
    expect(health).to.include({ ok: true });
    const stopAt = Date.now();
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(Date.now() - stopAt).to.be.lessThan(5000);
  });

  it('SIGHUP with a bad desired-state file -> the daemon lives on with the last good state, logs the field, a metric says so', async () => {
    const { project: p, consulName } = await project({ web: 'httpd' });
    const web = consulName('web');
    await p.up('web', 1);
    await waitPassing(web, 1);
    const file = writeDesired({ services: { [web]: { min: 1, scale: p.scaleTarget('web') } } });
    const port = await freePort();
    const child = spawn(process.execPath, [HEALER_BIN, 'run', '--desired', file, '--consul', consul.address, '--metrics-port', String(port), '--schedule', 'off', '--leader-key', `consul-sidecars/healer-test/${randomBytes(4).toString('hex')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    cleanups.push(() => child.kill('SIGKILL'));
    await waitFor(() => output.includes('healer started'), { timeoutMs: 15_000, message: 'the daemon to start' });
    const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

    writeFileSync(file, JSON.stringify({ services: { [web]: { min: 5, max: 2, scale: p.scaleTarget('web') } } }));
    child.kill('SIGHUP');
    // The election's first pass may read the bad file too (it re-reads a changed file): one failure or two.
    await waitFor(async () => child.exitCode === null && /healer_desired_reloads_total\{result="error"\} [12]\n/.test(await metrics()), { timeoutMs: 10_000, message: 'the failed reload to be counted' });
    expect(await metrics()).to.match(/^healer_desired_state_valid 0$/m);
    // pino writes asynchronously: wait for the whole line, then read the field it names.
    const failedLine = () => output.split('\n').slice(0, -1).find((l) => l.includes('keeping the last good'));
    await waitFor(failedLine, { timeoutMs: 5000, message: 'the log line of the failed reload' });
    expect((JSON.parse(failedLine()!) as { field?: string }).field).to.equal(`services.${web}.max`);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).to.equal(503);
    // The last good state is what a pass uses.
    const pass = (await (await fetch(`http://127.0.0.1:${port}/trigger?wait=1`, { method: 'POST' })).json()) as { services: Array<{ min: number }> };
    expect(pass.services[0].min).to.equal(1);

    // A second SIGHUP with the file fixed: valid again.
    writeFileSync(file, JSON.stringify({ services: { [web]: { min: 1, max: 2, scale: p.scaleTarget('web') } } }));
    child.kill('SIGHUP');
    await waitFor(async () => /^healer_desired_state_valid 1$/m.test(await metrics()), { timeoutMs: 10_000, message: 'the good reload' });
    const healed = await fetch(`http://127.0.0.1:${port}/health`);
    expect(healed.status, await healed.text()).to.equal(200);
    expect(child.exitCode).to.equal(null);
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
  });

  it('healer validate rejects a desired file whose compose file does not exist, naming the service and the path', async () => {
    const missing = join(dir, 'no-such-compose.yml');
    const file = writeDesired({ services: { web: { min: 1, scale: { composeProject: 'shop', composeFile: missing, composeService: 'web' } } } });
    const out = await execCode(process.execPath, [HEALER_BIN, 'validate', '--desired', file]);
    // An invalid config, by the bins' convention: 78 (EX_CONFIG); 2 is a bad command line.
    expect(out.code).to.equal(78);
    expect(out.stderr).to.contain('services.web.scale.composeFile').and.to.contain(missing);
    // A compose file that exists passes.
    writeFileSync(missing, 'version: "2.4"\nservices: {}\n');
    const ok = await execCode(process.execPath, [HEALER_BIN, 'validate', '--desired', file]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/^ok: web \(min 1\)/);
  });

  it('the watch handler falls back to a one-shot pass when no healer answers', async () => {
    const { project: p, consulName } = await project({ web: 'httpd' });
    const web = consulName('web');
    await p.up('web', 1);
    await waitPassing(web, 1);
    const file = writeDesired({ services: { [web]: { min: 1, scale: p.scaleTarget('web') } } });
    const closed = await freePort();
    const out = await execCode('bash', [HANDLER, '--desired', file, '--consul', consul.address, '--leader-key', `consul-sidecars/healer-test/${randomBytes(4).toString('hex')}`], {
      input: '[]',
      env: { HEALER_TRIGGER_URL: `http://127.0.0.1:${closed}/trigger`, HEALER_BIN: HEALER_BIN, LOG_LEVEL: 'error' },
    });
    expect(out.code, out.stderr).to.equal(0);
    expect(out.stderr).to.match(/no healer answered/);
    const report = JSON.parse(out.stdout) as { reasons: string[]; services: Array<{ state: string }> };
    expect(report.reasons).to.deep.equal(['once']);
    expect(report.services[0].state).to.equal('passing');
  });
});

/** A port nothing listens on (bound then released). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

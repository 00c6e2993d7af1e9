// The demo: the whole suite on loopback, with real requests, told step by step. Every claim it narrates is
// checked (with a deadline), so a demo that finishes is also an end-to-end check. Cleans up on exit and Ctrl-C.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../packages/core/src';
import { freePort } from '../../test/support/ports';
import { webComposeYaml } from '../../test/support/web-compose';
import { chapter, runAct, say, show } from './narrator';
import { listenFor, startNginx, type DemoNginx } from './nginx';
import { checkPrerequisites } from './prerequisites';
import { startDaemon, stopAll, binPath, setLogDir, type Daemon } from './processes';

const root = join(__dirname, '..', '..');
const runId = randomBytes(3).toString('hex');
const project = `csdemo${runId}`;
const SITE = 'demo-web';
const POOL = 'demo_web_pool';
const BIGIP_PASSWORD = randomBytes(9).toString('base64url');
const cleanups: Array<() => void | Promise<void>> = [];
let workDir = '';

async function getJson(url: string, ca?: string): Promise<unknown> {
  if (!url.startsWith('https:')) return (await fetch(url)).json();
  return new Promise((resolve, reject) => {
    https.get(url, { ca }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err);
        }
      });
    }).on('error', reject);
  });
}

async function metric(opsPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

function compose(...args: string[]): string {
  return execFileSync('docker-compose', ['-p', project, '-f', join(workDir, 'docker-compose.yml'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function webContainers(): string[] {
  return execFileSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`, '--filter', 'label=com.docker.compose.service=web'], { encoding: 'utf8' })
    .split('\n').filter(Boolean);
}

/** Distinct instances answering through nginx over `tries` requests. */
async function namesThroughNginx(nginx: DemoNginx, tries = 24): Promise<Set<string>> {
  const names = new Set<string>();
  for (let i = 0; i < tries; i++) {
    const res = await nginx.get(SITE);
    if (res.status !== 200) throw new Error(`nginx answered ${res.status} for ${SITE}: ${res.body}`);
    names.add(res.body);
  }
  return names;
}

async function expectNginxRoutesTo(nginx: DemoNginx, count: number, what: string): Promise<Set<string>> {
  return waitFor(async () => {
    const names = await namesThroughNginx(nginx);
    return names.size === count ? names : false;
  }, { timeoutMs: 60_000, intervalMs: 300, message: what });
}

async function consulAgent(): Promise<string> {
  if (process.env.CONSUL_HTTP_ADDR) {
    say(`using the Consul agent at CONSUL_HTTP_ADDR=${process.env.CONSUL_HTTP_ADDR}`);
    return process.env.CONSUL_HTTP_ADDR;
  }
  const port = await freePort();
  const standin = startDaemon('consul-standin', 'consul-standin', ['--port', String(port), '--node', 'demo-node']);
  await waitFor(() => standin.output().includes(`:${port}`), { timeoutMs: 10_000, message: 'the Consul stand-in to start' });
  say(`no CONSUL_HTTP_ADDR: started the Consul stand-in (a single-node agent speaking the real HTTP API) at http://127.0.0.1:${port}`);
  return `http://127.0.0.1:${port}`;
}

function writeComposeFile(): void {
  writeFileSync(join(workDir, 'docker-compose.yml'), webComposeYaml({ site: SITE, label: 'consul-sidecars.demo', value: runId }));
}

async function main(): Promise<void> {
  chapter('Prerequisites');
  checkPrerequisites();
  workDir = mkdtempSync(join(tmpdir(), 'consul-sidecars-demo-'));
  setLogDir(workDir);
  say(`docker, docker-compose and nginx answer; working in ${workDir} (daemon logs: *.log there)`);
  writeComposeFile();
  cleanups.push(() => void compose('down', '-v', '--remove-orphans'));

  chapter('Consul and the BIG-IP');
  const consulUrl = await consulAgent();
  const bigipPort = await freePort();
  const caFile = join(workDir, 'bigip-ca.pem');
  const bigip = startDaemon('bigip-standin', 'bigip-standin', ['--port', String(bigipPort), '--user', 'admin', '--ca-out', caFile], { BIGIP_STANDIN_PASSWORD: BIGIP_PASSWORD });
  // A deadline, not a guess: it starts in ~0.2 s, but a loaded CI machine has taken over 10 s. On failure, say what it printed.
  await waitFor(() => {
    if (bigip.child.exitCode !== null) throw new Error(`the BIG-IP stand-in exited (${bigip.child.exitCode}): ${bigip.output().slice(-2000)}`);
    return bigip.output().includes(String(bigipPort));
  }, { timeoutMs: 30_000, message: 'the BIG-IP stand-in to start' }).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; it printed: ${bigip.output().slice(-2000) || '(nothing)'}`);
  });
  const ca = readFileSync(caFile, 'utf8');
  say(`BIG-IP stand-in (iControl REST over HTTPS, its own CA) at https://127.0.0.1:${bigipPort}`);

  chapter('nginx on loopback, and the daemons as real processes');
  const nginxPort = await freePort();
  const nginx = startNginx(join(workDir, 'nginx'), nginxPort);
  cleanups.push(() => nginx.stop());
  const nginxArgs = ['-p', join(workDir, 'nginx'), '-c', join(workDir, 'nginx', 'nginx.conf')];
  const template = join(workDir, 'sites.conf.njk');
  copyFileSync(join(root, 'packages', 'renderer', 'templates', 'nginx-sites.conf.njk'), template);
  const ops = { registrator: await freePort(), renderer: await freePort(), healer: await freePort(), f5: await freePort() };
  writeFileSync(join(workDir, 'renderer.json'), JSON.stringify({
    consul: { address: consulUrl },
    templates: [{
      source: template, destination: nginx.sitesFile, group: 'nginx',
      validateCommand: ['nginx', '-t', '-q', ...nginxArgs], reloadCommand: ['nginx', ...nginxArgs, '-s', 'reload'],
      wait: { min: '200ms', max: '1s' },
      guard: { minInstances: 1, maxDropFraction: 0.7 },
      vars: { listen: listenFor(nginxPort), siteTag: 'http' },
    }],
  }, null, 2));
  writeFileSync(join(workDir, 'desired.json'), JSON.stringify({
    services: { [SITE]: { min: 3, gracePeriod: '3s', scale: { composeProject: project, composeFile: join(workDir, 'docker-compose.yml'), composeService: 'web' } } },
    policy: { quorumMinServices: 3 },
  }, null, 2));
  writeFileSync(join(workDir, 'f5-sync.json'), JSON.stringify({
    bigip: { url: `https://127.0.0.1:${bigipPort}`, username: 'admin', caFile },
    pools: [{ consulService: SITE, name: POOL, partition: 'Common', minActiveMembers: 1 }],
    roleTags: { master: 10, slave: 9 },
    debounce: { min: '200ms', max: '2s' },
    resyncInterval: '30s',
  }, null, 2));
  const consulEnv = { CONSUL_HTTP_ADDR: consulUrl };
  const daemons: Record<string, Daemon> = {
    registrator: startDaemon('registrator', 'registrator', ['-hostname', 'demo-node', '-label-filter', `consul-sidecars.demo=${runId}`, '-resync', '30', '-metrics-port', String(ops.registrator), `consul://${new URL(consulUrl).host}`], consulEnv),
    renderer: startDaemon('renderer', 'renderer', ['-config', join(workDir, 'renderer.json'), '-ops-port', String(ops.renderer)], consulEnv),
    'f5-sync': startDaemon('f5-sync', 'f5-sync', ['--config', join(workDir, 'f5-sync.json'), '--metrics-port', String(ops.f5)], { ...consulEnv, BIGIP_PASSWORD }),
  };
  const serving = (name: string, port: number) =>
    waitFor(() => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.ok), { timeoutMs: 15_000, message: `${name} to serve /metrics (output: ${daemons[name].output().slice(-500)})` });
  for (const [name, port] of Object.entries({ registrator: ops.registrator, renderer: ops.renderer, 'f5-sync': ops.f5 })) await serving(name, port);
  say(`registrator, renderer and f5-sync are running; nginx listens on 127.0.0.1:${nginxPort}`);

  chapter('Containers start -> registrator publishes them -> the renderer routes nginx to them');
  compose('up', '-d', '--scale', 'web=3');
  say('docker-compose up -d --scale web=3');
  const three = await expectNginxRoutesTo(nginx, 3, 'nginx to route to all 3 instances');
  show(`requests through nginx (Host: ${SITE}) reach`, [...three].join(', '));

  chapter('A container is killed -> the healer restores capacity');
  daemons.healer = startDaemon('healer', 'healer', ['run', '--desired', join(workDir, 'desired.json'), '--metrics-port', String(ops.healer)], consulEnv);
  await serving('healer', ops.healer);
  await waitFor(async () => (await metric(ops.healer, 'consul_sidecars_leader')) === 1 && (await metric(ops.healer, 'healer_passes_total')) > 0, { timeoutMs: 20_000, message: 'the healer to lead and make its first pass' });
  say(`healer started (desired: ${SITE} at least 3 healthy); it leads and sees 3 healthy, so it does nothing`);
  const victim = webContainers()[0];
  execFileSync('docker', ['rm', '-f', victim], { stdio: 'ignore' });
  say(`docker rm -f ${victim.slice(0, 12)}`);
  const healed = await waitFor(() => (webContainers().length === 3 && !webContainers().includes(victim) ? webContainers() : false), { timeoutMs: 60_000, intervalMs: 500, message: 'the healer to start a replacement' });
  const afterHeal = await expectNginxRoutesTo(nginx, 3, 'nginx to route to the replacement');
  say(`healer ran docker-compose --scale; ${healed.length} containers again (compose runs: ${await metric(ops.healer, 'healer_compose_runs_total')})`);
  show('nginx now reaches', [...afterHeal].join(', '));

  chapter('role promote -> the BIG-IP sends traffic to the master');
  const trafficUrl = `https://127.0.0.1:${bigipPort}/standin/traffic/~Common~${POOL}`;
  const services = (await getJson(`${consulUrl}/v1/health/service/${SITE}?passing`)) as Array<{ Service: { ID: string; Port: number } }>;
  const [first, second] = services.map((s) => s.Service).sort((a, b) => a.ID.localeCompare(b.ID));
  const promote = (id: string) => execFileSync(process.execPath, [binPath('registrator'), 'role', 'promote', id, `consul://${new URL(consulUrl).host}`], { stdio: 'pipe' });
  const receiving = async () => ((await getJson(trafficUrl, ca)) as { receiving?: string[] }).receiving ?? [];
  promote(first.ID);
  say(`registrator role promote ${first.ID}`);
  await waitFor(async () => { const r = await receiving(); return r.length === 1 && r[0].endsWith(`:${first.Port}`) ? r : false; }, { timeoutMs: 30_000, message: 'the BIG-IP traffic view to show only the master' });
  show('BIG-IP: members receiving new connections', await receiving());
  promote(second.ID);
  say(`registrator role promote ${second.ID} (failover to another instance)`);
  await waitFor(async () => { const r = await receiving(); return r.length === 1 && r[0].endsWith(`:${second.Port}`) ? r : false; }, { timeoutMs: 30_000, message: 'the BIG-IP traffic to move to the new master' });
  show('BIG-IP: members receiving new connections', await receiving());

  chapter('A broken template -> nginx keeps serving the last good config');
  const good = readFileSync(template, 'utf8');
  writeFileSync(template, `${good}\nthis_is_not_an_nginx_directive on;\n`);
  const failuresBefore = await metric(ops.renderer, 'renderer_validation_failures_total');
  daemons.renderer.child.kill('SIGHUP');
  say('appended an invalid directive to the template and sent the renderer SIGHUP');
  await waitFor(async () => (await metric(ops.renderer, 'renderer_validation_failures_total')) > failuresBefore, { timeoutMs: 30_000, message: 'the renderer to reject the broken render' });
  const stillServing = await nginx.get(SITE);
  if (stillServing.status !== 200) throw new Error(`nginx stopped serving: ${stillServing.status}`);
  const nginxSaid = /unknown directive "[^"]+"/.exec(daemons.renderer.output().replace(/\\"/g, '"'))?.[0] ?? 'validation failed';
  say(`the renderer refused it (nginx -t: ${nginxSaid}); nginx still answers 200 from ${stillServing.body}`);
  writeFileSync(template, good);
  daemons.renderer.child.kill('SIGHUP');
  say('template restored');
}

runAct({
  main,
  cleanup: async () => {
    await stopAll();
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch {
        // best effort: keep cleaning the rest
      }
    }
    if (workDir && !process.env.DEMO_KEEP) rmSync(workDir, { recursive: true, force: true });
  },
  done: 'every step was checked; stopping the daemons, nginx and the demo containers',
  onFailure: () => `(the daemons' logs are kept in ${workDir} when DEMO_KEEP=1 is set)`,
});

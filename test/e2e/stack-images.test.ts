// End to end from the built images: the node stack comes up as operators bring it up (docker-compose with
// compose/docker-compose.yml + docker-compose.standin.yml, an env file and a config directory), every daemon a
// container of its image: the Consul stand-in, registrator, the renderer with nginx inside, the healer with
// docker-compose inside, f5-sync and the BIG-IP stand-in. Real requests, each step under a deadline:
// web containers start -> registered -> nginx (in the renderer's container) serves them; one killed -> the healer
// scales back; `registrator role promote` -> the BIG-IP stand-in sends traffic to the new master. registrator reads
// Docker only through the stack's read-only socket proxy (a write through it is refused). A real Prometheus
// (Debian's binary, a process on loopback, the shipped scrape config and rules) scrapes every daemon, and a broken
// template makes RendererValidationFailing fire there and resolve once fixed.
// Everything listens on 127.0.0.1, on ports picked free at the start. The stack brings its own agent (the
// stand-in container), so CONSUL_HTTP_ADDR is not used here; the images are built by scripts/build-images.sh when
// missing or built from another commit (CS_TEST_REBUILD_IMAGES=1: always), on CI's local bases where it cannot pull.

import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@consul-sidecars/core';
import { dockerAvailable, ensureBusyboxImage } from '../support/docker-images';
import { freePort } from '../support/ports';
import { webComposeYaml } from '../support/web-compose';
import { COMPOSE_DIR, ComposeProject, ensureStackImages, getJsonTls, getVia, healthOf, listenersOn, STACK_IMAGES } from './stack-fixtures';
import { shippedAlerts, testPrometheusConfig, TestPrometheus, type PrometheusAlert } from './stack-prometheus';

const VERSION = 'e2e';
const SITE = 'stack-web';
const POOL = 'stack_web_pool';
const NODE_UID = 1000; // the images' node user
// A second, tiny template the test can break: a comment nginx accepts, or a directive nginx -t refuses.
const PROBE_DESTINATION = '/etc/nginx/conf.d/probe.conf';
const GOOD_PROBE = '# probe: {{ services() | length }} services in the catalog\n';
const BROKEN_PROBE = `${GOOD_PROBE}probe_broken_directive on;\n`;

describe('e2e: the node stack from the built images (compose + stand-ins: registrator, renderer+nginx, healer, f5-sync) @integration', function () {
  this.timeout(600_000);
  const runId = randomBytes(3).toString('hex');
  const filterLabel = `consul-sidecars.stack-e2e=${runId}`;
  let work = '';
  let stack: ComposeProject | undefined;
  let web: ComposeProject | undefined;
  let ports: Record<'consul' | 'registrator' | 'renderer' | 'healer' | 'f5' | 'bigip' | 'nginx', number>;
  let consulUrl = '';
  let probeTemplate = '';
  let prometheus: TestPrometheus | undefined;

  before(async function () {
    if (!dockerAvailable()) {
      if (process.env.CI) throw new Error('this suite needs a Docker engine');
      this.skip();
    }
    const images = ensureStackImages(VERSION);
    if (images.built.length > 0) console.log(`      built ${images.built.join(', ')} in ${images.seconds.toFixed(1)} s\n${images.output.replace(/^/gm, '        ')}`);
    for (const name of STACK_IMAGES) {
      // The renderer must be the variant with nginx inside (not renderer-no-nginx), the healer the one with compose.
      execFileSync('docker', ['image', 'inspect', `consul-sidecars/${name}:${VERSION}`], { stdio: 'ignore' });
    }
    ensureBusyboxImage();

    // The operator's layout, in a temp dir: config/ (mounted read-only), secrets/, nginx/conf.d/, the compose
    // projects the healer scales (mounted at the same path). The daemons run as uid 1000: they must read it.
    work = mkdtempSync(join(tmpdir(), 'cs-stack-e2e-'));
    for (const dir of ['config', 'consul.d', 'secrets', join('nginx', 'conf.d'), join('projects', 'web')]) mkdirSync(join(work, dir), { recursive: true });
    chmodSync(work, 0o755);
    ports = {
      consul: await freePort(), registrator: await freePort(), renderer: await freePort(), healer: await freePort(),
      f5: await freePort(), bigip: await freePort(), nginx: await freePort(),
    };
    expect(new Set(Object.values(ports)).size, 'distinct free ports').to.equal(Object.keys(ports).length);
    consulUrl = `http://127.0.0.1:${ports.consul}`;

    const tokenFile = join(work, 'secrets', 'consul-token');
    writeFileSync(tokenFile, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
    try {
      chownSync(tokenFile, NODE_UID, NODE_UID); // as an operator would: 0600, owned by the daemons' user
    } catch {
      chmodSync(tokenFile, 0o644); // not root: let uid 1000 read it anyway
    }
    const bigipSecrets = join(work, 'secrets', 'bigip.env');
    writeFileSync(bigipSecrets, `BIGIP_PASSWORD=${randomBytes(12).toString('base64url')}\n`, { mode: 0o600 });

    const webCompose = join(work, 'projects', 'web', 'docker-compose.yml');
    writeFileSync(webCompose, webComposeYaml({ site: SITE, label: 'consul-sidecars.stack-e2e', value: runId }));
    web = new ComposeProject(`csweb${runId}`, [webCompose]);

    writeFileSync(join(work, 'config', 'renderer.json'), JSON.stringify({
      templates: [{
        source: '/app/packages/renderer/templates/nginx-sites.conf.njk',
        destination: '/etc/nginx/conf.d/sites.conf',
        validateCommand: ['nginx', '-t', '-q'],
        reloadCommand: ['nginx', '-s', 'reload'],
        group: 'nginx',
        wait: { min: '200ms', max: '1s' },
        guard: { minInstances: 1, maxDropFraction: 0.7 },
        vars: { listen: `127.0.0.1:${ports.nginx}`, siteTag: 'http' },
      }, {
        source: '/etc/consul-sidecars/probe.conf.njk',
        destination: PROBE_DESTINATION,
        validateCommand: ['nginx', '-t', '-q'],
        reloadCommand: ['nginx', '-s', 'reload'],
        group: 'probe',
        wait: { min: '100ms', max: '500ms' },
        guard: { minInstances: 0 }, // it renders no instances: nothing for the guard to protect
      }],
    }, null, 2));
    probeTemplate = join(work, 'config', 'probe.conf.njk');
    writeFileSync(probeTemplate, GOOD_PROBE, { mode: 0o644 });
    writeFileSync(join(work, 'config', 'healer.json'), JSON.stringify({
      services: { [SITE]: { min: 3, gracePeriod: '3s', scale: { composeProject: web.name, composeFile: webCompose, composeService: 'web' } } },
      policy: { quorumMinServices: 3 },
    }, null, 2));
    writeFileSync(join(work, 'config', 'f5-sync.json'), JSON.stringify({
      pools: [{ consulService: SITE, name: POOL, partition: 'Common', minActiveMembers: 1 }],
      roleTags: { master: 10, slave: 9 },
      debounce: { min: '200ms', max: '2s' },
      resyncInterval: '30s',
    }, null, 2));

    // The env file, as compose/.env.example has it, with this run's paths and loopback ports.
    const envFile = join(work, 'node.env');
    writeFileSync(envFile, [
      'CONSUL_DATACENTER=dc-e2e',
      'CONSUL_RETRY_JOIN=127.0.0.1',
      'NODE_IP=127.0.0.1',
      `NODE_NAME=stack-e2e-${runId}`,
      `DOCKER_GID=${statSync('/var/run/docker.sock').gid}`,
      `SIDECARS_VERSION=${VERSION}`,
      'REGISTRY=',
      `SIDECARS_CONFIG_DIR=${join(work, 'config')}`,
      `CONSUL_CONFIG_DIR=${join(work, 'consul.d')}`,
      `CONSUL_TOKEN_FILE=${tokenFile}`,
      `NGINX_CONF_DIR=${join(work, 'nginx', 'conf.d')}`,
      `CONSUL_HTTP_PORT=${ports.consul}`,
      `BIGIP_URL=https://127.0.0.1:${ports.bigip}`,
      'BIGIP_USER=consul-sidecars',
      `BIGIP_SECRETS_FILE=${bigipSecrets}`,
      `BIGIP_STANDIN_PORT=${ports.bigip}`,
      `COMPOSE_PROJECTS_DIR=${join(work, 'projects')}`,
      `REGISTRATOR_OPS_PORT=${ports.registrator}`,
      `RENDERER_OPS_PORT=${ports.renderer}`,
      `HEALER_OPS_PORT=${ports.healer}`,
      `F5_SYNC_OPS_PORT=${ports.f5}`,
      `REGISTRATOR_LABEL_FILTER=${filterLabel}`,
      'REGISTRATOR_RESYNC=30',
      '',
    ].join('\n'));
    stack = new ComposeProject(`csstack${runId}`, [join(COMPOSE_DIR, 'docker-compose.yml'), join(COMPOSE_DIR, 'docker-compose.standin.yml')], envFile, 'f5,healer');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && stack) console.error(`--- stack logs (${stack.name}) ---\n${await stack.logs()}`);
  });

  after(async function () {
    await prometheus?.stop();
    // The stack first (the healer must not scale the web project back up while it goes down), then the web project.
    if (stack) await stack.down();
    if (web) await web.down();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** The sum of a metric's samples (those whose line also contains `having`, e.g. a label). */
  const metric = async (port: number, name: string, having = ''): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text.split('\n').filter((l) => l.startsWith(name) && l.includes(having)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };
  /** Distinct bodies (web container hostnames) answering through nginx over `tries` fresh requests. */
  const namesThroughNginx = async (tries = 24): Promise<Set<string>> => {
    const names = new Set<string>();
    for (let i = 0; i < tries; i++) {
      const res = await getVia(ports.nginx, SITE);
      if (res.status !== 200) throw new Error(`nginx answered ${res.status}: ${res.body}`);
      names.add(res.body);
    }
    return names;
  };
  /** The web containers' hostnames (busybox httpd serves its hostname: the short container id). */
  const webHostnames = () => new Set(web!.containers('web').map((id) => id.slice(0, 12)));
  const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

  it('comes up from the images with docker-compose, every daemon healthy on its loopback port', async function () {
    const started = Date.now();
    await stack!.run(['up', '-d'], 180_000);
    const services = ['consul', 'docker-socket-proxy', 'registrator', 'renderer', 'healer', 'f5-sync', 'bigip-standin'];
    for (const service of services) expect(stack!.containers(service), `${service} running`).to.have.lengthOf(1);
    for (const [name, port] of Object.entries({ registrator: ports.registrator, renderer: ports.renderer, healer: ports.healer, 'f5-sync': ports.f5 })) {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, { timeoutMs: 30_000, intervalMs: 250, message: `${name} to answer /health on 127.0.0.1:${port}` });
    }
    const leader = await (await fetch(`${consulUrl}/v1/status/leader`)).json();
    expect(leader, 'the Consul stand-in answers on CONSUL_HTTP_PORT').to.be.a('string');
    // The renderer image carries nginx (started by its entry point) and the healer image docker-compose.
    const [renderer] = stack!.containers('renderer');
    const nginxVersion = spawnSync('docker', ['exec', renderer, 'nginx', '-v'], { encoding: 'utf8' });
    expect(nginxVersion.stderr, 'nginx in the renderer image').to.match(/^nginx version: nginx\/1\./);
    // ...with what the no-reload mode needs: the Lua module, lua-resty-core and lua-cjson load the shipped Lua.
    const luaCheck = spawnSync('docker', ['exec', renderer, 'node', '-e',
      "require('/app/packages/renderer/dist/lua-check.js').checkLuaModule({ luaDir: '/app/packages/renderer/lua' })" +
      ".then((r) => { console.log(r.output); process.exit(r.ok ? 0 : 1); })"], { encoding: 'utf8' });
    expect(luaCheck.status, `the Lua check in the renderer image: ${luaCheck.stdout}${luaCheck.stderr}`).to.equal(0);
    const [healer] = stack!.containers('healer');
    expect(execFileSync('docker', ['exec', healer, 'docker-compose', 'version', '--short'], { encoding: 'utf8' })).to.match(/^1\.\d+\.\d+/);
    expect(execFileSync('docker', ['exec', healer, 'id', '-u'], { encoding: 'utf8' }).trim(), 'the healer runs as the node user').to.equal('1000');
    // Nothing of the stack listens beyond loopback on the ports it was given.
    const listeners = listenersOn([ports.consul, ports.registrator, ports.renderer, ports.healer, ports.f5, ports.bigip]);
    expect(listeners.map((l) => l.port).sort()).to.include.members([ports.consul, ports.registrator, ports.renderer, ports.healer, ports.f5, ports.bigip]);
    for (const l of listeners) expect(l.address, `listener on ${l.port}`).to.equal('127.0.0.1');
    this.test!.title += ` (${((Date.now() - started) / 1000).toFixed(1)} s)`;
  });

  it('web containers start -> registrator (container) registers them -> the renderer (container) makes its nginx serve them', async function () {
    const started = Date.now();
    await web!.run(['up', '-d', '--scale', 'web=3']);
    expect(web!.containers('web')).to.have.lengthOf(3);
    const names = await waitFor(async () => {
      const seen = await namesThroughNginx();
      return sameSet(seen, webHostnames()) ? seen : undefined;
    }, { timeoutMs: 60_000, intervalMs: 300, message: `nginx on 127.0.0.1:${ports.nginx} to answer from all 3 web containers` });
    expect(names.size).to.equal(3);
    // nginx listens where the rendered config says, on loopback only.
    for (const l of listenersOn([ports.nginx])) expect(l.address).to.equal('127.0.0.1');
    const registered = (await (await fetch(`${consulUrl}/v1/health/service/${SITE}?passing`)).json()) as Array<{ Service: { ID: string; Address: string } }>;
    expect(registered).to.have.lengthOf(3);
    for (const r of registered) expect(r.Service.ID.startsWith(`stack-e2e-${runId}:`), r.Service.ID).to.equal(true);
    this.test!.title += ` (${((Date.now() - started) / 1000).toFixed(1)} s)`;
  });

  it('registrator reads Docker only through the read-only socket proxy: what it asked passed, a write (POST /containers/create) is refused', async function () {
    const started = Date.now();
    const [registrator] = stack!.containers('registrator');
    const [proxy] = stack!.containers('docker-socket-proxy');
    const proxyLog = () => {
      const logs = spawnSync('docker', ['logs', proxy], { encoding: 'utf8' });
      return `${logs.stdout}${logs.stderr}`.split('\n');
    };
    // Registration worked (the test before), through the proxy, and nothing registrator asked for was refused.
    const asked = proxyLog();
    expect(asked.filter((line) => / 200 /.test(line) && /GET \/v[\d.]+\/containers\//.test(line)), 'registrator listed and inspected containers through the proxy').not.to.deep.equal([]);
    expect(asked.filter((line) => / 403 /.test(line)), 'requests of registrator the proxy refused').to.deep.equal([]);
    const inside = (script: string) => spawnSync('docker', ['exec', registrator, 'node', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    const noSocket = inside("process.exit(require('fs').existsSync('/var/run/docker.sock') ? 1 : 0)");
    expect(noSocket.status, "the engine's socket is not in registrator's container").to.equal(0);

    // From inside registrator's container, as anything running there could: the socket it has, a read, then a write.
    const forbidden = `csstack${runId}-forbidden`;
    const ask = (method: string, path: string, body?: object) => inside([
      "const socketPath = process.env.DOCKER_HOST.replace(/^unix:\\/\\//, '');",
      `const req = require('http').request({ socketPath, method: ${JSON.stringify(method)}, path: ${JSON.stringify(path)}, headers: { 'Content-Type': 'application/json' } },`,
      '  (res) => { console.log(res.statusCode); res.resume(); });',
      "req.on('error', (err) => { console.error(err.message); process.exit(1); });",
      `req.end(${JSON.stringify(body ? JSON.stringify(body) : '')});`,
    ].join('\n'));
    const read = ask('GET', '/v1.41/containers/json');
    expect(read.stdout.trim(), `GET /containers/json through the proxy: ${read.stderr}`).to.equal('200');
    const write = ask('POST', `/v1.41/containers/create?name=${forbidden}`, { Image: ensureBusyboxImage(), Cmd: ['true'] });
    expect(write.stdout.trim(), `POST /containers/create through the proxy: ${write.stderr}`).to.equal('403');
    expect(execFileSync('docker', ['ps', '-aq', '--filter', `name=${forbidden}`], { encoding: 'utf8' }).trim(), 'no container was created').to.equal('');
    await waitFor(() => proxyLog().some((line) => / 403 /.test(line) && line.includes('POST /v1.41/containers/create')),
      { timeoutMs: 10_000, intervalMs: 200, message: 'the proxy to log the refused write' });
    this.test!.title += ` (${((Date.now() - started) / 1000).toFixed(1)} s)`;
  });

  it('a web container is killed -> the healer (container, its own docker-compose) scales back to 3, nginx follows', async function () {
    const started = Date.now();
    await waitFor(async () => (await metric(ports.healer, 'consul_sidecars_leader')) === 1 && (await metric(ports.healer, 'healer_passes_total')) > 0,
      { timeoutMs: 30_000, intervalMs: 250, message: 'the healer to lead and make a pass' });
    const okRuns = () => metric(ports.healer, 'healer_compose_runs_total', 'result="ok"');
    const runsBefore = await okRuns();
    const [victim] = web!.containers('web');
    execFileSync('docker', ['rm', '-f', victim], { stdio: 'ignore' });
    const healed = await waitFor(() => {
      const ids = web!.containers('web');
      return ids.length === 3 && !ids.includes(victim) ? ids : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500, message: 'the healer to start a replacement web container' });
    // The replacement is up before compose exits and the run is counted: wait for the count as well.
    await waitFor(async () => (await okRuns()) > runsBefore, { timeoutMs: 30_000, intervalMs: 250, message: 'the healer to count a successful compose run' });
    await waitFor(async () => sameSet(await namesThroughNginx(), new Set(healed.map((id) => id.slice(0, 12)))),
      { timeoutMs: 60_000, intervalMs: 300, message: 'nginx to answer from the replacement and not the victim' });
    this.test!.title += ` (${((Date.now() - started) / 1000).toFixed(1)} s)`;
  });

  it('`registrator role promote` (in the registrator container) -> f5-sync (container) moves the BIG-IP traffic to the new master', async function () {
    const started = Date.now();
    const [bigip] = stack!.containers('bigip-standin');
    const ca = execFileSync('docker', ['exec', bigip, 'cat', '/var/lib/bigip-standin/ca.pem'], { encoding: 'utf8' });
    const trafficUrl = `https://127.0.0.1:${ports.bigip}/standin/traffic/~Common~${POOL}`;
    const receiving = async () => ((await getJsonTls(trafficUrl, ca)) as { receiving?: string[] }).receiving ?? [];
    await waitFor(async () => (await receiving()).length === 3, { timeoutMs: 30_000, intervalMs: 300, message: 'f5-sync to put the 3 instances in the pool' });

    const services = (await (await fetch(`${consulUrl}/v1/health/service/${SITE}?passing`)).json()) as Array<{ Service: { ID: string; Port: number } }>;
    const [first, second] = services.map((s) => s.Service).sort((a, b) => a.ID.localeCompare(b.ID));
    const [registrator] = stack!.containers('registrator');
    const promote = (id: string) => execFileSync('docker', ['exec', registrator, 'node', '/app/packages/registrator/bin/registrator.js', 'role', 'promote', id], { encoding: 'utf8' });
    const onlyMaster = (port: number) => async () => {
      const r = await receiving();
      return r.length === 1 && r[0].endsWith(`:${port}`) ? r : undefined;
    };
    promote(first.ID);
    await waitFor(onlyMaster(first.Port), { timeoutMs: 30_000, intervalMs: 300, message: `the BIG-IP to send traffic to ${first.ID} only` });
    promote(second.ID);
    const moved = await waitFor(onlyMaster(second.Port), { timeoutMs: 30_000, intervalMs: 300, message: `the BIG-IP traffic to move to ${second.ID}` });
    expect(moved).to.deep.equal([`127.0.0.1:${second.Port}`]);
    this.test!.title += ` (${((Date.now() - started) / 1000).toFixed(1)} s)`;
  });

  /** Waits on `probe` until it returns a value, or throws with what it last saw and Prometheus's log. */
  const seen = async <T>(what: string, timeoutMs: number, probe: () => Promise<{ done: T | undefined; last: unknown }>): Promise<T> => {
    let last: unknown;
    try {
      return (await waitFor(async () => {
        const r = await probe();
        last = r.last;
        return r.done;
      }, { timeoutMs, intervalMs: 250, message: what })) as T;
    } catch (err) {
      throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}\nprometheus log: ${prometheus?.log() ?? ''}`);
    }
  };
  const validationAlerts = async (): Promise<PrometheusAlert[]> => (await prometheus!.alerts()).filter((a) => a.labels.alertname === 'RendererValidationFailing');

  it("a real Prometheus (Debian's) scrapes the stack with the shipped config: every target up, every shipped rule loaded and evaluating, none firing", async function () {
    const started = Date.now();
    prometheus = await TestPrometheus.start(join(work, 'prometheus'),
      testPrometheusConfig({ registrator: ports.registrator, renderer: ports.renderer, healer: ports.healer, 'f5-sync': ports.f5 }));
    const targets = await seen('every scrape target up', 30_000, async () => {
      const all = await prometheus!.targets();
      return { done: all.length === 4 && all.every((t) => t.health === 'up') ? all : undefined, last: all.map((t) => [t.labels.job, t.health, t.lastError]) };
    });
    expect(targets.map((t) => t.labels.job).sort()).to.deep.equal(['f5-sync', 'healer', 'registrator', 'renderer']);
    const alerts = shippedAlerts();
    expect(alerts.length, 'alerts in the shipped rule file').to.be.at.least(13);
    const rules = await seen('every shipped rule loaded and evaluated without error', 30_000, async () => {
      const all = await prometheus!.rules();
      const evaluated = all.filter((r) => r.health === 'ok' && !r.lastEvaluation.startsWith('0001-'));
      return { done: evaluated.length === alerts.length ? all : undefined, last: all.map((r) => [r.name, r.health, r.lastError]) };
    });
    expect(rules.map((r) => r.name), 'loaded from deploy/prometheus/rules (/api/v1/rules)').to.deep.equal(alerts);
    expect(rules.every((r) => r.type === 'alerting')).to.equal(true);
    const firing = (await prometheus.alerts()).filter((a) => a.state === 'firing');
    expect(firing.map((a) => a.labels), 'alerts firing on a healthy stack').to.deep.equal([]);
    this.test!.title += ` (${((Date.now() - started) / 1000).toFixed(1)} s)`;
  });

  it('a broken template -> RendererValidationFailing fires in Prometheus while nginx keeps serving; fixed -> it resolves', async function () {
    const started = Date.now();
    const [renderer] = stack!.containers('renderer');
    const restarts = () => Number(execFileSync('docker', ['inspect', '-f', '{{.RestartCount}}', renderer], { encoding: 'utf8' }).trim());
    const restartsBefore = restarts();
    expect(await validationAlerts(), 'before the fault').to.deep.equal([]);

    // The operator's mistake: a directive nginx does not know; SIGHUP makes the renderer re-read it. Sent to the
    // container's init (PID 1), which passes it on: `docker kill -s HUP` would mark the container as stopped by hand,
    // and the unless-stopped policy would never restart it again (moby/moby#41302).
    const hangUp = () => execFileSync('docker', ['exec', renderer, 'kill', '-HUP', '1'], { stdio: 'ignore' });
    writeFileSync(probeTemplate, BROKEN_PROBE);
    hangUp();
    const fired = await seen('RendererValidationFailing to fire', 30_000, async () => {
      const all = await validationAlerts();
      return { done: all.find((a) => a.state === 'firing'), last: all };
    });
    const firedAfter = (Date.now() - started) / 1000;
    expect(fired.labels).to.include({ template: PROBE_DESTINATION, severity: 'warning' });
    // The last good files stay live: nginx still serves the sites.
    expect((await namesThroughNginx(6)).size, 'nginx serving while the probe template is broken').to.be.greaterThan(0);

    const fixing = Date.now();
    writeFileSync(probeTemplate, GOOD_PROBE);
    hangUp();
    await seen('RendererValidationFailing to resolve', 30_000, async () => {
      const all = await validationAlerts();
      return { done: all.length === 0 ? true : undefined, last: all };
    });
    const resolvedAfter = (Date.now() - fixing) / 1000;
    const rule = (await prometheus!.rules()).find((r) => r.name === 'RendererValidationFailing');
    expect(rule?.state, 'the rule once resolved').to.equal('inactive');
    expect(restarts(), 'SIGHUP reloaded the renderer, it did not restart the container').to.equal(restartsBefore);
    this.test!.title += ` (fired ${firedAfter.toFixed(1)} s after the fault, resolved ${resolvedAfter.toFixed(1)} s after the fix)`;
  });

  it('every stack container reports healthy through its image HEALTHCHECK', async function () {
    // The HEALTHCHECKs run every 10-15 s; by now each has run at least once or is about to.
    for (const service of ['consul', 'docker-socket-proxy', 'registrator', 'renderer', 'healer', 'f5-sync', 'bigip-standin']) {
      const [id] = stack!.containers(service);
      await waitFor(() => healthOf(id) === 'healthy', { timeoutMs: 45_000, intervalMs: 500, message: `${service} to be healthy (is ${healthOf(id)})` });
    }
  });

  it('nginx dies inside the renderer container -> the container says so and restarts (restart policy), nginx serves again', async function () {
    const started = Date.now();
    const [renderer] = stack!.containers('renderer');
    const restarts = () => Number(execFileSync('docker', ['inspect', '-f', '{{.RestartCount}}', renderer], { encoding: 'utf8' }).trim());
    const before = restarts();
    const masterPid = execFileSync('docker', ['exec', renderer, 'cat', '/run/nginx.pid'], { encoding: 'utf8' }).trim();
    execFileSync('docker', ['exec', renderer, 'kill', '-9', masterPid]);
    await waitFor(() => restarts() > before, { timeoutMs: 30_000, intervalMs: 250, message: 'the renderer container to restart after nginx died' });
    const said = spawnSync('docker', ['logs', renderer], { encoding: 'utf8' });
    expect(`${said.stdout}${said.stderr}`).to.match(new RegExp(`renderer-nginx-entrypoint: nginx \\(pid ${masterPid}\\) exited with status \\d+; stopping the renderer`));
    await waitFor(async () => {
      const seen = await namesThroughNginx(6).catch(() => new Set<string>());
      return seen.size > 0;
    }, { timeoutMs: 60_000, intervalMs: 500, message: 'nginx in the restarted renderer container to serve the site again' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${ports.renderer}/health`).catch(() => undefined))?.ok === true, { timeoutMs: 30_000, intervalMs: 250, message: 'the restarted renderer to answer /health' });
    this.test!.title += ` (${((Date.now() - started) / 1000).toFixed(1)} s)`;
  });
});


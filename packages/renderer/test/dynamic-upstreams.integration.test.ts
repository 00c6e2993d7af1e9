// @integration: the no-reload mode between a Consul (the stand-in, or CONSUL_HTTP_ADDR) and a real nginx-extras
// (Lua balancer, 2 workers), with real busybox web containers behind it. Instance changes are pushed into nginx's
// shared dict: zero reloads (worker pids unchanged), zero failed requests, and every request after a push reaches
// only the current instances. Server blocks still go live through nginx -t + one reload.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import { ConsulHttpClient, createLogger, silentLogger, waitFor, type Logger } from '@consul-sidecars/core';
import { startTestConsul, type TestConsul } from '../../../test/support/consul';
import { ensureBusyboxImage } from '../../../test/support/docker-images';
import { removeContainers, startWebContainer, type WebContainer } from '../../../test/support/web-container';
import { resolveRendererConfig } from '../src/config';
import { Runner } from '../src/runner';
import { freePort, startNginx, type NginxInstance } from './nginx-harness';

const TEMPLATE = join(__dirname, '..', 'templates', 'nginx-dynamic.conf.njk');
const testLogger = (): Logger => (process.env.RENDERER_TEST_LOG ? createLogger({ name: 'renderer-test', level: 'debug' }) : silentLogger());

interface Sample {
  start: number;
  end: number;
  status: number;
  body: string;
  error?: string;
}

/** One GET through nginx on a keepalive agent (idle connections survive: there is no reload to drop them). */
function request(agent: http.Agent, port: number, host: string, timeoutMs = 3000): Promise<Sample> {
  const start = Date.now();
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { Host: host }, agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ start, end: Date.now(), status: res.statusCode ?? 0, body: body.trim() }));
      res.on('error', (err) => resolve({ start, end: Date.now(), status: 0, body: '', error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ start, end: Date.now(), status: 0, body: '', error: err.message }));
  });
}

/** A bounded request loop (count and time) with `clients` concurrent keepalive clients. */
function loadLoop(port: number, host: string, options: { clients: number; maxRequests: number; maxMs: number }) {
  const samples: Sample[] = [];
  let stopped = false;
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const deadline = Date.now() + options.maxMs;
  const done = Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (!stopped && samples.length < options.maxRequests && Date.now() < deadline) samples.push(await request(agent, port, host));
    }),
  ).finally(() => agent.destroy());
  return {
    samples,
    async stop(): Promise<Sample[]> {
      stopped = true;
      await done;
      return samples;
    },
  };
}

const failed = (samples: Sample[]) => samples.filter((s) => s.status !== 200);

describe('@integration renderer no-reload mode: Lua balancer fed by pushes (nginx-extras)', function () {
  this.timeout(240_000);
  const run = randomBytes(3).toString('hex');
  const tag = `renderer-dyn-${run}`;
  const service = `dyn-${run}.example.com`;
  const upstream = `consul_${service}`;
  const domain = `test.${service}`;
  let consul: TestConsul;
  let nginx: NginxInstance;
  let adminPort: number;
  let webs: WebContainer[] = [];
  let runner: Runner | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  const serviceId = (web: WebContainer, name = service) => `${name}-${web.name}`;
  const register = (web: WebContainer, name = service) =>
    consul.client.agent.service.register({ name, id: serviceId(web, name), address: '127.0.0.1', port: web.hostPort, tags: [tag] });
  const deregister = (web: WebContainer, name = service) => consul.client.agent.service.deregister(serviceId(web, name));

  async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`http://127.0.0.1:${adminPort}/consul-sidecars${path}`, {
      method,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  /** host:port of the peers nginx holds for `name`, sorted ('' entries when never pushed). */
  async function heldPeers(name = upstream): Promise<string[] | undefined> {
    const { status, json } = await admin('GET', `/upstreams/${name}`).catch(() => ({ status: 0, json: {} as Record<string, unknown> }));
    if (status !== 200) return undefined;
    const entry = (json.upstreams as Record<string, { peers: { address: string; port: number }[] }>)[name];
    return entry.peers.map((p) => `${p.address}:${p.port}`).sort();
  }

  const addresses = (set: WebContainer[]) => set.map((w) => `127.0.0.1:${w.hostPort}`).sort();

  function newRunner(patch: Record<string, unknown> = {}, guard: Record<string, unknown> = {}): Runner {
    const config = resolveRendererConfig({
      consul: { address: consul.url, waitSeconds: 30, retryMax: '250ms' },
      templates: [{
        source: TEMPLATE,
        destination: nginx.sitesPath,
        validateCommand: nginx.validateCommand,
        reloadCommand: nginx.reloadCommand,
        group: 'nginx',
        vars: { listen: `127.0.0.1:${nginx.port}`, adminListen: `127.0.0.1:${adminPort}`, domainPrefix: 'test.', siteTag: tag },
        upstreamPush: { url: `http://127.0.0.1:${adminPort}/consul-sidecars`, interval: '100ms' },
        guard,
        ...patch,
      }],
    });
    return new Runner({ config, consul: new ConsulHttpClient(consul.settings), logger: testLogger() });
  }

  async function servedBy(expected: string[], host = domain): Promise<void> {
    await waitFor(async () => {
      const seen = new Set<string>();
      for (let i = 0; i < expected.length * 4; i++) {
        const res = await request(agent, nginx.port, host);
        seen.add(res.status === 200 ? res.body : `HTTP ${res.status}`);
      }
      return seen.size === expected.length && expected.every((e) => seen.has(e));
    }, { timeoutMs: 15_000, intervalMs: 20, message: `${host} served by exactly ${expected.join(', ')}` });
  }

  before(async function () {
    ensureBusyboxImage();
    webs = ['a', 'b', 'c', 'd'].map((n) => startWebContainer(`renderer-dyn-${run}-${n}`, { testLabel: tag }));
    consul = await startTestConsul();
    nginx = await startNginx({ label: 'dyn', lua: true, workers: 2 });
    adminPort = await freePort();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${webs[3].hostPort}/`)).ok, { timeoutMs: 15_000, message: 'web containers answering' });
  });

  after(async function () {
    agent.destroy();
    await runner?.stop();
    for (const w of webs) await deregister(w).catch(() => undefined);
    removeContainers(...webs.map((w) => w.id));
    await nginx?.stop();
    await consul?.close();
  });

  it('renders the server block with one validated reload and pushes its members: the site answers from the pushed peers', async function () {
    await register(webs[0]);
    await register(webs[1]);
    runner = newRunner();
    runner.start();
    await servedBy([webs[0].name, webs[1].name]);
    expect(await heldPeers()).to.deep.equal(addresses([webs[0], webs[1]]));
    expect(runner.stats.reloads, 'the first render of the file: one reload').to.equal(1);
    expect(runner.stats.failedPushes, 'no push before nginx has the endpoint').to.equal(0);
    expect(runner.stats.validations).to.equal(1);
    // Two workers share the dict: every worker routes the same way (the loop above spread over both).
    expect(nginx.workerPids()).to.have.length(2);
  });

  it('an instance change goes to nginx ahead of the render, as it came from Consul; the render after it sends nothing more', async function () {
    const before = { ...runner!.stats };
    await register(webs[2]);
    await waitFor(async () => JSON.stringify(await heldPeers()) === JSON.stringify(addresses([webs[0], webs[1], webs[2]])), { timeoutMs: 10_000, intervalMs: 5, message: 'nginx holding the third instance' });
    await waitFor(() => runner!.stats.renders > before.renders, { timeoutMs: 10_000, message: 'the render after the change' });
    await runner!.whenIdle();
    expect(runner!.stats.pushesAhead - before.pushesAhead, 'pushes ahead of the render').to.equal(1);
    expect(runner!.stats.pushes - before.pushes, 'requests that changed nginx: the one ahead, none from the render').to.equal(1);
    expect(runner!.stats.reloads).to.equal(before.reloads);
    await deregister(webs[2]);
    await waitFor(async () => JSON.stringify(await heldPeers()) === JSON.stringify(addresses([webs[0], webs[1]])), { timeoutMs: 10_000, intervalMs: 5, message: 'nginx back to two instances' });
    await servedBy([webs[0].name, webs[1].name]);
  });

  it('instances added and removed 100 times under a request loop: 0 failed requests, 0 reloads, only current instances after each push', async function () {
    const workers = nginx.workerPids();
    const nginxReloads = nginx.reloads();
    const reloads = runner!.stats.reloads;
    const pushes = runner!.stats.pushes;
    let current = [webs[0], webs[1]];
    const load = loadLoop(nginx.port, domain, { clients: 2, maxRequests: 40_000, maxMs: 150_000 });
    const misrouted: string[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        // Alternate: add one that is out, or remove one that is in (never fewer than 1, never more than 4).
        const out = webs.filter((w) => !current.includes(w));
        const add = current.length === 1 || (out.length > 0 && (i % 3 !== 2 || current.length < 3));
        if (add) {
          const web = out[i % out.length];
          await register(web);
          current = [...current, web];
        } else {
          const web = current[i % current.length];
          await deregister(web);
          current = current.filter((w) => w !== web);
        }
        const want = addresses(current);
        await waitFor(async () => JSON.stringify(await heldPeers()) === JSON.stringify(want), { timeoutMs: 10_000, intervalMs: 5, message: `push ${i + 1}: nginx holding ${want.join(', ')}` });
        // Pushed: from now on every request reaches a current instance (the removed containers still answer,
        // so a stale route would succeed and only this check can see it).
        for (let r = 0; r < 4; r++) {
          const res = await request(agent, nginx.port, domain);
          if (res.status !== 200 || !current.some((w) => w.name === res.body)) misrouted.push(`push ${i + 1}: got ${res.status} ${res.body}, current ${current.map((w) => w.name).join(',')}`);
        }
      }
    } finally {
      await load.stop();
    }
    const samples = load.samples;
    expect(misrouted, misrouted.slice(0, 5).join('\n')).to.deep.equal([]);
    expect(failed(samples), failed(samples).slice(0, 5).map((s) => `${s.status} ${s.error ?? s.body}`).join('\n')).to.deep.equal([]);
    expect(samples.length, 'requests in the loop').to.be.greaterThan(200);
    expect(runner!.stats.reloads, 'renderer reloads while instances churned').to.equal(reloads);
    expect(nginx.reloads(), 'SIGHUPs nginx logged').to.equal(nginxReloads);
    expect(nginx.workerPids(), 'nginx worker pids (a reload forks new ones)').to.deep.equal(workers);
    expect(runner!.stats.pushes - pushes, 'pushes').to.be.at.least(100);
    // Back to two instances for the next cases.
    for (const w of webs) if (!current.slice(0, 2).includes(w)) await deregister(w).catch(() => undefined);
    await waitFor(async () => (await heldPeers())?.length === Math.min(2, current.length), { timeoutMs: 10_000, message: 'two peers again' });
    current = current.slice(0, 2);
    await servedBy(current.map((w) => w.name));
  });

  it('a failed peer (its container stopped, Consul not yet told) is retried on the next peer: no failed request', async function () {
    const held = await heldPeers();
    expect(held).to.have.length(2);
    const victim = webs.find((w) => held!.includes(`127.0.0.1:${w.hostPort}`))!;
    const survivor = webs.find((w) => w !== victim && held!.includes(`127.0.0.1:${w.hostPort}`))!;
    const { execFileSync } = await import('node:child_process');
    execFileSync('docker', ['stop', '-t', '0', victim.id], { stdio: 'ignore' });
    try {
      const samples: Sample[] = [];
      for (let i = 0; i < 30; i++) samples.push(await request(agent, nginx.port, domain));
      expect(failed(samples)).to.deep.equal([]);
      expect(new Set(samples.map((s) => s.body))).to.deep.equal(new Set([survivor.name]));
    } finally {
      execFileSync('docker', ['start', victim.id], { stdio: 'ignore' });
      // The host port may change on restart: re-register with the new one.
      const port = execFileSync('docker', ['port', victim.id, '80/tcp'], { encoding: 'utf8' }).trim().split('\n')[0];
      victim.hostPort = Number(port.split(':').pop());
      await waitFor(async () => (await fetch(`http://127.0.0.1:${victim.hostPort}/`).catch(() => ({ ok: false }))).ok, { timeoutMs: 15_000, message: 'victim back' });
      await register(victim);
      await servedBy([victim.name, survivor.name].sort());
    }
  });

  it('a new service: its members are pushed, then one validated reload; removed: one reload, then its upstream leaves nginx', async function () {
    const other = `dyn2-${run}.example.com`;
    const otherUpstream = `consul_${other}`;
    const reloads = runner!.stats.reloads;
    await register(webs[3], other);
    await servedBy([webs[3].name], `test.${other}`);
    expect(runner!.stats.reloads - reloads, 'reloads for the new server block').to.equal(1);
    expect(await heldPeers(otherUpstream)).to.deep.equal(addresses([webs[3]]));
    await deregister(webs[3], other);
    await waitFor(async () => (await heldPeers(otherUpstream)) === undefined, { timeoutMs: 10_000, message: `${otherUpstream} removed from nginx` });
    expect(runner!.stats.reloads - reloads, 'reloads: one to add the site, one to remove it').to.equal(2);
    // A fresh connection: an idle keepalive one may still belong to a worker of the old config, draining.
    await waitFor(async () => (await request(new http.Agent(), nginx.port, `test.${other}`)).status === 404, { timeoutMs: 5000, message: 'the removed site falls to the default server' });
  });

  it('the push endpoint validates what it gets, applies a body whole or not at all, and refuses to empty an upstream', async function () {
    const before = await heldPeers();
    const bad = await admin('POST', '/upstreams', { upstreams: { [upstream]: [{ address: '127.0.0.1', port: 70000 }] } });
    expect(bad.status).to.equal(400);
    expect(String(bad.json.error)).to.match(/port: must be an integer 1-65535/);
    const name = await admin('POST', '/upstreams', { upstreams: { [upstream]: [{ address: 'web.example.com', port: 80 }] } });
    expect(name.status).to.equal(400);
    expect(String(name.json.error)).to.match(/address: must be an IPv4 or IPv6 address/);
    const partlyBad = await admin('POST', '/upstreams', { upstreams: { 'x-ok': [{ address: '127.0.0.1', port: 81 }], [upstream]: [{ address: '127.0.0.1' }] } });
    expect(partlyBad.status).to.equal(400);
    expect(await heldPeers('x-ok'), 'nothing of a rejected body is applied').to.equal(undefined);
    const empty = await admin('POST', '/upstreams', { upstreams: { [upstream]: [] } });
    expect(empty.status).to.equal(409);
    expect(String(empty.json.error)).to.match(/would have no usable peer/);
    const allDown = await admin('POST', '/upstreams', { upstreams: { [upstream]: [{ address: '127.0.0.1', port: 81, down: true }] } });
    expect(allDown.status).to.equal(409);
    expect((await admin('POST', '/upstreams', 'not json')).status).to.equal(400);
    expect((await admin('PUT', '/upstreams', {})).status).to.equal(405);
    expect(await heldPeers(), 'the current peers stayed').to.deep.equal(before);
    const status = await admin('GET', '/status');
    expect(status.status).to.equal(200);
    expect(status.json.boot).to.be.a('string');
  });

  it('the guard holds the last peers when every instance leaves Consul (no push, site keeps answering)', async function () {
    const before = await heldPeers();
    const registered = webs.filter((w) => before!.includes(`127.0.0.1:${w.hostPort}`));
    try {
      // One at a time: the renderer may see the one-instance step (pushed) or not; none left is held either way.
      for (const w of registered) await deregister(w);
      await waitFor(() => runner!.reports()[0].status === 'held', { timeoutMs: 10_000, message: 'the template held' });
      expect(runner!.reports()[0].reason).to.equal('below-min-instances');
      const held = await heldPeers();
      expect(held, 'nginx keeps peers').to.not.be.empty;
      expect(before).to.include.members(held!);
      expect((await request(agent, nginx.port, domain)).status).to.equal(200);
    } finally {
      for (const w of registered) await register(w);
    }
    await waitFor(() => runner!.reports()[0].status === 'ok', { timeoutMs: 10_000, message: 'the template ok again' });
  });

  it('nginx restarted (empty shared dict): the renderer pushes everything again within one second of nginx answering', async function () {
    const expected = await heldPeers();
    expect(expected).to.have.length(2);
    const restores = runner!.stats.restores;
    await nginx.restart(); // resolves once the new nginx answers
    const answering = Date.now();
    await waitFor(async () => JSON.stringify(await heldPeers()) === JSON.stringify(expected), { timeoutMs: 1000, intervalMs: 10, message: 'upstreams restored within 1 s of nginx answering' });
    const restoredMs = Date.now() - answering;
    const res = await request(new http.Agent(), nginx.port, domain);
    expect(res.status).to.equal(200);
    expect(runner!.stats.restores - restores).to.equal(1);
    if (process.env.RENDERER_TEST_LOG) console.log(`restored ${restoredMs} ms after nginx answered`);
  });

  it('until the first push nginx answers a clear 503, never a crash; a renderer started later fills it', async function () {
    await runner!.stop();
    runner = undefined;
    await nginx.restart();
    const res = await request(new http.Agent(), nginx.port, domain);
    expect(res.status).to.equal(503);
    expect(res.body).to.match(/no instances of consul_dyn-.* have been pushed to nginx yet/);
    runner = newRunner();
    runner.start();
    await waitFor(async () => (await request(new http.Agent(), nginx.port, domain)).status === 200, { timeoutMs: 10_000, intervalMs: 20, message: 'served after the new renderer pushed' });
    expect(runner.stats.reloads, 'the file on disk matched: the new renderer pushed without a reload').to.equal(0);
  });
});

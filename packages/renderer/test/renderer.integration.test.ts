// @integration: the renderer between a Consul (the stand-in, or CONSUL_HTTP_ADDR) and a real nginx, with real
// busybox web containers behind it.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConsulHttpClient, consulSettingsFromEnv, createConsulClient, createLogger, silentLogger, waitFor, type ConsulClient, type Logger } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { ensureBusyboxImage } from '../../../test/support/docker-images';
import { removeContainers, startWebContainer, type WebContainer } from '../../../test/support/web-container';
import { resolveRendererConfig } from '../src/config';
import { Runner, type BatchEvent } from '../src/runner';
import { startNginx, type NginxInstance } from './nginx-harness';

const TEMPLATE = join(__dirname, '..', 'templates', 'nginx-sites.conf.njk');
const realConsul = Boolean(process.env.CONSUL_HTTP_ADDR);
const testLogger = (): Logger => (process.env.RENDERER_TEST_LOG ? createLogger({ name: 'renderer-test', level: 'debug' }) : silentLogger());

/** The distinct bodies seen in `count` requests (each body is the container's name). */
async function backendsSeen(nginx: NginxInstance, host: string, count = 12): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const res = await nginx.get(host);
    seen.add(res.status === 200 ? res.body.trim() : `HTTP ${res.status}`);
  }
  return seen;
}

const sameSet = (a: Set<string>, b: string[]) => a.size === b.length && b.every((x) => a.has(x));

/** A count once it has not moved for `stableMs` (within a deadline). */
async function stableCount(read: () => number, stableMs = 500): Promise<number> {
  let value = read();
  let since = Date.now();
  await waitFor(() => {
    const now = read();
    if (now !== value) {
      value = now;
      since = Date.now();
    }
    return Date.now() - since >= stableMs;
  }, { timeoutMs: 10_000, intervalMs: 25, message: 'a stable count' });
  return value;
}

describe('@integration renderer: Consul -> nginx with real containers', function () {
  this.timeout(120_000);
  const run = randomBytes(3).toString('hex');
  const tag = `renderer-${run}`;
  const service = `web-${run}.example.com`;
  const domain = `test.${service}`;
  let standin: ConsulStandin | undefined;
  let consulAddress: string;
  let consul: ConsulClient;
  let nginx: NginxInstance;
  let webs: WebContainer[] = [];
  let runner: Runner | undefined;
  const batches: BatchEvent[] = [];

  const register = (web: WebContainer, extra: Record<string, unknown> = {}) =>
    consul.agent.service.register({ name: service, id: `${service}-${web.name}`, address: '127.0.0.1', port: web.hostPort, tags: [tag], ...extra });
  const deregister = (web: WebContainer) => consul.agent.service.deregister(`${service}-${web.name}`);

  function newRunner(templates: Record<string, unknown>[], extra: Record<string, unknown> = {}): Runner {
    const config = resolveRendererConfig({ consul: { address: consulAddress, waitSeconds: 30, retryMax: '500ms' }, templates, ...extra });
    const r = new Runner({ config, consul: new ConsulHttpClient(consulSettingsFromEnv(process.env, consulAddress)), logger: testLogger() });
    r.on('batch', (e) => batches.push(e));
    return r;
  }

  const sitesTemplate = (patch: Record<string, unknown> = {}) => ({
    source: TEMPLATE,
    destination: nginx.sitesPath,
    validateCommand: nginx.validateCommand,
    reloadCommand: nginx.reloadCommand,
    group: 'nginx',
    vars: { listen: `127.0.0.1:${nginx.port}`, domainPrefix: 'test.', siteTag: tag },
    ...patch,
  });

  before(async function () {
    ensureBusyboxImage();
    webs = [1, 2, 3].map((n) => startWebContainer(`renderer-${run}-web${n}`, { testLabel: `renderer-${run}` }));
    if (realConsul) {
      consulAddress = process.env.CONSUL_HTTP_ADDR as string;
    } else {
      standin = await startConsulStandin({ port: 0 });
      consulAddress = standin.address;
    }
    consul = createConsulClient(consulSettingsFromEnv(process.env, consulAddress));
    nginx = await startNginx({ label: run });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${webs[0].hostPort}/`).then((r) => r.text())).trim() === webs[0].name, { timeoutMs: 15_000, message: 'web container answering' });
  });

  after(async () => {
    await runner?.stop();
    for (const w of webs) await deregister(w).catch(() => undefined);
    removeContainers(...webs.map((w) => w.id));
    await nginx?.stop();
    await standin?.stop();
  });

  it('two instances registered -> requests through nginx reach both', async () => {
    await register(webs[0]);
    await register(webs[1]);
    runner = newRunner([sitesTemplate()]);
    runner.start();
    await waitFor(async () => sameSet(await backendsSeen(nginx, domain), [webs[0].name, webs[1].name]), { timeoutMs: 20_000, message: 'nginx reaching both instances' });
    expect(readFileSync(nginx.sitesPath, 'utf8')).to.contain(`server_name ${domain};`);
    expect(runner.health().ok).to.equal(true);
  });

  it('one deregistered -> nginx stops sending to it after the render', async () => {
    const reloadsBefore = nginx.reloads();
    await deregister(webs[1]);
    await waitFor(() => !readFileSync(nginx.sitesPath, 'utf8').includes(`:${webs[1].hostPort} `), { timeoutMs: 10_000, message: 'the render without web2' });
    // Old workers may finish their last requests; after the reload every request goes to web1.
    await waitFor(async () => sameSet(await backendsSeen(nginx, domain, 20), [webs[0].name]), { timeoutMs: 10_000, message: 'only web1 answering' });
    expect(nginx.reloads()).to.be.greaterThan(reloadsBefore);
  });

  it('a template made broken -> nginx keeps serving the last good config and the renderer reports nginx\'s error', async () => {
    await runner?.stop();
    const extraTemplate = join(nginx.prefix, 'extra.conf.njk');
    writeFileSync(extraTemplate, '# extra for {{ service("' + service + '") | length }} instance(s)\n');
    const extra = { source: extraTemplate, destination: join(nginx.prefix, 'conf.d', 'extra.conf'), validateCommand: nginx.validateCommand, reloadCommand: nginx.reloadCommand, group: 'nginx', guard: { minInstances: 0 } };
    runner = newRunner([sitesTemplate(), extra]);
    runner.start();
    await waitFor(() => existsSync(extra.destination), { timeoutMs: 10_000, message: 'extra.conf rendered' });
    const goodSites = readFileSync(nginx.sitesPath, 'utf8');
    const goodExtra = readFileSync(extra.destination, 'utf8');
    const failedBefore = runner.stats.failedBatches;

    writeFileSync(extraTemplate, 'server { listen {{ service("' + service + '") | length }}0000000; this_is_not_nginx on; }\n');
    runner.reloadTemplates();
    const failure = await waitFor(() => batches.find((b) => b.outcome.result === 'validation-failed'), { timeoutMs: 10_000, message: 'a failed validation' });
    expect(failure.outcome.error).to.match(/\[emerg\]/);
    expect(runner.stats.failedBatches).to.equal(failedBefore + 1);
    expect(readFileSync(extra.destination, 'utf8')).to.equal(goodExtra);
    expect(readFileSync(nginx.sitesPath, 'utf8')).to.equal(goodSites);
    expect(nginx.running()).to.equal(true);
    expect(await backendsSeen(nginx, domain, 5)).to.deep.equal(new Set([webs[0].name]));
    expect(await runner.metrics.registry.getSingleMetricAsString('renderer_validation_failures_total')).to.match(/group="nginx"} 1/);
    const report = runner.health();
    expect(report.ok).to.equal(false);
    expect(JSON.stringify(report.templates)).to.contain('validation-failed');

    // It keeps running: the next change goes live for the good template, the broken one is not retried as is.
    await register(webs[2]);
    await waitFor(async () => sameSet(await backendsSeen(nginx, domain), [webs[0].name, webs[2].name]), { timeoutMs: 10_000, message: 'web3 live despite the broken template' });
    expect(readFileSync(extra.destination, 'utf8')).to.equal(goodExtra);

    // Fixed -> it goes live.
    writeFileSync(extraTemplate, '# fixed, {{ service("' + service + '") | length }} instance(s)\n');
    runner.reloadTemplates();
    await waitFor(() => readFileSync(extra.destination, 'utf8') === '# fixed, 2 instance(s)\n', { timeoutMs: 10_000, message: 'the fixed template live' });
    await waitFor(() => runner?.health().ok, { timeoutMs: 5000, message: `healthy again: ${JSON.stringify(runner.health())}` });
    await deregister(webs[2]);
    await waitFor(async () => sameSet(await backendsSeen(nginx, domain), [webs[0].name]), { timeoutMs: 10_000, message: 'back to web1 only' });
  });

  it('all instances gone -> the guard holds the last good file and nginx never fails to load', async () => {
    const before = readFileSync(nginx.sitesPath, 'utf8');
    await deregister(webs[0]);
    try {
      const sitesReport = () => runner?.reports().find((r) => r.destination === nginx.sitesPath);
      await waitFor(() => sitesReport()?.status === 'held', { timeoutMs: 10_000, message: 'the guard to hold' });
      expect(sitesReport()?.reason).to.equal('below-min-instances');
      expect(readFileSync(nginx.sitesPath, 'utf8')).to.equal(before);
      expect(nginx.running()).to.equal(true);
      expect((await nginx.get(domain)).status).to.equal(200);
      expect(readFileSync(nginx.errorLog, 'utf8')).not.to.match(/\[emerg\]/);
    } finally {
      await register(webs[0]);
    }
    await waitFor(() => runner?.reports().every((r) => r.status === 'ok'), { timeoutMs: 10_000, message: 'the templates back to ok' });
  });

  it('all instances gone with the 503 fallback -> nginx answers 503 for the domain', async () => {
    await runner?.stop();
    runner = newRunner([sitesTemplate({ vars: { listen: `127.0.0.1:${nginx.port}`, domainPrefix: 'test.', siteTag: tag, fallback503: true, sites: [service] }, guard: { minInstances: 0 } })]);
    runner.start();
    await waitFor(async () => (await nginx.get(domain)).status === 200, { timeoutMs: 10_000, message: 'serving' });
    await deregister(webs[0]);
    try {
      const answer = await waitFor(async () => {
        const res = await nginx.get(domain);
        return res.status === 503 ? res : undefined;
      }, { timeoutMs: 10_000, message: 'the 503 server' });
      expect(answer.body).to.contain(`no healthy instance of ${service}`);
    } finally {
      await register(webs[0]);
    }
    await waitFor(async () => (await nginx.get(domain)).status === 200, { timeoutMs: 10_000, message: 'serving again' });
  });

  it('a burst of 100 changes inside the wait window -> one validation and one reload', async () => {
    await runner?.stop();
    runner = newRunner([sitesTemplate()], { wait: '1500ms:30s' });
    runner.start();
    await waitFor(() => runner?.reports()[0].status === 'ok', { timeoutMs: 10_000, message: 'first render' });
    const stats = { ...runner.stats };
    // nginx logs a reload a moment after the signal (and close SIGHUPs may merge): take the count once it is stable.
    const nginxReloads = await stableCount(() => nginx.reloads());
    // 100 registrations of another site (nothing listens on these ports: nginx -t does not care).
    const burst = `burst-${run}.example.com`;
    for (let i = 1; i <= 100; i++) await consul.agent.service.register({ name: burst, id: `${burst}-${i}`, address: '127.0.0.1', port: 40_000 + i, tags: [tag] });
    try {
      await waitFor(() => readFileSync(nginx.sitesPath, 'utf8').includes('127.0.0.1:40100 '), { timeoutMs: 20_000, message: 'the burst rendered' });
      await runner.whenIdle();
      expect(runner.stats.validations - stats.validations).to.equal(1);
      expect(runner.stats.reloads - stats.reloads).to.equal(1);
      expect(readFileSync(nginx.sitesPath, 'utf8').match(/server 127\.0\.0\.1:40\d\d\d /g)).to.have.length(100);
      await waitFor(() => nginx.reloads() > nginxReloads, { timeoutMs: 5000, message: 'nginx to log the reload' });
      expect(await stableCount(() => nginx.reloads())).to.equal(nginxReloads + 1);
    } finally {
      for (let i = 1; i <= 100; i++) await consul.agent.service.deregister(`${burst}-${i}`);
    }
  });

  it('Consul stopped while nginx serves -> nginx keeps serving; Consul back -> changes flow again', async function () {
    if (realConsul || !standin) this.skip(); // a real agent is not ours to stop
    await runner?.stop();
    runner = newRunner([sitesTemplate()]);
    runner.start();
    await waitFor(async () => sameSet(await backendsSeen(nginx, domain), [webs[0].name]), { timeoutMs: 10_000, message: 'serving web1' });
    const port = standin.port;
    // The first batch may still be finishing (journal, reload) after nginx serves its result: let it end first.
    await runner.whenIdle();
    const sites = readFileSync(nginx.sitesPath, 'utf8');
    await standin.stop();
    standin = undefined;
    await waitFor(() => runner?.health().consul === 'unreachable', { timeoutMs: 10_000, message: 'the renderer to notice' });
    for (let i = 0; i < 10; i++) expect((await nginx.get(domain)).status).to.equal(200);
    expect(readFileSync(nginx.sitesPath, 'utf8')).to.equal(sites);

    standin = await startConsulStandin({ port });
    // A restarted agent has lost its registrations: the guard holds while the catalog is empty...
    await waitFor(() => runner?.health().consul === 'reachable', { timeoutMs: 15_000, message: 'the renderer to reconnect' });
    await waitFor(() => runner?.reports()[0].status === 'held', { timeoutMs: 10_000, message: 'the guard to hold the empty catalog' });
    expect((await nginx.get(domain)).status).to.equal(200);
    // ...and the next registrations flow through.
    await register(webs[0]);
    await register(webs[1]);
    await waitFor(async () => sameSet(await backendsSeen(nginx, domain), [webs[0].name, webs[1].name]), { timeoutMs: 15_000, message: 'changes flowing again' });
  });
});

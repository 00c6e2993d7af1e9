// The runner's loop with an in-memory Consul (a query factory): dependency sharing, first-render rules,
// quiescence, guards; and Consul unreachable at start, with the stand-in.

import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient, consulSettingsFromEnv, createLogger, silentLogger, sleep, waitFor, type BlockingQuery } from '@consul-sidecars/core';
import { startConsulStandin } from '../../consul-standin/src';
import { resolveRendererConfig } from '../src/config';
import { dependencyKey, type Dependency, type DependencyData } from '../src/dependencies';
import { Runner } from '../src/runner';
import { freePort } from './nginx-harness';
import { instance } from './fixtures';
import { MemoryConsul } from './memory-consul';

const web: Dependency = { kind: 'health.service', service: 'web', status: 'passing' };

describe('renderer runner', function () {
  this.timeout(30_000);
  let dir: string;
  let runner: Runner | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'renderer-runner-'));
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const upstreams = '{% for i in service("web") %}server {{ i | hostPort }};\n{% endfor %}';

  function start(consul: MemoryConsul, templates: Record<string, unknown>[], extra: Record<string, unknown> = {}): Runner {
    const logger = process.env.RENDERER_TEST_LOG ? createLogger({ name: 'runner-test', level: 'debug' }) : silentLogger();
    runner = new Runner({ config: resolveRendererConfig({ templates, ...extra }, dir), query: consul.query, logger });
    runner.start();
    return runner;
  }

  it('a `pass` event per group pass says each template\'s result: written, unchanged (equal on disk), pending', async () => {
    const consul = new MemoryConsul();
    consul.set(web, [instance('a', 1)]);
    writeFileSync(join(dir, 'same.conf'), 'fixed\n');
    const passes: { group: string; templates: { destination: string; result: string }[] }[] = [];
    runner = new Runner({
      config: resolveRendererConfig({ templates: [
        { contents: upstreams, destination: 'web.conf' },
        { contents: 'fixed\n', destination: 'same.conf' },
        { contents: '{{ key("missing") }}', destination: 'wait.conf' },
      ] }, dir),
      query: consul.query,
      logger: silentLogger(),
    });
    runner.on('pass', (p) => passes.push(p));
    runner.start();
    const resultOf = (file: string) => passes.filter((p) => p.templates[0].destination === join(dir, file)).map((p) => p.templates[0].result);
    const writtenOf = (file: string) => resultOf(file).filter((r) => r === 'written').length;
    // The first pass of web.conf discovers its query (pending); the one after its answer writes.
    await waitFor(() => writtenOf('web.conf') === 1 && resultOf('same.conf').length > 0 && resultOf('wait.conf').length > 0, { timeoutMs: 5000, message: 'a pass of each group' });
    expect(resultOf('web.conf')).to.deep.equal(['pending', 'written']);
    expect(resultOf('same.conf')).to.deep.equal(['unchanged']);
    expect(resultOf('wait.conf').every((r) => r === 'pending')).to.equal(true);
    expect(passes.every((p) => p.templates.length === 1), 'each template is its own group').to.equal(true);
    consul.set(web, [instance('a', 1), instance('b', 2)]);
    await waitFor(() => writtenOf('web.conf') === 2, { timeoutMs: 5000, message: 'a second write of web.conf' });
  });

  it('identical queries from several templates share one watcher; unused watchers stop', async () => {
    const consul = new MemoryConsul();
    consul.set(web, [instance('a', 1)]);
    consul.set({ kind: 'kv.key', key: 'flag' }, { Key: 'flag', Value: 'on', Flags: 0 });
    const r = start(consul, [
      { contents: upstreams, destination: 'a.conf' },
      { contents: `{% if key("flag") == "on" %}{{ service("api") | length }}${upstreams}{% endif %}`, destination: 'b.conf', guard: { minInstances: 0 } },
    ]);
    await waitFor(() => existsSync(join(dir, 'a.conf')) && existsSync(join(dir, 'b.conf')), { timeoutMs: 5000, message: 'both rendered' });
    expect(r.pool.keys()).to.deep.equal(['health.service(api|passing)', 'health.service(web|passing)', 'kv.key(flag)']);
    consul.set({ kind: 'kv.key', key: 'flag' }, { Key: 'flag', Value: 'off', Flags: 0 });
    await waitFor(() => readFileSync(join(dir, 'b.conf'), 'utf8') === '', { timeoutMs: 5000, message: 'b.conf emptied' });
    // Nothing calls service("api") any more: its watcher is gone; a.conf still uses service("web").
    expect(r.pool.keys()).to.deep.equal(['health.service(web|passing)', 'kv.key(flag)']);
  });

  it('does not write until every dependency has answered (multi-phase discovery)', async () => {
    const consul = new MemoryConsul();
    const slow: BlockingQuery<DependencyData> = async ({ signal }) => {
      await sleep(400, signal);
      return { data: [instance('late', 9)], index: 5 };
    };
    runner = new Runner({
      config: resolveRendererConfig({ templates: [{ contents: '{{ service("web") | length }}/{{ service("api") | length }}', destination: 'x.conf', guard: { minInstances: 0 } }] }, dir),
      query: (dep) => (dep.kind === 'health.service' && dep.service === 'api' ? slow : consul.query(dep)),
    });
    consul.set(web, [instance('a', 1)]);
    runner.start();
    await waitFor(() => runner?.reports()[0].missing?.includes('health.service(api|passing)'), { timeoutMs: 5000, message: 'api reported missing' });
    expect(existsSync(join(dir, 'x.conf'))).to.equal(false);
    await waitFor(() => existsSync(join(dir, 'x.conf')), { timeoutMs: 5000, message: 'written once all answered' });
    expect(readFileSync(join(dir, 'x.conf'), 'utf8')).to.equal('1/1');
  });

  it('the first render ignores the wait; later changes wait for quiet', async () => {
    const consul = new MemoryConsul();
    consul.set(web, [instance('a', 1)]);
    const started = Date.now();
    // A quiet wait long enough that a loaded machine cannot blur "ignored" (well under it) and "waited" (at least it).
    const r = start(consul, [{ contents: upstreams, destination: 'w.conf' }], { wait: '2500ms:8s' });
    await waitFor(() => existsSync(join(dir, 'w.conf')), { timeoutMs: 5000, message: 'first render' });
    expect(Date.now() - started).to.be.below(2000);
    await r.whenIdle();
    const changedAt = Date.now();
    consul.set(web, [instance('a', 1), instance('b', 2)]);
    await waitFor(() => readFileSync(join(dir, 'w.conf'), 'utf8').includes(':2;'), { timeoutMs: 12_000, message: 'second render' });
    expect(Date.now() - changedAt).to.be.at.least(2400);
    await r.whenIdle();
    expect(r.stats.batches).to.equal(2);
  });

  it('same bytes as on disk: no write and no command', async () => {
    const consul = new MemoryConsul();
    consul.set(web, [instance('a', 1)]);
    writeFileSync(join(dir, 'same.conf'), 'server 127.0.0.1:1;\n');
    const r = start(consul, [{ contents: upstreams, destination: 'same.conf', reloadCommand: 'exit 1' }]);
    await waitFor(() => r.reports()[0].status === 'ok', { timeoutMs: 5000, message: 'settled' });
    expect(r.reports()[0].reason).to.equal('unchanged');
    expect(r.stats.batches).to.equal(0);
  });

  it('a sudden drop is held, then accepted once it persisted for dropHold', async () => {
    const consul = new MemoryConsul();
    consul.set(web, [1, 2, 3, 4].map((p) => instance(`i${p}`, p)));
    const r = start(consul, [{ contents: upstreams, destination: 'd.conf', guard: { maxDropFraction: 0.5, dropHold: '700ms' } }]);
    await waitFor(() => r.reports()[0].status === 'ok', { timeoutMs: 5000, message: 'first render' });
    consul.set(web, [instance('i1', 1)]);
    await waitFor(() => r.reports()[0].status === 'held', { timeoutMs: 5000, message: 'the drop held' });
    expect(r.reports()[0].reason).to.equal('sudden-drop');
    expect(readFileSync(join(dir, 'd.conf'), 'utf8').split('\n').filter(Boolean)).to.have.length(4);
    await waitFor(() => readFileSync(join(dir, 'd.conf'), 'utf8') === 'server 127.0.0.1:1;\n', { timeoutMs: 5000, message: 'the drop accepted' });
    // The report follows the file within the same batch: wait for it rather than race it.
    await waitFor(() => r.reports()[0].reason === 'drop-confirmed', { timeoutMs: 5000, message: 'reported as drop-confirmed' });
  });

  it('a drop that recovers before dropHold is never written', async () => {
    const consul = new MemoryConsul();
    const four = [1, 2, 3, 4].map((p) => instance(`i${p}`, p));
    consul.set(web, four);
    const r = start(consul, [{ contents: upstreams, destination: 'e.conf', guard: { maxDropFraction: 0.5, dropHold: '60s' } }]);
    await waitFor(() => r.reports()[0].status === 'ok', { timeoutMs: 5000, message: 'first render' });
    const batches = r.stats.batches;
    consul.set(web, []);
    await waitFor(() => r.reports()[0].status === 'held', { timeoutMs: 5000, message: 'held' });
    consul.set(web, four);
    await waitFor(() => r.reports()[0].status === 'ok', { timeoutMs: 5000, message: 'back' });
    expect(r.stats.batches).to.equal(batches);
  });

  it('a render error keeps the last good file and reports it', async () => {
    const consul = new MemoryConsul();
    consul.set({ kind: 'catalog.services' }, [{ Name: 'web', Tags: [] }]);
    consul.set({ kind: 'kv.key', key: 'svc' }, { Key: 'svc', Value: 'web', Flags: 0 });
    consul.set(web, [instance('a', 1)]);
    writeFileSync(join(dir, 'r.conf'), 'last good\n');
    const r = start(consul, [{ contents: '{{ service(key("svc")) | length }}', destination: 'r.conf' }]);
    await waitFor(() => readFileSync(join(dir, 'r.conf'), 'utf8') === '1', { timeoutMs: 5000, message: `rendered: ${JSON.stringify(r.reports())}` });
    consul.set({ kind: 'kv.key', key: 'svc' }, { Key: 'svc', Value: 'evil name; }', Flags: 0 });
    await waitFor(() => r.reports()[0].status === 'error', { timeoutMs: 5000, message: 'the error reported' });
    expect(r.reports()[0].reason).to.match(/not a usable service name/);
    expect(readFileSync(join(dir, 'r.conf'), 'utf8')).to.equal('1');
    expect(r.health().ok).to.equal(false);
    consul.set({ kind: 'kv.key', key: 'svc' }, { Key: 'svc', Value: 'web', Flags: 0 });
    await waitFor(() => r.reports()[0].status === 'ok', { timeoutMs: 5000, message: 'recovered once the value is fixed' });
  });

  it('@integration Consul unreachable at start: files stay, nothing new is written, it retries until Consul answers', async () => {
    const port = await freePort();
    const dest = join(dir, 'u.conf');
    writeFileSync(dest, 'kept\n');
    const address = `127.0.0.1:${port}`;
    runner = new Runner({
      config: resolveRendererConfig({ consul: { address, retryMax: '300ms' }, templates: [{ contents: '{{ keyOrDefault("renderer-u/x", "dflt") }}\n', destination: dest }] }, dir),
      consul: new ConsulHttpClient(consulSettingsFromEnv({}, address)),
    });
    runner.start();
    await waitFor(() => runner?.health().consul === 'unreachable', { timeoutMs: 5000, message: 'unreachable reported' });
    expect(runner.reports()[0].status).to.equal('pending');
    expect(readFileSync(dest, 'utf8')).to.equal('kept\n');
    const standin = await startConsulStandin({ port });
    try {
      await waitFor(() => readFileSync(dest, 'utf8') === 'dflt\n', { timeoutMs: 10_000, message: 'rendered once Consul is up' });
      expect(runner.health()).to.include({ ok: true, consul: 'reachable' });
    } finally {
      await runner.stop();
      runner = undefined;
      await standin.stop();
    }
  });
});

// consul-template's error_fatal in the runner: a template that fails with all its data there stops the runner and
// writes nothing (errorFatal); without it the last good file stays and the watch goes on until the data is fixed.

import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, waitFor } from '@consul-sidecars/core';
import { resolveRendererConfig } from '../src/config';
import type { Dependency, KvPair } from '../src/dependencies';
import { Runner, type RunnerFatal } from '../src/runner';
import { MemoryConsul } from './memory-consul';

const port: Dependency = { kind: 'kv.key', key: 'app/port' };
const pair = (value: string): KvPair => ({ Key: 'app/port', Value: value, Flags: 0 });
/** parseInt of a KV value: "abc" is Go's execution error, `error calling parseInt`. */
const TEMPLATE = 'port = {{ key "app/port" | parseInt }}\n';

describe('renderer runner: errorFatal (consul-template\'s error_fatal)', function () {
  this.timeout(20_000);
  let dir: string;
  let runner: Runner | undefined;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'renderer-fatal-'))));
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  function start(consul: MemoryConsul, errorFatal: boolean): Runner {
    const config = resolveRendererConfig({ templates: [
      { contents: TEMPLATE, destination: 'app.conf', engine: 'go', errorFatal },
      { contents: 'fixed\n', destination: 'other.conf' },
    ] }, dir);
    runner = new Runner({ config, query: consul.query, logger: silentLogger() });
    return runner;
  }

  it('errorFatal: the `fatal` event names the template and its error, nothing of the pass is written, no pass follows', async () => {
    const consul = new MemoryConsul();
    consul.set(port, pair('abc'));
    const r = start(consul, true);
    const fatals: RunnerFatal[] = [];
    r.on('fatal', (f) => fatals.push(f));
    r.start();
    await waitFor(() => fatals.length === 1, { timeoutMs: 5000, message: 'fatal event' });
    expect(fatals[0]).to.deep.include({ destination: join(dir, 'app.conf'), template: `inline:${join(dir, 'app.conf')}` });
    expect(fatals[0].message).to.include(`template inline:${join(dir, 'app.conf')}`).and.to.include('parseInt');
    expect(r.fatal).to.deep.equal(fatals[0]);
    expect(existsSync(join(dir, 'app.conf'))).to.equal(false);
    // A later change renders nothing: the runner is done.
    const renders = r.stats.renders;
    consul.set(port, pair('8080'));
    await r.whenIdle();
    expect(r.stats.renders).to.equal(renders);
    expect(existsSync(join(dir, 'app.conf'))).to.equal(false);
    expect(fatals).to.have.length(1);
  });

  it('errorFatal with data still missing is not fatal (the error is the placeholder values meeting the template)', async () => {
    const consul = new MemoryConsul();
    const r = start(consul, true);
    const fatals: RunnerFatal[] = [];
    r.on('fatal', (f) => fatals.push(f));
    r.start();
    // The first pass meets no data (parseInt of ""), the next an absent key (key blocks): both pending, not fatal.
    await waitFor(() => consul.queried.length > 0, { timeoutMs: 5000, message: 'the key queried' });
    await r.whenIdle();
    expect(r.reports()[0].status).to.equal('pending');
    consul.set(port, pair('8080'));
    await waitFor(() => existsSync(join(dir, 'app.conf')), { timeoutMs: 5000, message: 'rendered once the key exists' });
    expect(readFileSync(join(dir, 'app.conf'), 'utf8')).to.equal('port = 8080\n');
    expect(fatals).to.deep.equal([]);
  });

  it('without errorFatal: the error is reported, the last good file stays, and a fixed value renders again', async () => {
    const consul = new MemoryConsul();
    consul.set(port, pair('8080'));
    const r = start(consul, false);
    const fatals: RunnerFatal[] = [];
    r.on('fatal', (f) => fatals.push(f));
    r.start();
    const file = join(dir, 'app.conf');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8') === 'port = 8080\n', { timeoutMs: 5000, message: 'first render' });
    consul.set(port, pair('abc'));
    await waitFor(() => r.reports()[0].status === 'error', { timeoutMs: 5000, message: 'the error reported' });
    expect(r.reports()[0].reason).to.include('parseInt');
    expect(readFileSync(file, 'utf8')).to.equal('port = 8080\n');
    consul.set(port, pair('9090'));
    await waitFor(() => readFileSync(file, 'utf8') === 'port = 9090\n', { timeoutMs: 5000, message: 'rendered again once fixed' });
    expect(fatals).to.deep.equal([]);
    expect(r.fatal).to.equal(undefined);
  });
});

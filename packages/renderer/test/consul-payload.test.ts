// A malformed Consul answer (core's strict reader: ERR_CONSUL_PAYLOAD) is the template's error, named in its report;
// the last good file stays, and a good answer afterwards renders and clears it. Against a scripted Consul endpoint
// whose /v1/health/service/web answer the test swaps, waking blocked queries as Consul does.

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient, waitFor } from '@consul-sidecars/core';
import { resolveRendererConfig } from '../src/config';
import { Runner } from '../src/runner';
import { ScriptedConsul } from './scripted-consul';

const entry = (port: unknown) => ({ Node: { Node: 'n1', Address: '127.0.0.1' }, Service: { ID: 'web-1', Service: 'web', Address: '127.0.0.1', Port: port, Tags: [], Meta: {} }, Checks: [] });

/** /v1/health/service/web answering `body`; `set` changes it and wakes the blocked queries, as a Consul write does. */
class SwappableConsul extends ScriptedConsul {
  private index = 5;
  private body: unknown = [entry(8001)];

  constructor() {
    super((url) => (url.pathname !== '/v1/health/service/web' ? { status: 404, index: this.index, body: null }
      : Number(url.searchParams.get('index') ?? 0) >= this.index ? 'park' : { index: this.index, body: this.body }));
  }

  set(body: unknown): void {
    this.body = body;
    this.index++;
    this.wake();
  }
}

describe('renderer: a malformed Consul answer', function () {
  this.timeout(20_000);
  let consul: SwappableConsul;
  let client: ConsulHttpClient;
  let runner: Runner | undefined;
  let dir: string;

  beforeEach(async () => {
    consul = new SwappableConsul();
    client = new ConsulHttpClient({ scheme: 'http', host: '127.0.0.1', port: await consul.start(), verifyTls: true });
    dir = mkdtempSync(join(tmpdir(), 'renderer-payload-'));
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    client.close();
    await consul.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is reported on the template with core\'s code; the last good file stays; a good answer clears it', async () => {
    const destination = join(dir, 'out.conf');
    const config = resolveRendererConfig({ templates: [{ contents: '{% for i in service("web") %}{{ i.Port }}{% endfor %}\n', destination }] }, dir);
    runner = new Runner({ config, consul: client, backoff: { baseMs: 20, maxMs: 100 } });
    runner.start();
    await waitFor(() => runner?.reports()[0].status === 'ok', { timeoutMs: 5000, message: 'first render' });
    expect(readFileSync(destination, 'utf8')).to.equal('8001');

    consul.set([entry('8002')]); // a port as a string: the old reader dropped the instance, core's rejects the answer
    const report = await waitFor(() => {
      const r = runner?.reports()[0];
      return r?.status === 'error' ? r : undefined;
    }, { timeoutMs: 5000, message: 'the payload error reported' });
    expect(report).to.include({ reason: 'consul-payload', code: 'ERR_CONSUL_PAYLOAD' });
    expect(report.detail).to.match(/health\.service\(web\|passing\): .*Port/);
    expect(readFileSync(destination, 'utf8')).to.equal('8001');
    expect(runner.health().ok).to.equal(false);

    consul.set([entry(8003)]);
    await waitFor(() => runner?.reports()[0].status === 'ok', { timeoutMs: 5000, message: 'recovered' });
    expect(readFileSync(destination, 'utf8')).to.equal('8003');
    expect(runner.reports()[0].code).to.equal(undefined);
  });

  it('a good answer with the same data as before the error also clears the report', async () => {
    const destination = join(dir, 'same.conf');
    writeFileSync(destination, 'stale\n');
    const config = resolveRendererConfig({ templates: [{ contents: '{{ service("web") | length }}\n', destination }] }, dir);
    runner = new Runner({ config, consul: client, backoff: { baseMs: 20, maxMs: 100 } });
    runner.start();
    await waitFor(() => readFileSync(destination, 'utf8') === '1\n', { timeoutMs: 5000, message: 'first render' });
    consul.set({ not: 'a list' });
    await waitFor(() => runner?.reports()[0].status === 'error', { timeoutMs: 5000, message: 'the payload error reported' });
    consul.set([entry(8001)]);
    await waitFor(() => runner?.reports()[0].status === 'ok', { timeoutMs: 5000, message: 'cleared with unchanged data' });
    expect(readFileSync(destination, 'utf8')).to.equal('1\n');
  });
});

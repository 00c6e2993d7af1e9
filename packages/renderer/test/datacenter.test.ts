// service() across datacenters (issue #17): the `@dc` suffix and the `dc` option both reach Consul as `?dc=`, and
// web@dc1 / web@dc2 are two watches. Against a scripted Consul endpoint that records each request's query string.

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient } from '@consul-sidecars/core';
import { resolveRendererConfig } from '../src/config';
import { Runner } from '../src/runner';
import { ScriptedConsul } from './scripted-consul';

/** /v1/health/service/web: one instance whose port tells the datacenter asked for; blocking re-queries are parked. */
function datacenterConsul(): ScriptedConsul {
  return new ScriptedConsul((url) => {
    if (url.searchParams.has('index')) return 'park';
    const dc = url.searchParams.get('dc') ?? 'local';
    const port = { local: 8000, dc1: 8001, dc2: 8002 }[dc] ?? 8999;
    return { index: 5, body: [{ Node: { Node: `n-${dc}`, Address: '127.0.0.1' }, Service: { ID: `web-${dc}`, Service: 'web', Address: '127.0.0.1', Port: port, Tags: [], Meta: {} }, Checks: [] }] };
  });
}

/** The dc and passing parameters of the health reads, e.g. "dc=dc2 passing" (`?passing` and `?passing=true` alike). */
function healthQueries(consul: ScriptedConsul): string[] {
  return consul.requests.filter((u) => u.pathname === '/v1/health/service/web' && !u.searchParams.has('index')).map((u) => {
    const dc = u.searchParams.get('dc');
    return [dc === null ? '' : `dc=${dc}`, u.searchParams.has('passing') ? 'passing' : ''].filter(Boolean).join(' ');
  });
}

describe('renderer service() across datacenters', function () {
  this.timeout(20_000);
  let consul: ScriptedConsul;
  let dir: string;
  let port: number;

  beforeEach(async () => {
    consul = datacenterConsul();
    port = await consul.start();
    dir = mkdtempSync(join(tmpdir(), 'renderer-dc-'));
  });
  afterEach(async () => {
    await consul.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function renderOnce(contents: string) {
    const destination = join(dir, 'out.conf');
    const config = resolveRendererConfig({ once: true, onceTimeout: '5s', templates: [{ contents, destination }] }, dir);
    const client = new ConsulHttpClient({ scheme: 'http', host: '127.0.0.1', port, verifyTls: true });
    const runner = new Runner({ config, consul: client });
    const report = await runner.runOnce();
    client.close();
    return { report: report.templates[0], output: report.ok ? readFileSync(destination, 'utf8') : undefined };
  }

  it('the dc option is sent as ?dc= and renders that datacenter\'s instances', async () => {
    const { report, output } = await renderOnce('{% for i in service("web", {dc: "dc2"}) %}{{ i.Port }}{% endfor %}\n');
    expect(report.status, JSON.stringify(report)).to.equal('ok');
    expect(output).to.equal('8002'); // trimBlocks eats the newline after endfor
    expect(healthQueries(consul)).to.deep.equal(['dc=dc2 passing']);
  });

  it('the @dc suffix is sent as ?dc=, and web@dc1 and web@dc2 are two watches', async () => {
    const { report, output } = await renderOnce('{{ service("web@dc1")[0].Port }} {{ service("web@dc2")[0].Port }} {{ service("web")[0].Port }}\n');
    expect(report.status, JSON.stringify(report)).to.equal('ok');
    expect(output).to.equal('8001 8002 8000\n');
    expect(healthQueries(consul).sort()).to.deep.equal(['dc=dc1 passing', 'dc=dc2 passing', 'passing']);
  });

  it('the suffix and the option name the same watch', async () => {
    const { report, output } = await renderOnce('{{ service("web@dc2")[0].Port }} {{ service("web", {dc: "dc2"})[0].Port }}\n');
    expect(report.status, JSON.stringify(report)).to.equal('ok');
    expect(output).to.equal('8002 8002\n');
    expect(healthQueries(consul)).to.deep.equal(['dc=dc2 passing']);
  });

  it('an unknown option is a render error naming it; nothing is read from Consul for it', async () => {
    const { report } = await renderOnce('{{ service("web", {datacenter: "dc2"}) | length }}\n');
    expect(report.status).to.equal('error');
    expect(report.reason).to.match(/unknown option "datacenter"/);
  });

  it('two different datacenters for one call are an error', async () => {
    const { report } = await renderOnce('{{ service("web@dc1", {dc: "dc2"}) | length }}\n');
    expect(report.status).to.equal('error');
    expect(report.reason).to.match(/datacenter given twice/);
  });
});

// service() across datacenters (issue #17): the `@dc` suffix and the `dc` option both reach Consul as `?dc=`, and
// web@dc1 / web@dc2 are two watches. Against a scripted Consul endpoint that records each request's query string.

import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient } from '@consul-sidecars/core';
import { resolveRendererConfig } from '../src/config';
import { Runner } from '../src/runner';

/** Answers /v1/health/service/<name> with one instance whose port tells the datacenter; parks blocking re-queries. */
class ScriptedConsul {
  readonly requests: URL[] = [];
  private readonly parked: ServerResponse[] = [];
  private server?: Server;

  async start(): Promise<number> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://consul');
      this.requests.push(url);
      if (url.searchParams.has('index')) {
        this.parked.push(res);
        return;
      }
      const dc = url.searchParams.get('dc') ?? 'local';
      const port = { local: 8000, dc1: 8001, dc2: 8002 }[dc] ?? 8999;
      const body = [{ Node: { Node: `n-${dc}`, Address: '127.0.0.1' }, Service: { ID: `web-${dc}`, Service: 'web', Address: '127.0.0.1', Port: port, Tags: [], Meta: {} }, Checks: [] }];
      res.writeHead(200, { 'content-type': 'application/json', 'x-consul-index': '5' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server?.address() as AddressInfo).port;
  }

  /** The dc and passing parameters of the health reads, e.g. "dc=dc2 passing" (`?passing` and `?passing=true` alike). */
  healthQueries(): string[] {
    return this.requests.filter((u) => u.pathname === '/v1/health/service/web' && !u.searchParams.has('index')).map((u) => {
      const dc = u.searchParams.get('dc');
      return [dc === null ? '' : `dc=${dc}`, u.searchParams.has('passing') ? 'passing' : ''].filter(Boolean).join(' ');
    });
  }

  async stop(): Promise<void> {
    for (const res of this.parked.splice(0)) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('renderer service() across datacenters', function () {
  this.timeout(20_000);
  let consul: ScriptedConsul;
  let dir: string;
  let port: number;

  beforeEach(async () => {
    consul = new ScriptedConsul();
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
    expect(consul.healthQueries()).to.deep.equal(['dc=dc2 passing']);
  });

  it('the @dc suffix is sent as ?dc=, and web@dc1 and web@dc2 are two watches', async () => {
    const { report, output } = await renderOnce('{{ service("web@dc1")[0].Port }} {{ service("web@dc2")[0].Port }} {{ service("web")[0].Port }}\n');
    expect(report.status, JSON.stringify(report)).to.equal('ok');
    expect(output).to.equal('8001 8002 8000\n');
    expect(consul.healthQueries().sort()).to.deep.equal(['dc=dc1 passing', 'dc=dc2 passing', 'passing']);
  });

  it('the suffix and the option name the same watch', async () => {
    const { report, output } = await renderOnce('{{ service("web@dc2")[0].Port }} {{ service("web", {dc: "dc2"})[0].Port }}\n');
    expect(report.status, JSON.stringify(report)).to.equal('ok');
    expect(output).to.equal('8002 8002\n');
    expect(consul.healthQueries()).to.deep.equal(['dc=dc2 passing']);
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

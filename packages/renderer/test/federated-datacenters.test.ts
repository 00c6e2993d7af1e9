// Every query kind across datacenters (issue #17), against two federated Consul stand-ins: nunjucks' services(),
// nodes(), key(), tree(), service("x@dc") and Go's `@dc` are answered through `?dc=` by the other datacenter's
// server; a datacenter Consul has no path to is the template's error naming it, and the last good file stays.

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient } from '@consul-sidecars/core';
import { startConsulServer, type ConsulServer } from '../../consul-standin/src';
import { resolveRendererConfig, type RawTemplate } from '../src/config';
import { Runner } from '../src/runner';
import { standinPut } from './standin-put';

/** A node with one passing `web` instance, registered through the catalog of `server`'s datacenter. */
async function registerWeb(server: ConsulServer, node: string, address: string, port: number): Promise<void> {
  await standinPut(server.url, '/v1/catalog/register', {
    Node: node, Address: address,
    Service: { ID: `web-${node}`, Service: 'web', Port: port, Tags: ['http'] },
    Check: { CheckID: `web-${node}`, Name: 'web', Status: 'passing', ServiceID: `web-${node}` },
  });
}

describe('renderer: every query kind across federated datacenters (stand-in)', function () {
  this.timeout(30_000);
  let dc1: ConsulServer;
  let dc2: ConsulServer;
  let dir: string;

  before(async () => {
    dc1 = await startConsulServer({ datacenter: 'dc1', node: 'server-dc1' });
    dc2 = await startConsulServer({ datacenter: 'dc2', node: 'server-dc2' });
    dc1.federate('dc2', dc2.address);
    dc2.federate('dc1', dc1.address);
    await registerWeb(dc1, 'n1', '10.1.0.1', 8001);
    await registerWeb(dc2, 'n2', '10.2.0.1', 8002);
    await standinPut(dc1.url, '/v1/kv/app/color', 'blue');
    await standinPut(dc2.url, '/v1/kv/app/color', 'green');
    await standinPut(dc2.url, '/v1/kv/app/size', 'xl');
  });
  after(async () => {
    await dc1?.stop();
    await dc2?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'renderer-federated-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** One --once run against dc1's server: the report, and the file (whatever is on disk afterwards). */
  async function renderOnce(template: Omit<RawTemplate, 'destination'>, before?: string) {
    const destination = join(dir, 'out.conf');
    if (before !== undefined) writeFileSync(destination, before);
    const config = resolveRendererConfig({ once: true, onceTimeout: '10s', templates: [{ ...template, destination }] }, dir);
    const client = new ConsulHttpClient({ scheme: 'http', host: '127.0.0.1', port: dc1.port, verifyTls: true });
    const runner = new Runner({ config, consul: client });
    const healthAtError: ReturnType<Runner['health']>[] = [];
    runner.on('template', (r) => {
      if (r.status === 'error') healthAtError.push(runner.health());
    });
    try {
      const report = await runner.runOnce();
      let output: string | undefined;
      try {
        output = readFileSync(destination, 'utf8');
      } catch {
        output = undefined;
      }
      return { report: report.templates[0], output, healthAtError };
    } finally {
      client.close();
    }
  }

  it('nunjucks: services, nodes, key, tree and service take a datacenter; the local one stays the default', async () => {
    const { report, output } = await renderOnce({
      contents: [
        '{% for s in services({dc: "dc2"}) %}{{ s.Name }} {% endfor %}',
        '{% for n in nodes({dc: "dc2"}) %}{{ n.Node }} {% endfor %}',
        '{{ key("app/color", {dc: "dc2"}) }} {{ key("app/color") }} {{ keyOrDefault("app/none", "-", {dc: "dc2"}) }} {{ keyExists("app/size", {dc: "dc2"}) }}',
        '{% for p in tree("app", {dc: "dc2"}) %}{{ p.Key }}={{ p.Value }} {% endfor %}',
        '{% for i in service("web@dc2") %}{{ i.Address }}:{{ i.Port }}{% endfor %} {% for i in service("web") %}{{ i.Address }}:{{ i.Port }}{% endfor %}',
      ].join('\n') + '\n',
    });
    expect(report.status, JSON.stringify(report)).to.equal('ok');
    // trimBlocks: the newline after a line's closing `{% endfor %}` goes with it.
    expect(output).to.equal('consul web n2 server-dc2 green blue - true\ncolor=green size=xl 10.2.0.1:8002 10.1.0.1:8001');
  });

  it('Go: @dc on service, services, nodes, node, key, keyOrDefault and tree', async () => {
    const { report, output } = await renderOnce({
      engine: 'go',
      contents: [
        '{{ range services "@dc2" }}{{ .Name }} {{ end }}',
        '{{ range nodes "@dc2" }}{{ .Node }} {{ end }}{{ with node "n2@dc2" }}{{ .Node.Address }} {{ range .Services }}{{ .Service }}:{{ .Port }}{{ end }}{{ end }}',
        '{{ key "app/color@dc2" }} {{ key "app/color" }} {{ keyOrDefault "app/none@dc2" "-" }}',
        '{{ range tree "app@dc2" }}{{ .Key }}={{ .Value }} {{ end }}',
        '{{ range service "web@dc2" }}{{ .Address }}:{{ .Port }} {{ .NodeAddress }} {{ .Tags }}{{ end }} {{ range service "web" }}{{ .Address }}:{{ .Port }}{{ end }}',
        '{{ range datacenters }}{{ . }} {{ end }}',
      ].join('\n') + '\n',
    });
    expect(report.status, JSON.stringify(report)).to.equal('ok');
    expect(output).to.equal('consul web \nn2 server-dc2 10.2.0.1 web:8002\ngreen blue -\ncolor=green size=xl \n10.2.0.1:8002 10.2.0.1 [http] 10.1.0.1:8001\ndc1 dc2 \n');
  });

  for (const [engine, contents] of [
    ['nunjucks', '{% for i in service("web@dc9") %}{{ i.Port }}{% endfor %}\n'],
    ['go', '{{ range service "web@dc9" }}{{ .Port }}{{ end }}\n'],
  ] as const) {
    it(`${engine}: an unknown datacenter is the template's error naming it; the last good file stays`, async () => {
      const { report, output, healthAtError } = await renderOnce({ engine, contents }, 'last good\n');
      expect(report.status, JSON.stringify(report)).to.equal('error');
      expect(report.reason).to.equal('unknown-datacenter');
      expect(report.code).to.equal('ERR_UNKNOWN_DATACENTER');
      expect(report.detail).to.match(/datacenter "dc9" is unknown to Consul \(No path to datacenter\)/);
      expect(output).to.equal('last good\n');
      // Consul answered (it knows no such datacenter): /health says the template failed, not that Consul is away.
      expect(healthAtError.map((h) => [h.ok, h.consul])).to.deep.include([false, 'reachable']);
    });
  }
});

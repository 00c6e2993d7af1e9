// The Go engine wired into the renderer (issue #17 item 1): chosen by extension or the `engine` key, its options per
// template, its data read through the same watchers as nunjucks (one watch per query), consul-template's values
// (no safety filter; nunjucks keeps its), and the act steps unchanged: validate before swap, guards, groups.

import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsulHttpClient, waitFor } from '@consul-sidecars/core';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';
import { resolveRendererConfig, type RawTemplate } from '../src/config';
import { Runner } from '../src/runner';
import { standinPut } from './standin-put';

describe('renderer: Go templates', function () {
  this.timeout(30_000);

  describe('choosing the engine (config)', () => {
    const engineOf = (t: Partial<RawTemplate>) => resolveRendererConfig({ templates: [{ destination: '/tmp/x', contents: '', ...t }] }).templates[0];

    it('by extension: .ctmpl, .tpl, .tmpl are Go, anything else nunjucks', () => {
      for (const source of ['/t/a.ctmpl', '/t/a.tpl', '/t/a.tmpl']) expect(engineOf({ contents: undefined, source }).engine, source).to.equal('go');
      for (const source of ['/t/a.njk', '/t/a.conf', '/t/ctmpl']) expect(engineOf({ contents: undefined, source }).engine, source).to.equal('nunjucks');
      expect(engineOf({}).engine, 'inline contents').to.equal('nunjucks');
    });

    it('the engine key wins over the extension', () => {
      expect(engineOf({ contents: undefined, source: '/t/a.ctmpl', engine: 'nunjucks' }).engine).to.equal('nunjucks');
      expect(engineOf({ engine: 'go' }).engine).to.equal('go');
    });

    it('delimiters and error_on_missing_key per template; an unknown engine names the field', () => {
      expect(engineOf({ engine: 'go', leftDelimiter: '[[', rightDelimiter: ']]', errorOnMissingKey: true })).to.deep.include({ leftDelimiter: '[[', rightDelimiter: ']]', errorOnMissingKey: true });
      expect(() => resolveRendererConfig({ templates: [{ destination: '/tmp/x', contents: '', engine: 'jinja' }] })).to.throw(/engine/);
    });

    it('Go-only keys on a nunjucks template are an error naming the key', () => {
      expect(() => engineOf({ leftDelimiter: '[[' })).to.throw(/templates\.0\.leftDelimiter: only Go templates take it/);
    });
  });

  describe('against the stand-in', () => {
    let consul: ConsulStandin;
    let client: ConsulHttpClient;
    let dir: string;
    let runner: Runner | undefined;

    before(async () => {
      consul = await startConsulStandin();
      client = new ConsulHttpClient({ scheme: 'http', host: '127.0.0.1', port: consul.port, verifyTls: true });
      for (const [node, address, tags] of [['n1', '10.0.0.1', ['b', 'a', 'bad tag']], ['n2', '10.0.0.2', []]] as const) {
        await standinPut(consul.url, '/v1/catalog/register', {
          Node: node, Address: address, TaggedAddresses: { lan: address, wan: '198.18.0.9' },
          Service: { ID: `web-${node}`, Service: 'web', Port: 80, Tags: tags, TaggedAddresses: { wan: { Address: '198.18.0.9', Port: 8080 } } },
          Check: { CheckID: `web-${node}`, Name: 'web', Status: 'passing', ServiceID: `web-${node}`, Output: 'ok' },
        });
      }
      await standinPut(consul.url, '/v1/kv/app/a', '1');
      await standinPut(consul.url, '/v1/kv/app/b/c', '2');
      await standinPut(consul.url, '/v1/kv/apple', 'not in app/');
    });
    after(async () => {
      client?.close();
      await consul?.stop();
    });
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'renderer-go-'));
    });
    afterEach(async () => {
      await runner?.stop();
      runner = undefined;
      rmSync(dir, { recursive: true, force: true });
    });

    async function once(templates: (Omit<RawTemplate, 'destination'> & { name: string })[]) {
      const config = resolveRendererConfig({ once: true, onceTimeout: '10s', templates: templates.map(({ name, ...t }) => ({ ...t, destination: join(dir, name) })) }, dir);
      runner = new Runner({ config, consul: client });
      const watchers = new Set<number>();
      runner.on('template', () => watchers.add(runner?.pool.size ?? 0));
      const report = await runner.runOnce();
      const read = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined);
      return { report, read, maxWatchers: Math.max(...watchers) };
    }

    it('a Go and a nunjucks template asking the same thing share one watch per query', async () => {
      const { report, read, maxWatchers } = await once([
        { name: 'go.conf', engine: 'go', contents: '{{ range service "web" }}{{ .Node }} {{ end }}{{ range tree "app/" }}{{ .Key }} {{ end }}' },
        { name: 'njk.conf', contents: '{% for i in service("web") %}{{ i.Node }} {% endfor %}{% for p in tree("app") %}{{ p.Key }} {% endfor %}' },
      ]);
      expect(report.ok, JSON.stringify(report)).to.equal(true);
      expect(read('go.conf')).to.equal('n1 n2 a b/c ');
      expect(read('njk.conf')).to.equal('n1 n2 a b/c ');
      expect(maxWatchers, 'health.service(web|passing) and kv.prefix(app/)').to.equal(2);
    });

    it('Go sees consul-template\'s values: every tag (sorted), NodeID, tagged addresses, check fields; nunjucks drops the unsafe tag', async () => {
      const { report, read } = await once([
        {
          name: 'go.conf', engine: 'go',
          contents: '{{ range service "web" }}{{ .Node }} {{ .Tags }} {{ .NodeTaggedAddresses.wan }} {{ .ServiceTaggedAddresses.wan.Address }}:{{ .ServiceTaggedAddresses.wan.Port }}'
            + ' {{ range .Checks }}{{ .CheckID }}={{ .Status }}/{{ .Output }}/{{ .ServiceName }};{{ end }} {{ if .NodeID }}id{{ else }}no-id{{ end }}\n{{ end }}',
        },
        { name: 'njk.conf', contents: '{% for i in service("web") %}{{ i.Node }} {{ i.Tags | join(",") }}\n{% endfor %}' },
      ]);
      expect(report.ok, JSON.stringify(report)).to.equal(true);
      expect(read('go.conf')).to.equal('n1 [a b bad tag] 198.18.0.9 198.18.0.9:8080 web-n1=passing/ok/web; no-id\nn2 [] 198.18.0.9 198.18.0.9:8080 web-n2=passing/ok/web; no-id\n');
      expect(read('njk.conf')).to.equal('n1 b,a\nn2 \n');
      const rejected = await runner?.metrics.rejectedValues.get();
      expect(rejected?.values.find((v) => v.labels.what === 'tag')?.value, 'the dropped tag is counted once').to.equal(1);
    });

    it('SIGHUP re-reads a Go template; one that no longer parses keeps the previous version', async () => {
      const source = join(dir, 'web.ctmpl');
      writeFileSync(source, '{{ range service "web" }}{{ .Node }} {{ end }}');
      const config = resolveRendererConfig({ templates: [{ source, destination: join(dir, 'out.conf') }] }, dir);
      expect(config.templates[0].engine).to.equal('go');
      runner = new Runner({ config, consul: client });
      runner.start();
      await waitFor(() => existsSync(join(dir, 'out.conf')) && readFileSync(join(dir, 'out.conf'), 'utf8') === 'n1 n2 ', { timeoutMs: 10_000, message: 'first render' });
      writeFileSync(source, '{{ range service "web" }}{{ .Address }} {{ end');
      runner.reloadTemplates();
      await runner.whenIdle();
      expect(runner.reports()[0].status, 'rendered with the previous version').to.equal('ok');
      expect(readFileSync(join(dir, 'out.conf'), 'utf8')).to.equal('n1 n2 ');
      writeFileSync(source, '{{ range service "web" }}{{ .Address }} {{ end }}');
      runner.reloadTemplates();
      await waitFor(() => readFileSync(join(dir, 'out.conf'), 'utf8') === '10.0.0.1 10.0.0.2 ', { timeoutMs: 10_000, message: 'the re-read template rendered' });
    });

    it('ls and tree list the prefix as written, in Consul\'s key order (consul-template): "app" also lists "apple"', async () => {
      const { report, read } = await once([{ name: 'go.conf', engine: 'go', contents: '{{ range tree "app" }}{{ .Key }}={{ .Value }};{{ end }}|{{ range ls "app" }}{{ .Key }};{{ end }}' }]);
      expect(report.ok, JSON.stringify(report)).to.equal(true);
      expect(read('go.conf')).to.equal('a=1;b/c=2;le=not in app/;|a;le;');
    });

    it('custom delimiters, error_on_missing_key and function_denylist come from the template\'s config', async () => {
      const { report, read } = await once([
        { name: 'delims.conf', engine: 'go', leftDelimiter: '[[', rightDelimiter: ']]', contents: '[[ key "app/a" ]] {{ kept }}' },
        { name: 'strict.conf', engine: 'go', errorOnMissingKey: true, contents: '{{ range service "web" }}{{ .ServiceMeta.version }}{{ end }}' },
        { name: 'denied.conf', engine: 'go', functionDenylist: ['env*'], contents: '{{ env "HOME" }}' },
      ]);
      expect(read('delims.conf')).to.equal('1 {{ kept }}');
      const denied = report.templates.find((t) => t.destination.endsWith('denied.conf'));
      expect(denied?.reason).to.match(/error calling env: function is disabled/);
      const strict = report.templates.find((t) => t.destination.endsWith('strict.conf'));
      expect(strict?.status).to.equal('error');
      expect(strict?.reason).to.match(/map has no entry for key "version"/);
      expect(read('strict.conf')).to.equal(undefined);
    });

    it('a misspelt field is Go\'s error, nothing is written', async () => {
      const { report, read } = await once([{ name: 'go.conf', engine: 'go', contents: '{{ range service "web" }}server {{ .Adress }}:{{ .Port }}{{ end }}' }]);
      expect(report.templates[0].status).to.equal('error');
      expect(report.templates[0].reason).to.equal(`template inline:${join(dir, 'go.conf')}: template: :1:35: executing "" at <.Adress>: can't evaluate field Adress in type *dependency.HealthService`);
      expect(read('go.conf')).to.equal(undefined);
    });

    it('validate before swap: a candidate the command rejects never goes live', async () => {
      writeFileSync(join(dir, 'go.conf'), 'last good\n');
      const { report, read } = await once([{ name: 'go.conf', engine: 'go', contents: '{{ range service "web" }}{{ .Node }} {{ end }}', validateCommand: 'grep -q never {{candidate}}' }]);
      expect(report.templates[0]).to.deep.include({ status: 'failed', reason: 'validation-failed' });
      expect(read('go.conf')).to.equal('last good\n');
    });

    it('the instance guard counts what service() returned to a Go template', async () => {
      const { report, read } = await once([{ name: 'go.conf', engine: 'go', contents: '{{ range service "web" }}{{ .Node }} {{ end }}', guard: { minInstances: 3 } }]);
      expect(report.templates[0]).to.deep.include({ status: 'held', reason: 'below-min-instances' });
      expect(read('go.conf')).to.equal(undefined);
    });

    it('a group of Go and nunjucks templates is validated and reloaded as one batch', async () => {
      const marker = join(dir, 'reloads');
      const { report, read } = await once([
        { name: 'a.conf', engine: 'go', group: 'g', contents: '{{ key "app/a" }}', validateCommand: 'true', reloadCommand: `echo r >> ${marker}` },
        { name: 'b.conf', group: 'g', contents: '{{ key("app/a") }}', validateCommand: 'true', reloadCommand: `echo r >> ${marker}` },
      ]);
      expect(report.ok, JSON.stringify(report)).to.equal(true);
      expect([read('a.conf'), read('b.conf')]).to.deep.equal(['1', '1']);
      expect(readFileSync(marker, 'utf8')).to.equal('r\n');
    });
  });
});

// pushUpstream in Go templates (the no-reload mode): `{{ pushUpstream "web" (service "web") }}` hands the instances
// `service` gave to the pusher, as the nunjucks function does; what it refuses is a render error naming the call.

import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, waitFor } from '@consul-sidecars/core';
import { resolveRendererConfig } from '../src/config';
import type { Dependency, DependencySource } from '../src/dependencies';
import { goEngine } from '../src/go-engine';
import { compileGoTemplate, renderGoTemplate } from '../src/gotemplate';
import { Runner } from '../src/runner';
import { instance } from './fixtures';
import { MemoryConsul } from './memory-consul';

const web: Dependency = { kind: 'health.service', service: 'web', status: 'passing' };
const everyWeb: Dependency = { kind: 'health.service', service: 'web', status: 'any' };

/** A push endpoint that takes every POST (the pusher's protocol, lua/consul_sidecars): records the bodies. */
async function pushEndpoint() {
  const posts: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (req.method === 'POST') posts.push((JSON.parse(body) as { upstreams: Record<string, unknown> }).upstreams);
      res.end(JSON.stringify(req.method === 'POST' ? { boot: 'b1', applied: {}, removed: [] } : req.url?.endsWith('/status') ? { boot: 'b1', upstreams: 0 } : { boot: 'b1', upstreams: {} }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { posts, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cs`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('renderer: pushUpstream in Go templates', function () {
  this.timeout(20_000);

  const sourceOf = (data: Map<string, unknown>): DependencySource => ({
    lookup: (dep) => ({ ready: true, data: (data.get(dep.kind === 'health.service' ? `${dep.service}|${dep.status}` : dep.kind) ?? []) as never }),
  });

  it('records the instances `service` gave, by upstream, as the renderer\'s own values (for the peers), rendering nothing', () => {
    const a = instance('a', 8001);
    const b = instance('b', 8002, { Status: 'critical' });
    const t = goEngine().compile('upstream web {}{{ pushUpstream "web" (service "web") }}{{ pushUpstream "all" (service "web|any") }}\n', 't.ctmpl');
    const outcome = t.render(sourceOf(new Map<string, unknown>([['web|passing', [a]], ['web|any', [a, b]]])), {});
    expect(outcome.error).to.equal(undefined);
    expect(outcome.output).to.equal('upstream web {}\n');
    expect([...outcome.upstreams.keys()]).to.deep.equal(['web', 'all']);
    expect(outcome.upstreams.get('web')).to.deep.equal([a]);
    expect(outcome.upstreams.get('all')!.map((i) => i.ID)).to.deep.equal(['a', 'b']);
    expect(outcome.upstreams.get('all')![0]).to.equal(a, 'the very instance, Role and Weights included');
  });

  const refusals: [string, string, RegExp][] = [
    ['not the list service gives', '{{ pushUpstream "web" (services) }}', /upstream "web": want the list `service` gives \(\[\]\*dependency\.HealthService\), got \[\]\*dependency\.CatalogSnippet/],
    ['an unusable upstream name', '{{ pushUpstream "we b" (service "web") }}', /upstream "we b": not a usable upstream name/],
    ['the same upstream twice', '{{ pushUpstream "web" (service "web") }}{{ pushUpstream "web" (service "web") }}', /upstream web: pushed twice in one render/],
  ];
  for (const [name, text, message] of refusals) {
    it(`refuses ${name}: a render error naming the template and the call`, () => {
      const outcome = goEngine().compile(text, 't.ctmpl').render(sourceOf(new Map([['web|passing', [instance('a', 1)]]])), {});
      expect(outcome.error?.message).to.match(/^template t\.ctmpl: template: :1:\d+: executing "" at <pushUpstream [^>]*>: error calling pushUpstream: /).and.to.match(message);
    });
  }

  it('outside the renderer (no pusher wired) the call says so', () => {
    const outcome = renderGoTemplate(compileGoTemplate('{{ pushUpstream "web" (service "web") }}'), { lookup: () => ({ kind: 'health.service', data: [] }) });
    expect(outcome.error?.message).to.match(/error calling pushUpstream: only the renderer's no-reload mode \(upstreamPush\) takes it/);
  });

  it('through the runner: a Go template\'s upstream members are pushed, the file written once; a change is pushed, not written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'renderer-go-push-'));
    const endpoint = await pushEndpoint();
    const consul = new MemoryConsul();
    consul.set(web, [instance('a', 8001)]);
    consul.set(everyWeb, []);
    const runner = new Runner({
      config: resolveRendererConfig({ templates: [{
        contents: 'upstream web {\n    server 127.0.0.1:1 down;\n    balancer_by_lua_block { }\n}\n{{ pushUpstream "web" (service "web") }}',
        destination: 'sites.conf', engine: 'go', upstreamPush: { url: endpoint.url, checkLua: false, interval: '50ms' },
      }] }, dir),
      query: consul.query,
      logger: silentLogger(),
    });
    try {
      runner.start();
      await waitFor(() => endpoint.posts.some((p) => JSON.stringify(p.web ?? null).includes('8001')), { timeoutMs: 5000, message: 'the first members pushed' });
      expect(endpoint.posts.find((p) => p.web)!.web).to.deep.equal([{ address: '127.0.0.1', port: 8001, weight: 1, backup: false, down: false }]);
      expect(readFileSync(join(dir, 'sites.conf'), 'utf8')).to.include('upstream web {');
      const writes = runner.stats.batches;
      consul.set(web, [instance('a', 8001), instance('b', 8002, { Role: 'slave' })]);
      await waitFor(() => endpoint.posts.some((p) => JSON.stringify(p.web ?? null).includes('8002')), { timeoutMs: 5000, message: 'the change pushed' });
      expect(endpoint.posts.at(-1)!.web).to.deep.equal([
        { address: '127.0.0.1', port: 8001, weight: 1, backup: false, down: false },
        { address: '127.0.0.1', port: 8002, weight: 1, backup: true, down: false },
      ]);
      await runner.whenIdle();
      expect(runner.stats.batches, 'no file write for a member change').to.equal(writes);
    } finally {
      await runner.stop();
      await endpoint.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

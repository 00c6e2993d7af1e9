import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dependencyKey, type Dependency, type DependencyData } from '../src/dependencies';
import { TemplateEnvironment, type DependencySource } from '../src/template-env';
import { hostPort, nginxQuote, nginxToken } from '../src/nginx-safety';
import { nginxAccepts } from './nginx-harness';
import { checkLuaModule } from '../src/act/lua-check';
import { instance } from './fixtures';

/** Dependency data by key; a key that is absent has not answered yet. */
class FakeSource implements DependencySource {
  readonly data = new Map<string, DependencyData>();
  readonly lookups: string[] = [];
  set(dep: Dependency, value: DependencyData): this {
    this.data.set(dependencyKey(dep), value);
    return this;
  }
  lookup(dep: Dependency) {
    const key = dependencyKey(dep);
    this.lookups.push(key);
    return this.data.has(key) ? { ready: true, data: this.data.get(key) } : { ready: false };
  }
}


const web = (status = 'passing', tag?: string): Dependency => ({ kind: 'health.service', service: 'web', status: status as 'passing', tag });

describe('renderer template environment', () => {
  const env = new TemplateEnvironment({ env: { SITE_ENV: 'test' } });
  const render = (text: string, source: DependencySource, vars: Record<string, unknown> = {}) => env.render(env.compile(text, 't'), source, { vars });

  it('multi-phase: unknown dependencies are recorded as missing and return empty', () => {
    const text = '{% for s in services() %}{{ s.Name }}={% for i in service(s.Name) %}{{ i | hostPort }} {% endfor %};{% endfor %}';
    const source = new FakeSource();
    let out = render(text, source);
    expect(out.missing).to.deep.equal(['catalog.services']);
    source.set({ kind: 'catalog.services' }, [{ Name: 'web', Tags: [] }]);
    out = render(text, source);
    expect(out.missing).to.deep.equal(['health.service(web|passing)']);
    source.set(web(), [instance('a', 8001), instance('b', 8002)]);
    out = render(text, source);
    expect(out.missing).to.deep.equal([]);
    expect(out.output).to.equal('web=127.0.0.1:8001 127.0.0.1:8002 ;');
    expect(out.instances).to.equal(2);
    expect([...out.used.keys()].sort()).to.deep.equal(['catalog.services', 'health.service(web|passing)']);
  });

  it('an answered but empty dependency is not missing', () => {
    const out = render('{{ service("web") | length }}', new FakeSource().set(web(), []));
    expect(out.missing).to.deep.equal([]);
    expect(out.output).to.equal('0');
    expect(out.usesServices).to.equal(true);
  });

  it('counts each distinct service query once for the guard', () => {
    const source = new FakeSource().set(web(), [instance('a', 1), instance('b', 2)]);
    expect(render('{{ service("web") | length }}{{ service("web") | length }}', source).instances).to.equal(2);
  });

  it('service(): status and tag options pick the query; keyword arguments work too', () => {
    const source = new FakeSource().set(web('any'), [instance('a', 1)]).set(web('passing', 'blue'), [instance('b', 2)]);
    expect(render('{{ service("web", {status: "any"})[0].ID }}', source).output).to.equal('a');
    expect(render('{{ service("web", tag="blue")[0].ID }}', source).output).to.equal('b');
    expect(render('{{ service("web", {status: "sick"}) }}', source).error?.message).to.match(/status must be one of/);
  });

  it('rejects a service name nginx cannot hold', () => {
    const out = render('{{ service("evil;name") }}', new FakeSource());
    expect(out.error?.code).to.equal('ERR_UNSAFE_NAME');
    expect(out.error?.message).to.match(/not a usable service name/);
  });

  it('key blocks the render until the key exists; keyOrDefault falls back; keyExists tells', () => {
    const source = new FakeSource().set({ kind: 'kv.key', key: 'missing' }, null).set({ kind: 'kv.key', key: 'cfg/a' }, { Key: 'cfg/a', Value: 'A', Flags: 0 });
    expect(render('{{ key("missing") }}', source).blockedOn).to.deep.equal(['kv.key(missing)']);
    expect(render('{{ key("cfg/a") }}', source).output).to.equal('A');
    expect(render('{{ keyOrDefault("missing", "dflt") }}', source).output).to.equal('dflt');
    expect(render('{{ keyExists("missing") }} {{ keyExists("cfg/a") }}', source).output).to.equal('false true');
    expect(render('{{ keyOrDefault("unanswered", "x") }}', source).missing).to.deep.equal(['kv.key(unanswered)']);
  });

  it('ls lists the top level, tree everything; env reads the environment', () => {
    const source = new FakeSource().set({ kind: 'kv.prefix', prefix: 'cfg' }, [{ Key: 'a', Value: '1', Flags: 0 }, { Key: 'd/b', Value: '2', Flags: 0 }]);
    expect(render('{% for p in ls("cfg") %}{{ p.Key }}{% endfor %}|{% for p in tree("cfg/") %}{{ p.Key }}={{ p.Value }},{% endfor %}', source).output).to.equal('a|a=1,d/b=2,');
    expect(render('{{ env("SITE_ENV") }} {{ env("NOPE", "dflt") }}', source).output).to.equal('test dflt');
  });

  describe('filters', () => {
    const list = [
      instance('c', 3, { Tags: ['blue'], Meta: { weight: '10' }, Role: 'slave' }),
      instance('a', 1, { Tags: ['green'], Meta: { weight: '2' }, Role: 'master' }),
      instance('b', 2, { Tags: ['blue', 'green'], Meta: {} }),
    ];
    const cases: [string, string][] = [
      ['{% for i in list | byTag("blue") %}{{ i.ID }}{% endfor %}', 'cb'],
      ['{% for i in list | byRole("slave") %}{{ i.ID }}{% endfor %}', 'c'],
      ['{% for i in list | byMeta("weight") %}{{ i.ID }}{% endfor %}', 'ca'],
      ['{% for i in list | byMeta("weight", "2") %}{{ i.ID }}{% endfor %}', 'a'],
      ['{% for i in list | sortBy("ID") %}{{ i.ID }}{% endfor %}', 'abc'],
      ['{% for i in list | sortBy("Meta.weight") %}{{ i.ID }}{% endfor %}', 'bac'],
      ['{% for i in list | sortBy("Port", "desc") %}{{ i.ID }}{% endfor %}', 'cba'],
      ['{{ "web" | upstreamName }}', 'consul_web'],
      ['{{ list[0].Tags | contains("blue") }}', 'true'],
      ['{{ "a:b" | split(":") | join("-") }}', 'a-b'],
    ];
    for (const [text, want] of cases) {
      it(text, () => expect(env.render(env.compile(text, 'f'), new FakeSource(), { list }).output).to.equal(want));
    }
  });

  describe('escaping', () => {
    const cases: [string, () => string, string | RegExp][] = [
      ['ipv4 hostPort', () => hostPort('10.0.0.1', 80), '10.0.0.1:80'],
      ['ipv6 hostPort in brackets', () => hostPort('::1', 80), '[::1]:80'],
      ['plain token', () => nginxToken('shop.example.com'), 'shop.example.com'],
      ['token with ; rejected', () => nginxToken('a;b'), /unquoted/],
      ['token with space rejected', () => nginxToken('a b'), /unquoted/],
      ['token with brace rejected', () => nginxToken('a}'), /unquoted/],
      ['token with $ rejected', () => nginxToken('$host'), /unquoted/],
      ['empty token rejected', () => nginxToken(''), /unquoted/],
      ['quote escapes quotes and backslashes', () => nginxQuote('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"'],
      ['quote rejects $', () => nginxQuote('a$b'), /quoted safely/],
      ['quote rejects newlines', () => nginxQuote('a\nb'), /quoted safely/],
    ];
    for (const [name, fn, want] of cases) {
      it(name, () => {
        if (want instanceof RegExp) expect(fn).to.throw(want);
        else expect(fn()).to.equal(want);
      });
    }
    it('a filter failure fails the whole render (nothing half-escaped is written)', () => {
      const out = render('{{ key("x") | nginxToken }}', new FakeSource().set({ kind: 'kv.key', key: 'x' }, { Key: 'x', Value: 'evil; include /etc/passwd', Flags: 0 }));
      expect(out.error?.message).to.match(/unquoted/);
      expect([...out.used.keys()]).to.deep.equal(['kv.key(x)']); // still watched, so a fix re-renders
    });
  });

  describe('shipped nginx template', () => {
    const text = readFileSync(join(__dirname, '..', 'templates', 'nginx-sites.conf.njk'), 'utf8');
    const source = () =>
      new FakeSource()
        .set({ kind: 'catalog.services' }, [{ Name: 'api.example.com', Tags: ['http'] }, { Name: 'db', Tags: [] }, { Name: 'shop.example.com', Tags: ['http'] }])
        .set({ kind: 'health.service', service: 'shop.example.com', status: 'passing' }, [instance('s2', 8002, { Role: 'slave' }), instance('s1', 8001, { Weights: { Passing: 3, Warning: 1 } })])
        .set({ kind: 'health.service', service: 'api.example.com', status: 'passing' }, []);

    it('renders one upstream and server per site, domain prefix, websocket headers, backup for slaves; deterministic', () => {
      const compiled = env.compile(text, 'nginx');
      const out = env.render(compiled, source(), { vars: { listen: 8080, domainPrefix: 'test.', siteTag: 'http' } });
      expect(out.missing).to.deep.equal([]);
      expect(out.output).to.contain('upstream consul_shop.example.com {');
      expect(out.output).to.contain('server 127.0.0.1:8002 max_fails=2 fail_timeout=5s backup;');
      expect(out.output).to.contain('server 127.0.0.1:8001 weight=3 max_fails=2 fail_timeout=5s;');
      expect(out.output).to.contain('server_name test.shop.example.com;');
      expect(out.output).to.contain('proxy_set_header Upgrade $http_upgrade;');
      expect(out.output).not.to.contain('upstream consul_api.example.com');
      expect(out.output).not.to.contain('db');
      expect(env.render(compiled, source(), { vars: { listen: 8080, domainPrefix: 'test.', siteTag: 'http' } }).output).to.equal(out.output);
    });

    it('slaves alone (the master gone) are plain servers, not backups: an upstream of backups only fails nginx -t', () => {
      const compiled = env.compile(text, 'nginx');
      const onlySlaves = source().set({ kind: 'health.service', service: 'shop.example.com', status: 'passing' }, [instance('s2', 8002, { Role: 'slave' }), instance('s3', 8003, { Role: 'slave' })]);
      const out = env.render(compiled, onlySlaves, { vars: { siteTag: 'http' } }).output;
      expect(out).to.contain('server 127.0.0.1:8002 max_fails=2 fail_timeout=5s;');
      expect(out).to.contain('server 127.0.0.1:8003 max_fails=2 fail_timeout=5s;');
      expect(out).not.to.contain('backup');
      const result = nginxAccepts(out);
      expect(result.ok, result.output).to.equal(true);
    });

    it('what it renders passes a real nginx -t', () => {
      const compiled = env.compile(text, 'nginx');
      for (const vars of [{ listen: 8080, siteTag: 'http' }, { siteTag: 'http', fallback503: true, sites: ['gone.example.com'] }, {}]) {
        const result = nginxAccepts(env.render(compiled, source(), { vars }).output);
        expect(result.ok, result.output).to.equal(true);
      }
    });

    it('a site listed in vars.sites but absent from the catalog still gets its 503 server', () => {
      const out = env.render(env.compile(text, 'nginx'), source().set({ kind: 'health.service', service: 'gone.example.com', status: 'passing' }, []), { vars: { siteTag: 'http', fallback503: true, sites: ['gone.example.com'] } });
      expect(out.output).to.match(/server_name gone\.example\.com;\s+default_type text\/plain;\s+return 503/);
    });

    it('an empty catalog still counts as a services template for the guard', () => {
      const out = env.render(env.compile(text, 'nginx'), new FakeSource().set({ kind: 'catalog.services' }, []), { vars: {} });
      expect([out.usesServices, out.instances, out.missing.length]).to.deep.equal([true, 0, 0]);
    });

    it('a service with no instance gets a 503 server with fallback503, else nothing', () => {
      const compiled = env.compile(text, 'nginx');
      const withFallback = env.render(compiled, source(), { vars: { siteTag: 'http', fallback503: true } }).output;
      expect(withFallback).to.match(/server_name api\.example\.com;\s+default_type text\/plain;\s+return 503/);
      expect(env.render(compiled, source(), { vars: { siteTag: 'http' } }).output).not.to.contain('api.example.com');
    });
  });

  describe('shipped no-reload nginx template', () => {
    const text = readFileSync(join(__dirname, '..', 'templates', 'nginx-dynamic.conf.njk'), 'utf8');
    const luaDir = join(__dirname, '..', 'lua');
    const context = (vars: Record<string, unknown> = {}) => ({ vars: { siteTag: 'http', adminListen: '127.0.0.1:19480', ...vars }, guard: { rejectEmptyUpstreams: true }, rendererLuaDir: luaDir });
    const source = () =>
      new FakeSource()
        .set({ kind: 'catalog.services' }, [{ Name: 'api.example.com', Tags: ['http'] }, { Name: 'shop.example.com', Tags: ['http'] }])
        .set({ kind: 'health.service', service: 'shop.example.com', status: 'passing' }, [instance('s2', 8002, { Role: 'slave' }), instance('s1', 8001)])
        .set({ kind: 'health.service', service: 'api.example.com', status: 'passing' }, []);

    it('renders names only: the members go to pushUpstream(), so instance changes leave the file as it is', () => {
      const compiled = env.compile(text, 'nginx-dynamic');
      const out = env.render(compiled, source(), context());
      expect(out.error).to.equal(undefined);
      expect(out.output).to.contain('balancer_by_lua_block { require("consul_sidecars.upstreams").balance("consul_shop.example.com") }');
      expect(out.output).to.contain('access_by_lua_block { require("consul_sidecars.upstreams").require_peers("consul_api.example.com") }');
      expect(out.output).not.to.contain('8001');
      expect([...out.upstreams.keys()]).to.deep.equal(['consul_api.example.com', 'consul_shop.example.com']);
      expect(out.upstreams.get('consul_shop.example.com')!.map((i) => i.Port).sort()).to.deep.equal([8001, 8002]);
      const fewer = env.render(compiled, source().set({ kind: 'health.service', service: 'shop.example.com', status: 'passing' }, [instance('s1', 8001)]), context());
      expect(fewer.output, 'one instance fewer: same file').to.equal(out.output);
      expect(fewer.upstreams.get('consul_shop.example.com')).to.have.length(1);
    });

    it('passes a real nginx -t with the Lua module loaded', () => {
      const result = nginxAccepts(env.render(env.compile(text, 'nginx-dynamic'), source(), context()).output, { lua: true });
      expect(result.ok, result.output).to.equal(true);
    });

    it('passes the push secret file of the renderer to nginx (secret_file), and nothing without one; nginx -t accepts both', () => {
      const compiled = env.compile(text, 'nginx-dynamic');
      const withSecret = env.render(compiled, source(), { ...context(), pushSecretFile: '/run/consul-sidecars/push.secret' }).output;
      expect(withSecret).to.contain('secret_file = "/run/consul-sidecars/push.secret",');
      const without = env.render(compiled, source(), { ...context(), pushSecretFile: '' }).output;
      expect(without).not.to.contain('secret_file');
      for (const output of [withSecret, without]) {
        const result = nginxAccepts(output, { lua: true });
        expect(result.ok, result.output).to.equal(true);
      }
    });

    it('nginx -t does not run Lua, so the shipped Lua is checked by nginx itself: ok as shipped', async () => {
      const result = await checkLuaModule({ nginx: '/usr/sbin/nginx', luaDir });
      expect(result.ok, result.output).to.equal(true);
    });

    it('the Lua check fails on a missing or broken module, naming why', async () => {
      const missing = await checkLuaModule({ nginx: '/usr/sbin/nginx', luaDir: '/nonexistent' });
      expect(missing.ok).to.equal(false);
      expect(missing.output).to.match(/module 'consul_sidecars.upstreams' not found/);
      const dir = mkdtempSync(join(tmpdir(), 'renderer-lua-broken-'));
      try {
        mkdirSync(join(dir, 'consul_sidecars'));
        writeFileSync(join(dir, 'consul_sidecars', 'upstreams.lua'), readFileSync(join(luaDir, 'consul_sidecars', 'upstreams.lua'), 'utf8').replace('local M = {}', 'local M = {'));
        const broken = await checkLuaModule({ nginx: '/usr/sbin/nginx', luaDir: dir });
        expect(broken.ok).to.equal(false);
        expect(broken.output).to.match(/upstreams\.lua:\d+:/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('pushUpstream() refuses an unusable name and a second push of the same upstream', () => {
      const bad = env.render(env.compile('{{ pushUpstream("a b", []) }}', 'x'), new FakeSource());
      expect(bad.error?.code).to.equal('ERR_UNSAFE_NAME');
      const twice = env.render(env.compile('{{ pushUpstream("a", []) }}{{ pushUpstream("a", []) }}', 'x'), new FakeSource());
      expect(twice.error?.message).to.match(/pushed twice/);
    });

    it('pushUpstream() of a service() answer as returned names its source (and the view of a new answer); a filtered one does not', () => {
      const api: Dependency = { kind: 'health.service', service: 'api', status: 'passing' };
      const source = new FakeSource()
        .set(web(), [instance('a', 80), instance('b', 81)])
        .set(api, [instance('c', 82, { Tags: ['x'] }), instance('d', 83)]);
      const text = '{{ pushUpstream("u_web", service("web")) }}{{ pushUpstream("u_api", service("api") | byTag("x")) }}{{ pushUpstream("u_web2", service("web")) }}';
      const out = env.render(env.compile(text, 'x'), source);
      expect(out.error).to.equal(undefined);
      expect([...(out.upstreamSources ?? new Map()).entries()].map(([u, s]) => `${u}<-${s.key}`)).to.deep.equal(['u_web<-health.service(web|passing)', 'u_web2<-health.service(web|passing)']);
      expect(Object.fromEntries(out.instancesByKey ?? [])).to.deep.equal({ 'health.service(web|passing)': 2, 'health.service(api|passing)': 2 });
      const view = out.upstreamSources?.get('u_web')?.view;
      expect(view?.([instance('e', 90), instance('bad', 91, { Address: 'a b' })]).map((i) => i.ID), 'the template\'s safe view: an unusable address dropped').to.deep.equal(['e']);
    });

    it('two dependencies answering the same list: an upstream pushed from it names no source', () => {
      const shared = [instance('a', 80)];
      const source = new FakeSource().set(web(), shared).set({ kind: 'health.service', service: 'api', status: 'passing' }, shared);
      const out = env.render(env.compile('{% set w = service("web") %}{% set a = service("api") %}{{ pushUpstream("u", w) }}', 'x'), source);
      expect(out.error).to.equal(undefined);
      expect(out.upstreams.get('u')?.length).to.equal(1);
      expect(out.upstreamSources?.size).to.equal(0);
    });
  });

  describe('shipped keepalived template', () => {
    const text = readFileSync(join(__dirname, '..', 'templates', 'keepalived-lvs.conf.njk'), 'utf8');
    it('one virtual_server per service with a VIP, one real_server with TCP_CHECK per instance', () => {
      const source = new FakeSource()
        .set({ kind: 'kv.prefix', prefix: 'keepalived/vips' }, [{ Key: 'web', Value: '10.0.0.10:80', Flags: 0 }, { Key: 'empty', Value: '10.0.0.11:80', Flags: 0 }])
        .set(web(), [instance('a', 80, { Address: '10.0.1.1' }), instance('b', 80, { Address: '10.0.1.2' })])
        .set({ kind: 'health.service', service: 'empty', status: 'passing' }, []);
      const out = env.render(env.compile(text, 'keepalived'), source, { vars: {} }).output;
      expect(out.match(/virtual_server /g)).to.have.length(1);
      expect(out).to.contain('virtual_server 10.0.0.10 80 {');
      expect(out.match(/real_server 10\.0\.1\.\d 80 \{/g)).to.have.length(2);
      expect(out.match(/TCP_CHECK \{/g)).to.have.length(2);
      expect(out).to.contain('lb_kind DR');
      expect(out.split('{').length).to.equal(out.split('}').length);
    });

    it('passes `keepalived -t` when keepalived is installed', function () {
      const keepalived = ['/usr/sbin/keepalived', '/sbin/keepalived', '/usr/local/sbin/keepalived'].find((p) => existsSync(p));
      if (!keepalived) this.skip(); // not installed here (the renderer does not need it); CI with keepalived runs this
      const source = new FakeSource()
        .set({ kind: 'kv.prefix', prefix: 'keepalived/vips' }, [{ Key: 'web', Value: '10.0.0.10:80', Flags: 0 }])
        .set(web(), [instance('a', 80, { Address: '10.0.1.1' })]);
      const dir = mkdtempSync(join(tmpdir(), 'renderer-keepalived-'));
      try {
        const file = join(dir, 'keepalived.conf');
        writeFileSync(file, env.render(env.compile(text, 'keepalived'), source, { vars: {} }).output);
        execFileSync(keepalived as string, ['-t', '-f', file], { stdio: 'pipe' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

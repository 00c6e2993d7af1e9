import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPLATES_DIR, TemplateEnvironment, dependencyKey, type Dependency, type DependencyData, type DependencySource, type ServiceInstance } from '../../src';

/** Dependency data by key; a key that is absent has not answered yet. */
class FixedSource implements DependencySource {
  private readonly data = new Map<string, DependencyData>();
  set(dep: Dependency, value: DependencyData): this {
    this.data.set(dependencyKey(dep), value);
    return this;
  }
  lookup(dep: Dependency) {
    const key = dependencyKey(dep);
    return this.data.has(key) ? { ready: true, data: this.data.get(key) } : { ready: false };
  }
}

const instance = (id: string, address: string, port: number, extra: Partial<ServiceInstance> = {}): ServiceInstance => ({
  ID: id, Name: 'x', Node: 'n1', NodeAddress: address, Address: address, Port: port, Tags: [], Meta: {}, NodeMeta: {}, Weights: { Passing: 1, Warning: 1 }, Status: 'passing', Checks: [], ...extra,
});
const health = (service: string): Dependency => ({ kind: 'health.service', service, status: 'passing' }) as Dependency;

/** shop (3 instances: weighted, a slave, IPv6), api (none healthy), db (one). */
const withInstances = () =>
  new FixedSource()
    .set({ kind: 'catalog.services' }, [{ Name: 'api', Tags: ['http'] }, { Name: 'db', Tags: [] }, { Name: 'shop.example.com', Tags: ['http'] }])
    .set(health('shop.example.com'), [instance('a', '10.0.0.1', 8080, { Weights: { Passing: 3, Warning: 1 } }), instance('b', '10.0.0.2', 8080, { Role: 'slave' }), instance('c', 'fd00::5', 8081), instance('d', 'app.example', 8082)])
    .set(health('api'), [])
    .set(health('db'), [instance('e', '10.0.0.9', 5432)]);
const empty = () => new FixedSource().set({ kind: 'catalog.services' }, []);
const noneHealthy = () => new FixedSource().set({ kind: 'catalog.services' }, [{ Name: 'api', Tags: [] }]).set(health('api'), []);

function program(paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

describe('compat: shipped HAProxy and dnsmasq templates, checked by the real programs', function () {
  this.timeout(20_000);
  const env = new TemplateEnvironment({ env: {} });
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'compat-templates-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const render = (file: string, source: DependencySource, vars: Record<string, unknown> = {}) => {
    const out = env.render(env.compile(readFileSync(join(TEMPLATES_DIR, file), 'utf8'), file), source, { vars });
    expect(out.error, out.error?.message).to.equal(undefined);
    expect(out.missing).to.deep.equal([]);
    return out.output;
  };
  const check = (bin: string, args: (file: string) => string[], text: string) => {
    const file = join(dir, 'candidate.conf');
    writeFileSync(file, text);
    const result = spawnSync(bin, args(file), { encoding: 'utf8', timeout: 10_000 });
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  };

  describe('haproxy.cfg.njk', () => {
    const haproxy = program(['/usr/sbin/haproxy', '/usr/local/sbin/haproxy']);
    const haproxyAccepts = (text: string) => check(haproxy!, (f) => ['-c', '-f', f], text);
    before(function () {
      if (!haproxy) this.skip(); // setup installs Debian's haproxy
    });

    it('one backend per service with its instances; Host routing; weights, backups, IPv6 in brackets', () => {
      const out = render('haproxy.cfg.njk', withInstances(), { bind: '127.0.0.1:18080', domainPrefix: 'test.' });
      expect(out).to.contain('    acl host_shop.example.com hdr(host),field(1,:) -i test.shop.example.com\n    use_backend be_shop.example.com if host_shop.example.com\n');
      expect(out).to.contain(
        'backend be_shop.example.com\n    balance roundrobin\n' +
          '    server 10.0.0.1-8080 10.0.0.1:8080 check weight 3\n' +
          '    server 10.0.0.2-8080 10.0.0.2:8080 check backup\n' +
          '    server fd00--5-8081 [fd00::5]:8081 check\n' +
          '    server app.example-8082 app.example:8082 check\n',
      );
      expect(out).to.contain('backend be_api\n    balance roundrobin\n\nbackend be_db\n');
      expect(render('haproxy.cfg.njk', withInstances(), { bind: '127.0.0.1:18080', domainPrefix: 'test.' })).to.equal(out); // deterministic
    });

    it('what it renders passes haproxy -c: with instances, TCP listeners and stats', () => {
      const out = render('haproxy.cfg.njk', withInstances(), { bind: '127.0.0.1:18080', tcp: [{ service: 'db', bind: '127.0.0.1:15432' }], statsBind: '127.0.0.1:18404' });
      expect(out).to.contain('listen tcp_db\n    mode tcp\n');
      const result = haproxyAccepts(out);
      expect(result.ok, result.output).to.equal(true);
    });

    it('passes haproxy -c with no service at all, and with services that have no healthy instance (HAProxy answers 503)', () => {
      for (const source of [empty(), noneHealthy()]) {
        const result = haproxyAccepts(render('haproxy.cfg.njk', source, { bind: '127.0.0.1:18080' }));
        expect(result.ok, result.output).to.equal(true);
      }
    });

    it('the check is real: a broken render is refused by haproxy -c', () => {
      const result = haproxyAccepts(render('haproxy.cfg.njk', withInstances(), { bind: '127.0.0.1:18080', balance: 'no-such-algorithm' }));
      expect(result.ok).to.equal(false);
      expect(result.output, result.output).to.match(/balance only supports/);
    });
  });

  describe('dnsmasq-services.conf.njk', () => {
    const dnsmasq = program(['/usr/sbin/dnsmasq', '/usr/local/sbin/dnsmasq']);
    const dnsmasqAccepts = (text: string) => check(dnsmasq!, (f) => ['--test', `--conf-file=${f}`], text);
    before(function () {
      if (!dnsmasq) this.skip(); // setup installs Debian's dnsmasq-base
    });

    it('one host record per distinct IP of each service, host names left out; SRV records with ports when asked', () => {
      const out = render('dnsmasq-services.conf.njk', withInstances(), { domain: 'svc.test', srv: true });
      expect(out).to.contain('local=/svc.test/\nlocal-ttl=5\n');
      expect(out).to.contain(
        '# shop.example.com: 4 instance(s)\n' +
          'host-record=shop.example.com.svc.test,10.0.0.1,5\n' +
          'host-record=shop.example.com.svc.test,10.0.0.2,5\n' +
          'host-record=shop.example.com.svc.test,fd00::5,5\n' +
          'host-record=i1.shop.example.com.svc.test,10.0.0.1,5\n' +
          'srv-host=_shop.example.com._tcp.svc.test,i1.shop.example.com.svc.test,8080,0,3\n',
      );
      expect(out).to.not.contain('app.example');
      expect(out).to.contain('# api: 0 instance(s)\n\n# db: 1 instance(s)\nhost-record=db.svc.test,10.0.0.9,5\n');
    });

    it('what it renders passes dnsmasq --test: with instances, with none, with an empty catalog', () => {
      for (const [source, vars] of [[withInstances(), { srv: true }], [withInstances(), {}], [noneHealthy(), {}], [empty(), {}]] as const) {
        const result = dnsmasqAccepts(render('dnsmasq-services.conf.njk', source, vars));
        expect(result.ok, result.output).to.equal(true);
      }
    });

    it('the check is real: a broken render is refused by dnsmasq --test', () => {
      const broken = render('dnsmasq-services.conf.njk', withInstances(), { srv: true }).replace(',8080,0,3', ',notaport,0,3');
      const result = dnsmasqAccepts(broken);
      expect(result.ok).to.equal(false);
      expect(result.output).to.match(/invalid port number/);
    });
  });
});

// Contract: /v1/agent/* services, checks, maintenance, self and members; the agent running checks.

import { expect } from 'chai';
import http from 'node:http';
import net from 'node:net';
import { AddressInfo } from 'node:net';
import { eventually, openTarget, standinOnly, Target, unique } from './support';

describe('consul-standin contract: agent services and checks', function () {
  let target: Target;
  const registered: string[] = [];

  before(async () => {
    target = await openTarget();
  });

  afterEach(async () => {
    for (const id of registered.splice(0)) await target.client.put(`/v1/agent/service/deregister/${id}`);
  });

  after(async () => {
    await target.stop();
  });

  async function register(body: Record<string, unknown>, query = ''): Promise<void> {
    const reply = await target.client.put(`/v1/agent/service/register${query}`, body);
    expect(reply.status, reply.text).to.equal(200);
    registered.push(String(body.ID ?? body.Name));
  }

  it('registers a service with ID defaulting to Name and default weights, and lists it', async () => {
    const name = unique('web');
    await register({ Name: name, Port: 8080, Tags: ['a', 'b'], Meta: { version: '1' }, Address: '10.0.0.5' });
    const services = (await target.client.get('/v1/agent/services')).json();
    expect(services[name]).to.include({ ID: name, Service: name, Port: 8080, Address: '10.0.0.5', EnableTagOverride: false });
    expect(services[name].Tags).to.deep.equal(['a', 'b']);
    expect(services[name].Meta).to.deep.equal({ version: '1' });
    expect(services[name].Weights).to.deep.equal({ Passing: 1, Warning: 1 });
    expect(services[name].Datacenter).to.be.a('string');
  });

  it('answers 400 "Missing service name" without a Name', async () => {
    const reply = await target.client.put('/v1/agent/service/register', { Port: 1 });
    expect(reply.status).to.equal(400);
    expect(reply.text).to.contain('Missing service name');
  });

  describe('Meta validation', () => {
    const long = (n: number) => 'x'.repeat(n);
    const many: Record<string, string> = {};
    for (let i = 0; i < 65; i++) many[`k${i}`] = 'v';
    const cases: [string, Record<string, string>, string][] = [
      ['invalid key characters', { 'bad.key': 'v' }, 'Key contains invalid characters'],
      ['too long a key', { [long(129)]: 'v' }, 'Key is too long (limit: 128 characters)'],
      ['too long a value', { k: long(513) }, 'Value is too long (limit: 512 characters)'],
      ['the reserved consul- prefix', { 'consul-x': 'v' }, "Key prefix 'consul-' is reserved for internal use"],
      ['more than 64 pairs', many, 'cannot contain more than 64 key/value pairs'],
    ];
    for (const [label, meta, text] of cases) {
      it(`rejects ${label} with 400 and Consul's text`, async () => {
        const reply = await target.client.put('/v1/agent/service/register', { Name: unique('meta'), Meta: meta });
        expect(reply.status).to.equal(400);
        expect(reply.text).to.contain('Invalid Service Meta');
        expect(reply.text).to.contain(text);
      });
    }
    it('accepts keys of letters, digits, _ and -', async () => {
      await register({ Name: unique('meta-ok'), Meta: { 'a_b-C9': 'v', [long(128)]: long(512) } });
    });
  });

  it('names service checks service:<id>, with :1, :2 suffixes when there are several', async () => {
    const one = unique('one');
    await register({ Name: one, Check: { TTL: '30s' } });
    const several = unique('several');
    await register({ Name: several, Checks: [{ TTL: '30s' }, { TTL: '30s', Name: 'second' }] });
    const checks = (await target.client.get('/v1/agent/checks')).json();
    expect(checks[`service:${one}`]).to.include({ Status: 'critical', ServiceID: one, ServiceName: one, Name: `Service '${one}' check` });
    expect(checks[`service:${several}:1`]).to.include({ ServiceID: several });
    expect(checks[`service:${several}:2`]).to.include({ Name: 'second' });
  });

  it('re-registering updates the service; ?replace-existing-checks drops checks not in the body', async () => {
    const id = unique('re');
    await register({ ID: id, Name: id, Port: 1, Checks: [{ CheckID: `${id}-a`, TTL: '30s' }, { CheckID: `${id}-b`, TTL: '30s' }] });
    await register({ ID: id, Name: id, Port: 2, Checks: [{ CheckID: `${id}-a`, TTL: '30s' }] });
    let checks = (await target.client.get('/v1/agent/checks')).json();
    expect(checks).to.have.keys([`${id}-a`, `${id}-b`].concat(Object.keys(checks).filter((k) => !k.startsWith(id))));
    expect((await target.client.get('/v1/agent/services')).json()[id].Port).to.equal(2);
    await register({ ID: id, Name: id, Port: 2, Checks: [{ CheckID: `${id}-a`, TTL: '30s' }] }, '?replace-existing-checks=true');
    checks = (await target.client.get('/v1/agent/checks')).json();
    expect(checks[`${id}-a`]).to.exist;
    expect(checks[`${id}-b`]).to.not.exist;
  });

  it('deregisters, and answers 404 "Unknown service ID" for an unknown one', async () => {
    const name = unique('gone');
    await register({ Name: name });
    expect((await target.client.put(`/v1/agent/service/deregister/${name}`)).status).to.equal(200);
    registered.pop();
    const reply = await target.client.put(`/v1/agent/service/deregister/${name}`);
    expect(reply.status).to.equal(404);
    expect(reply.text).to.contain(`Unknown service ID "${name}"`);
  });

  it('GET /v1/agent/service/:id answers with ContentHash and blocks on ?hash= until it changes', async () => {
    const name = unique('hash');
    await register({ Name: name, Port: 1 });
    const first = await target.client.get(`/v1/agent/service/${name}`);
    expect(first.status).to.equal(200);
    const hash = first.headers['x-consul-contenthash'];
    expect(hash).to.be.a('string').and.equal(first.json().ContentHash);
    const started = Date.now();
    const waiting = target.client.get(`/v1/agent/service/${name}?hash=${hash}&wait=10s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await target.client.put('/v1/agent/service/register', { Name: name, Port: 2 });
    const woken = await waiting;
    expect(Date.now() - started).to.be.lessThan(5000);
    expect(woken.json().Port).to.equal(2);
    expect(woken.headers['x-consul-contenthash']).to.not.equal(hash);
    expect((await target.client.get(`/v1/agent/service/${unique('nope')}`)).status).to.equal(404);
  });

  it('filters /v1/agent/services with ?filter=', async () => {
    const tagged = unique('f');
    const other = unique('f');
    await register({ Name: tagged, Tags: ['primary'], Meta: { env: 'prod' } });
    await register({ Name: other, Tags: ['secondary'], Meta: { env: 'dev' } });
    const query = encodeURIComponent(`"primary" in Tags and Meta.env == "prod"`);
    const services = (await target.client.get(`/v1/agent/services?filter=${query}`)).json();
    expect(Object.keys(services)).to.include(tagged).and.not.include(other);
    const notQuery = encodeURIComponent(`Tags not contains "primary" and Service == "${other}"`);
    expect(Object.keys((await target.client.get(`/v1/agent/services?filter=${notQuery}`)).json())).to.deep.equal([other]);
  });

  it('service maintenance adds a critical _service_maintenance:<id> check; node maintenance _node_maintenance', async () => {
    const name = unique('maint');
    await register({ Name: name, Check: { TTL: '30s', Status: 'passing' } });
    expect((await target.client.put(`/v1/agent/service/maintenance/${name}?enable=true&reason=upgrading`)).status).to.equal(200);
    let checks = (await target.client.get('/v1/agent/checks')).json();
    expect(checks[`_service_maintenance:${name}`]).to.include({ Status: 'critical', Notes: 'upgrading', ServiceID: name });
    let passing = (await target.client.get(`/v1/health/service/${name}?passing`)).json();
    expect(passing).to.have.length(0);
    await target.client.put(`/v1/agent/service/maintenance/${name}?enable=false`);
    passing = (await target.client.get(`/v1/health/service/${name}?passing`)).json();
    expect(passing).to.have.length(1);
    expect((await target.client.put(`/v1/agent/service/maintenance/${name}`)).status).to.equal(400);
    expect((await target.client.put(`/v1/agent/service/maintenance/${unique('x')}?enable=true`)).status).to.equal(404);

    await target.client.put('/v1/agent/maintenance?enable=true');
    try {
      checks = (await target.client.get('/v1/agent/checks')).json();
      expect(checks._node_maintenance).to.include({ Status: 'critical' });
      expect((await target.client.get(`/v1/health/service/${name}?passing`)).json()).to.have.length(0);
    } finally {
      await target.client.put('/v1/agent/maintenance?enable=false');
    }
    checks = (await target.client.get('/v1/agent/checks')).json();
    expect(checks._node_maintenance).to.not.exist;
  });

  it('registers and deregisters a standalone check; TTL checks take pass/warn/fail/update', async () => {
    const id = unique('chk');
    expect((await target.client.put('/v1/agent/check/register', { Name: id, TTL: '30s' })).status).to.equal(200);
    try {
      const status = async () => (await target.client.get('/v1/agent/checks')).json()[id];
      expect(await status()).to.include({ CheckID: id, Status: 'critical', ServiceID: '' });
      await target.client.put(`/v1/agent/check/pass/${id}?note=all+good`);
      expect(await status()).to.include({ Status: 'passing', Output: 'all good' });
      await target.client.put(`/v1/agent/check/warn/${id}`);
      expect((await status()).Status).to.equal('warning');
      await target.client.put(`/v1/agent/check/fail/${id}`);
      expect((await status()).Status).to.equal('critical');
      await target.client.put(`/v1/agent/check/update/${id}`, { Status: 'passing', Output: 'fine' });
      expect(await status()).to.include({ Status: 'passing', Output: 'fine' });
      const bad = await target.client.put(`/v1/agent/check/update/${id}`, { Status: 'great' });
      expect(bad.status).to.equal(400);
      expect(bad.text).to.equal("Invalid check status: 'great'");
    } finally {
      expect((await target.client.put(`/v1/agent/check/deregister/${id}`)).status).to.equal(200);
    }
    const unknown = await target.client.put(`/v1/agent/check/pass/${id}`);
    expect(unknown.status).to.equal(404);
    expect(unknown.text).to.contain(`Unknown check ID "${id}"`);
    expect((await target.client.put('/v1/agent/check/register', { TTL: '30s' })).text).to.contain('Missing check name');
    const invalid = await target.client.put('/v1/agent/check/register', { Name: id, HTTP: 'http://127.0.0.1:1/' });
    expect(invalid.status).to.equal(400);
    expect(invalid.text).to.contain('Invalid check: Interval must be > 0');
  });

  it('turns a TTL check critical with "TTL expired" when it is not fed in time', async () => {
    const name = unique('ttl');
    await register({ Name: name, Check: { TTL: '1s', Status: 'passing' } });
    await target.client.put(`/v1/agent/check/pass/service:${name}?note=alive`);
    const check = await eventually('the TTL check to expire', async () => {
      const c = (await target.client.get('/v1/agent/checks')).json()[`service:${name}`];
      return c?.Status === 'critical' ? c : undefined;
    }, 8000, 100);
    expect(check.Output).to.equal('TTL expired (last output before timeout follows): alive');
  });

  it('runs HTTP checks: 2xx passing, 429 warning, other codes critical', async function () {
    standinOnly(this, target, 'the agent may not reach this process\'s loopback');
    let code = 200;
    const server = http.createServer((_req, res) => {
      res.statusCode = code;
      res.end('hello');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
      const name = unique('http');
      await register({ Name: name, Check: { HTTP: url, Interval: '50ms', Timeout: '1s' } });
      const statusIs = (wanted: string) => eventually(`HTTP check ${wanted}`, async () => {
        const c = (await target.client.get('/v1/agent/checks')).json()[`service:${name}`];
        return c?.Status === wanted ? c : undefined;
      });
      const passing = await statusIs('passing');
      expect(passing.Output).to.contain('HTTP GET').and.contain('200 OK').and.contain('hello');
      code = 429;
      await statusIs('warning');
      code = 503;
      await statusIs('critical');
    } finally {
      server.close();
    }
  });

  it('runs TCP checks: passing while the port accepts, critical once it closes', async function () {
    standinOnly(this, target, 'the agent may not reach this process\'s loopback');
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const name = unique('tcp');
    await register({ Name: name, Check: { TCP: address, Interval: '50ms', Timeout: '500ms' } });
    const statusIs = (wanted: string) => eventually(`TCP check ${wanted}`, async () => {
      const c = (await target.client.get('/v1/agent/checks')).json()[`service:${name}`];
      return c?.Status === wanted ? c : undefined;
    });
    expect((await statusIs('passing')).Output).to.equal(`TCP connect ${address}: Success`);
    await new Promise((resolve) => server.close(resolve));
    await statusIs('critical');
  });

  it('reaps a service whose check stays critical past DeregisterCriticalServiceAfter', async function () {
    standinOnly(this, target, 'Consul clamps DeregisterCriticalServiceAfter to 1 minute and reaps every 30 s');
    const name = unique('reap');
    await register({ Name: name, Check: { TTL: '10s', DeregisterCriticalServiceAfter: '200ms' } });
    await eventually('the service to be reaped', async () => {
      const services = (await target.client.get('/v1/agent/services')).json();
      return !services[name];
    }, 5000, 50);
    registered.pop();
    expect((await target.client.get('/v1/agent/checks')).json()[`service:${name}`]).to.not.exist;
  });

  it('keeps a service whose check recovers before DeregisterCriticalServiceAfter', async function () {
    standinOnly(this, target, 'needs the fast reaper');
    const name = unique('keep');
    await register({ Name: name, Check: { TTL: '10s', Status: 'passing', DeregisterCriticalServiceAfter: '300ms' } });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await target.client.get('/v1/agent/services')).json()[name]).to.exist;
  });

  it('answers /v1/agent/self and /v1/agent/members', async () => {
    const self = (await target.client.get('/v1/agent/self')).json();
    expect(self.Config).to.include.keys('Datacenter', 'NodeName', 'NodeID', 'Version');
    expect(self.Member.Name).to.equal(target.node);
    const members = (await target.client.get('/v1/agent/members')).json();
    expect(members.map((m: { Name: string }) => m.Name)).to.include(target.node);
  });
});

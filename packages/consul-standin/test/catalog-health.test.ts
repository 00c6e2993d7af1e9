// Contract: /v1/catalog/* and /v1/health/*, their query metadata headers, filters and blocking.

import { expect } from 'chai';
import { openTarget, Target, unique } from './support';

describe('consul-standin contract: catalog and health', function () {
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

  async function register(body: Record<string, unknown>): Promise<void> {
    const reply = await target.client.put('/v1/agent/service/register', body);
    expect(reply.status, reply.text).to.equal(200);
    registered.push(String(body.ID ?? body.Name));
  }

  function expectQueryMeta(headers: Record<string, string>): number {
    const index = Number(headers['x-consul-index']);
    expect(index).to.be.greaterThan(0);
    expect(headers['x-consul-knownleader']).to.equal('true');
    expect(headers['x-consul-lastcontact']).to.match(/^\d+$/);
    expect(headers['content-type']).to.equal('application/json');
    return index;
  }

  it('/v1/catalog/services always includes consul and lists tags by name', async () => {
    const name = unique('cat');
    await register({ Name: name, Tags: ['x', 'y'] });
    const reply = await target.client.get('/v1/catalog/services');
    expectQueryMeta(reply.headers);
    const services = reply.json();
    expect(services).to.have.property('consul');
    expect(services[name]).to.have.members(['x', 'y']);
  });

  it('/v1/catalog/service/:name answers instances with ?tag= and ?filter=', async () => {
    const name = unique('cs');
    await register({ ID: `${name}-1`, Name: name, Tags: ['blue'], Port: 1, Meta: { zone: 'a' } });
    await register({ ID: `${name}-2`, Name: name, Tags: ['green'], Port: 2, Meta: { zone: 'b' } });
    const all = await target.client.get(`/v1/catalog/service/${name}`);
    expectQueryMeta(all.headers);
    const entries = all.json();
    expect(entries).to.have.length(2);
    expect(entries[0]).to.include.keys('ID', 'Node', 'Address', 'Datacenter', 'TaggedAddresses', 'NodeMeta', 'ServiceID',
      'ServiceName', 'ServiceTags', 'ServiceAddress', 'ServicePort', 'ServiceMeta', 'ServiceEnableTagOverride', 'ServiceWeights',
      'CreateIndex', 'ModifyIndex');
    expect(entries[0].Node).to.equal(target.node);
    const blue = (await target.client.get(`/v1/catalog/service/${name}?tag=blue`)).json();
    expect(blue.map((e: { ServiceID: string }) => e.ServiceID)).to.deep.equal([`${name}-1`]);
    const filter = encodeURIComponent('ServiceMeta.zone == "b"');
    const zoneB = (await target.client.get(`/v1/catalog/service/${name}?filter=${filter}`)).json();
    expect(zoneB.map((e: { ServiceID: string }) => e.ServiceID)).to.deep.equal([`${name}-2`]);
    expect((await target.client.get(`/v1/catalog/service/${unique('none')}`)).json()).to.deep.equal([]);
  });

  it('/v1/catalog/nodes and /v1/catalog/node/:node describe the agent node', async () => {
    const nodes = await target.client.get('/v1/catalog/nodes');
    expectQueryMeta(nodes.headers);
    const node = nodes.json().find((n: { Node: string }) => n.Node === target.node);
    expect(node).to.include.keys('ID', 'Node', 'Address', 'Datacenter', 'TaggedAddresses', 'Meta', 'CreateIndex', 'ModifyIndex');
    const name = unique('node-svc');
    await register({ Name: name, Port: 9 });
    const one = await target.client.get(`/v1/catalog/node/${target.node}`);
    expectQueryMeta(one.headers);
    expect(one.json().Node.Node).to.equal(target.node);
    expect(one.json().Services[name]).to.include({ ID: name, Service: name, Port: 9 });
  });

  it('/v1/health/service/:name includes serfHealth in Checks; ?passing keeps only all-passing instances', async () => {
    const name = unique('hs');
    await register({ ID: `${name}-ok`, Name: name, Check: { TTL: '30s', Status: 'passing' } });
    await register({ ID: `${name}-warn`, Name: name, Check: { TTL: '30s', Status: 'warning' } });
    await register({ ID: `${name}-down`, Name: name, Check: { TTL: '30s' } });
    const reply = await target.client.get(`/v1/health/service/${name}`);
    expectQueryMeta(reply.headers);
    const entries = reply.json();
    expect(entries).to.have.length(3);
    for (const entry of entries) {
      expect(entry).to.have.keys('Node', 'Service', 'Checks');
      expect(entry.Checks.map((c: { CheckID: string }) => c.CheckID)).to.include('serfHealth');
      expect(entry.Service).to.include.keys('ID', 'Service', 'Tags', 'Address', 'Meta', 'Port', 'Weights');
    }
    const passing = (await target.client.get(`/v1/health/service/${name}?passing`)).json();
    expect(passing.map((e: { Service: { ID: string } }) => e.Service.ID)).to.deep.equal([`${name}-ok`]);
    const passingTrue = (await target.client.get(`/v1/health/service/${name}?passing=true`)).json();
    expect(passingTrue).to.have.length(1);
  });

  it('/v1/health/service/:name takes repeated ?tag= (all must match) and ?filter=', async () => {
    const name = unique('ht');
    await register({ ID: `${name}-1`, Name: name, Tags: ['a', 'b'], Meta: { v: '1' } });
    await register({ ID: `${name}-2`, Name: name, Tags: ['a'], Meta: { v: '2' } });
    const both = (await target.client.get(`/v1/health/service/${name}?tag=a&tag=b`)).json();
    expect(both.map((e: { Service: { ID: string } }) => e.Service.ID)).to.deep.equal([`${name}-1`]);
    const filter = encodeURIComponent(`Service.Meta.v != "1" and "a" in Service.Tags`);
    const filtered = (await target.client.get(`/v1/health/service/${name}?filter=${filter}`)).json();
    expect(filtered.map((e: { Service: { ID: string } }) => e.Service.ID)).to.deep.equal([`${name}-2`]);
    const byNode = encodeURIComponent(`Node.Node == "${target.node}" and Service.Tags contains "b"`);
    expect((await target.client.get(`/v1/health/service/${name}?filter=${byNode}`)).json()).to.have.length(1);
    const bad = await target.client.get(`/v1/health/service/${name}?filter=${encodeURIComponent('Service.Nope == "x"')}`);
    expect(bad.status).to.be.oneOf([400, 500]);
    expect(bad.text).to.contain('Failed to create boolean expression evaluator');
  });

  it('/v1/health/state/:state, /v1/health/checks/:service and /v1/health/node/:node', async () => {
    const name = unique('st');
    await register({ Name: name, Check: { TTL: '30s', Status: 'warning' } });
    const warning = await target.client.get('/v1/health/state/warning');
    expectQueryMeta(warning.headers);
    expect(warning.json().map((c: { CheckID: string }) => c.CheckID)).to.include(`service:${name}`);
    const any = (await target.client.get('/v1/health/state/any')).json();
    expect(any.map((c: { CheckID: string }) => c.CheckID)).to.include('serfHealth');
    const passing = (await target.client.get('/v1/health/state/passing')).json();
    expect(passing.map((c: { CheckID: string }) => c.CheckID)).to.not.include(`service:${name}`);
    expect((await target.client.get('/v1/health/state/bogus')).status).to.equal(400);
    const checks = (await target.client.get(`/v1/health/checks/${name}`)).json();
    expect(checks).to.have.length(1);
    expect(checks[0]).to.include({ CheckID: `service:${name}`, Status: 'warning', ServiceName: name, Node: target.node });
    const nodeChecks = (await target.client.get(`/v1/health/node/${target.node}`)).json();
    expect(nodeChecks.map((c: { CheckID: string }) => c.CheckID)).to.include.members(['serfHealth', `service:${name}`]);
  });

  it('a blocking health query is woken by a change to that service', async () => {
    const name = unique('block');
    await register({ Name: name, Check: { TTL: '30s', Status: 'passing' } });
    const first = await target.client.get(`/v1/health/service/${name}`);
    const index = Number(first.headers['x-consul-index']);
    const started = Date.now();
    const waiting = target.client.get(`/v1/health/service/${name}?index=${index}&wait=30s`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await target.client.put(`/v1/agent/check/fail/service:${name}`);
    const woken = await waiting;
    expect(Date.now() - started).to.be.lessThan(10_000);
    expect(Number(woken.headers['x-consul-index'])).to.be.greaterThan(index);
    expect(woken.json()[0].Checks.find((c: { CheckID: string }) => c.CheckID === `service:${name}`).Status).to.equal('critical');
  });

  it('a blocking catalog query returns on ?wait= with the same index when nothing changes', async () => {
    const name = unique('quiet');
    const first = await target.client.get(`/v1/catalog/service/${name}`);
    const index = Number(first.headers['x-consul-index']);
    const started = Date.now();
    const reply = await target.client.get(`/v1/catalog/service/${name}?index=${index}&wait=400ms`);
    const elapsed = Date.now() - started;
    expect(elapsed).to.be.at.least(350);
    expect(elapsed).to.be.lessThan(5000);
    expect(Number(reply.headers['x-consul-index'])).to.be.at.least(index);
    expect(reply.json()).to.deep.equal([]);
  });
});

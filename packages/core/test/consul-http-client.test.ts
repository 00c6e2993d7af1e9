// core's Consul client against a Consul agent (the stand-in unless CONSUL_HTTP_ADDR is set): registration fields,
// typed reads and blocking reads, KV, txn, sessions and maintenance, through one kept-alive transport.

import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { ConsulHttpClient, ERR_CONSUL_HTTP, ERR_CONSUL_PAYLOAD, healthServiceRead, kvKeyRead, parseKvEntries, waitFor, type ServiceInstance } from '../src';
import { startTestConsul, type TestConsul } from '../../../test/support/consul';

describe('core/consul: HTTP client against Consul @integration', function () {
  this.timeout(30_000);
  let consul: TestConsul;
  let client: ConsulHttpClient;
  let prefix: string;
  const services: string[] = [];

  beforeEach(async () => {
    consul = await startTestConsul();
    client = new ConsulHttpClient(consul.settings);
    prefix = `consul-sidecars-test/client/${randomUUID()}`;
  });
  afterEach(async () => {
    for (const id of services.splice(0)) await client.agent.deregister(id).catch(() => undefined);
    await client.kv.delete(prefix, { recurse: true }).catch(() => undefined);
    client.close();
    await consul.close();
  });

  function serviceId(name: string): string {
    const id = `${name}-${randomUUID().slice(0, 8)}`;
    services.push(id);
    return id;
  }

  it('round-trips a registration with Weights, TaggedAddresses, Meta, EnableTagOverride and a TTL check', async () => {
    const id = serviceId('core-weights');
    await client.agent.register({
      ID: id,
      Name: 'core-weights',
      Tags: ['master', 'v1'],
      Address: '127.0.0.7',
      Port: 8080,
      Meta: { version: '1' },
      TaggedAddresses: { lan_ipv4: { Address: '127.0.0.7', Port: 8080 } },
      EnableTagOverride: true,
      Weights: { Passing: 10, Warning: 3 },
      Checks: [{ CheckID: `${id}:ttl`, Name: 'ttl', TTL: '30s', Status: 'passing' }],
    });
    const local = await client.agent.service(id);
    expect(local).to.deep.include({ ID: id, Service: 'core-weights', Tags: ['master', 'v1'], Address: '127.0.0.7', Port: 8080, EnableTagOverride: true });
    expect(local?.Weights).to.deep.equal({ Passing: 10, Warning: 3 });
    expect(local?.TaggedAddresses.lan_ipv4).to.deep.equal({ Address: '127.0.0.7', Port: 8080 });
    const [instance] = await client.healthService('core-weights');
    expect(instance).to.deep.include({ ID: id, Address: '127.0.0.7', Port: 8080, Status: 'passing', Role: 'master' });
    expect(instance.Weights).to.deep.equal({ Passing: 10, Warning: 3 });
    expect(instance.Meta).to.deep.equal({ version: '1' });
    expect((await client.agent.services()).some((s) => s.ID === id)).to.equal(true);
    expect((await client.agent.checks()).find((c) => c.CheckID === `${id}:ttl`)?.Status).to.equal('passing');
    expect(await client.agent.service('no-such-service')).to.equal(undefined);
  });

  it('moves a TTL check through warn, fail and pass, and sees service maintenance', async () => {
    const id = serviceId('core-ttl');
    const check = `${id}:ttl`;
    await client.agent.register({ ID: id, Name: 'core-ttl', Port: 1, Checks: [{ CheckID: check, Name: 'ttl', TTL: '30s' }] });
    const statusOf = async () => (await client.healthService('core-ttl'))[0];
    await client.agent.warnCheck(check, 'slow');
    expect((await statusOf()).Status).to.equal('warning');
    await client.agent.failCheck(check, 'down');
    expect((await statusOf()).FailingChecks).to.deep.equal([check]);
    await client.agent.passCheck(check);
    await client.agent.updateCheck(check, 'passing', 'all good');
    expect((await statusOf()).Status).to.equal('passing');
    await client.agent.serviceMaintenance(id, true, 'testing');
    const inMaint = await statusOf();
    expect([inMaint.Maintenance, inMaint.Status]).to.deep.equal(['service', 'critical']);
    expect(await client.healthService('core-ttl', { passing: true })).to.deep.equal([]);
    await client.agent.serviceMaintenance(id, false);
    expect((await statusOf()).Maintenance).to.equal(undefined);
  });

  it('wakes a typed blocking read on a change and answers the index, leader and contact headers', async () => {
    const key = `${prefix}/blocking`;
    await client.kv.put(key, 'v1');
    const first = await client.blockingGet(`/kv/${key}`, parseKvEntries, { notFoundIsEmpty: true });
    expect(first.value[0].Value).to.equal('v1');
    expect(first.index).to.be.above(0);
    expect(first.knownLeader).to.equal(true);
    expect(first.lastContact).to.be.a('number');
    const started = Date.now();
    const blocked = client.blockingGet(`/kv/${key}`, parseKvEntries, { index: first.index, wait: '10s', notFoundIsEmpty: true });
    await new Promise((r) => setTimeout(r, 200));
    await client.kv.put(key, 'v2');
    const woken = await blocked;
    expect(woken.value[0].Value).to.equal('v2');
    expect(woken.index).to.be.above(first.index);
    expect(Date.now() - started).to.be.below(5000);
  });

  it('drives a BlockingWatcher with a typed read: a new instance wakes it', async () => {
    const name = `core-watch-${randomUUID().slice(0, 6)}`;
    const watcher = client.watch(healthServiceRead(name), { name: `health:${name}`, waitSeconds: 10 }).start();
    try {
      await waitFor(() => watcher.ready, { timeoutMs: 5000, message: 'the first answer' });
      expect(watcher.data).to.deep.equal([]);
      const id = serviceId(name);
      await client.agent.register({ ID: id, Name: name, Port: 9 });
      const seen = await waitFor(() => (watcher.data ?? []).map((i: ServiceInstance) => i.ID)[0], { timeoutMs: 5000, message: 'the watcher to see the instance' });
      expect(seen).to.equal(id);
      expect(watcher.requests).to.be.at.most(5);
    } finally {
      await watcher.stop();
    }
  });

  it('names the endpoint and field when an answer does not parse', async () => {
    const key = `${prefix}/not-a-number`;
    await client.kv.put(key, 'x');
    const err = await client.blocking(kvKeyRead(key), {}).then(() => undefined);
    expect(err).to.equal(undefined);
    const failure = await client.blockingGet(`/kv/${key}`, (body) => {
      const [entry] = parseKvEntries(body);
      return parseKvEntries([{ ...entry, Key: 5 }]);
    }).catch((e: unknown) => e);
    expect(failure).to.have.property('code', ERR_CONSUL_PAYLOAD);
    expect(String((failure as Error).message)).to.include(`GET /v1/kv/${key}`).and.include('[0].Key is 5');
  });

  it('puts with flags, cas and locks, deletes, and runs a transaction', async () => {
    const key = `${prefix}/kv`;
    expect(await client.kv.get(key)).to.equal(undefined);
    expect(await client.kv.put(key, 'one', { flags: 42 })).to.equal(true);
    const entry = await client.kv.get(key);
    expect(entry).to.deep.include({ Key: key, Value: 'one', Flags: 42 });
    expect(await client.kv.put(key, 'two', { cas: entry!.ModifyIndex + 1000 })).to.equal(false);
    expect(await client.kv.put(key, 'two', { cas: entry!.ModifyIndex })).to.equal(true);
    const session = await client.session.create({ Name: 'core-test', TTL: '15s', LockDelay: '0s' });
    try {
      expect(await client.kv.put(`${prefix}/lock`, 'held', { acquire: session })).to.equal(true);
      expect((await client.kv.get(`${prefix}/lock`))?.Session).to.equal(session);
      expect((await client.session.info(session))?.ID).to.equal(session);
      expect((await client.session.renew(session))?.ID).to.equal(session);
      expect(await client.kv.put(`${prefix}/lock`, '', { release: session })).to.equal(true);
      expect((await client.kv.get(`${prefix}/lock`))?.Session).to.equal(undefined);
    } finally {
      await client.session.destroy(session);
    }
    expect(await client.session.renew(session)).to.equal(undefined);
    const txn = await client.kv.txn([
      { verb: 'set', key: `${prefix}/t/a`, value: 'A' },
      { verb: 'set', key: `${prefix}/t/b`, value: 'B', flags: 7 },
    ]);
    expect(txn.ok).to.equal(true);
    expect((await client.kv.list(`${prefix}/t/`)).map((e) => [e.Key.slice(prefix.length), e.Value, e.Flags])).to.deep.equal([['/t/a', 'A', 0], ['/t/b', 'B', 7]]);
    expect(await client.kv.keys(`${prefix}/t/`)).to.deep.equal([`${prefix}/t/a`, `${prefix}/t/b`]);
    const rolledBack = await client.kv.txn([{ verb: 'check-not-exists', key: `${prefix}/t/a` }, { verb: 'set', key: `${prefix}/t/c`, value: 'C' }]);
    expect(rolledBack.ok).to.equal(false);
    expect(rolledBack.errors).to.have.length(1);
    expect(await client.kv.get(`${prefix}/t/c`)).to.equal(undefined);
    expect(await client.kv.delete(`${prefix}/t/`, { recurse: true })).to.equal(true);
    expect(await client.kv.list(`${prefix}/t/`)).to.deep.equal([]);
  });

  it('reads the catalog, health lists, the agent and the leader', async () => {
    const id = serviceId('core-catalog');
    await client.agent.register({ ID: id, Name: 'core-catalog', Tags: ['b', 'a'], Port: 5 });
    expect((await client.catalogServices()).find((s) => s.Name === 'core-catalog')?.Tags).to.deep.equal(['a', 'b']);
    expect((await client.catalogService('core-catalog')).map((i) => i.ServiceID)).to.deep.equal([id]);
    const nodes = await client.catalogNodes();
    expect(nodes.length).to.be.at.least(1);
    expect((await client.healthNode(nodes[0].Node)).some((c) => c.CheckID === 'serfHealth')).to.equal(true);
    expect(await client.healthState('any')).to.be.an('array');
    expect(await client.healthChecks('core-catalog')).to.deep.equal([]);
    const self = await client.agent.self();
    expect(self.NodeName).to.equal(nodes[0].Node);
    expect((await client.agent.members()).map((m) => m.Name)).to.include(self.NodeName);
    expect(await client.leader()).to.match(/:\d+$/);
    expect(await client.healthService('core-catalog', {}, { dc: self.Datacenter })).to.have.length(1);
  });

  it('blocks on one agent service by its content hash, and lists the datacenters', async () => {
    const id = serviceId('core-hash');
    await client.agent.register({ ID: id, Name: 'core-hash', Port: 1, Tags: ['a'] });
    const first = await client.agent.serviceByHash(id);
    expect(first.service?.Tags).to.deep.equal(['a']);
    expect(first.hash).to.be.a('string').and.not.equal('');
    const blocked = client.agent.serviceByHash(id, { hash: first.hash, wait: '10s' });
    await new Promise((r) => setTimeout(r, 100));
    await client.agent.register({ ID: id, Name: 'core-hash', Port: 1, Tags: ['b'] });
    const woken = await blocked;
    expect(woken.service?.Tags).to.deep.equal(['b']);
    expect(woken.hash).to.not.equal(first.hash);
    expect(await client.agent.serviceByHash('no-such-service')).to.deep.equal({});
    expect(await client.datacenters()).to.include((await client.agent.self()).Datacenter);
  });

  it('throws ERR_CONSUL_HTTP with the status on a refused write', async () => {
    const err = await client.agent.register({ Name: '', Port: 1 }).catch((e: unknown) => e);
    expect(err).to.have.property('code', ERR_CONSUL_HTTP);
    expect(err).to.have.property('status', 400);
  });
});

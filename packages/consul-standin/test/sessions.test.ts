// Contract: /v1/session/*, and what a session's end does to its locks (release, delete, lock-delay).

import { expect } from 'chai';
import { eventually, openTarget, standinOnly, Target, unique } from './support';

describe('consul-standin contract: sessions and locks', function () {
  let target: Target;
  let prefix: string;
  const sessions: string[] = [];

  before(async () => {
    target = await openTarget();
  });

  beforeEach(() => {
    prefix = `consul-standin-test/${unique('lock')}`;
  });

  afterEach(async () => {
    for (const id of sessions.splice(0)) await target.client.put(`/v1/session/destroy/${id}`);
    await target.client.delete(`/v1/kv/${prefix}?recurse`);
  });

  after(async () => {
    await target.stop();
  });

  async function create(body?: Record<string, unknown>): Promise<string> {
    const reply = await target.client.put('/v1/session/create', body);
    expect(reply.status, reply.text).to.equal(200);
    const id = reply.json().ID;
    expect(id).to.match(/^[0-9a-f-]{36}$/);
    sessions.push(id);
    return id;
  }

  const holder = async (key: string) => (await target.client.get(`/v1/kv/${key}`)).json()[0]?.Session as string | undefined;

  it('creates with Consul defaults and answers info, list, node with query metadata', async () => {
    const id = await create({ Name: 'defaults' });
    const info = await target.client.get(`/v1/session/info/${id}`);
    expect(Number(info.headers['x-consul-index'])).to.be.greaterThan(0);
    expect(info.headers['x-consul-knownleader']).to.equal('true');
    const [session] = info.json();
    expect(session).to.include({ ID: id, Name: 'defaults', Node: target.node, Behavior: 'release', LockDelay: 15e9, TTL: '' });
    expect(session.NodeChecks).to.deep.equal(['serfHealth']);
    expect(session).to.include.keys('CreateIndex', 'ModifyIndex');
    expect((await target.client.get('/v1/session/list')).json().map((s: { ID: string }) => s.ID)).to.include(id);
    expect((await target.client.get(`/v1/session/node/${target.node}`)).json().map((s: { ID: string }) => s.ID)).to.include(id);
    expect((await target.client.get(`/v1/session/info/${unique('x')}`)).json()).to.deep.equal([]);
  });

  it('renews a live session and answers 404 "Session id ... not found" for a gone one', async () => {
    const id = await create({ TTL: '30s', Behavior: 'delete', LockDelay: '5s' });
    const renewed = await target.client.put(`/v1/session/renew/${id}`);
    expect(renewed.status).to.equal(200);
    expect(renewed.json()[0]).to.include({ ID: id, TTL: '30s', Behavior: 'delete', LockDelay: 5e9 });
    expect((await target.client.put(`/v1/session/destroy/${id}`)).text).to.equal('true');
    const gone = await target.client.put(`/v1/session/renew/${id}`);
    expect(gone.status).to.equal(404);
    expect(gone.text).to.equal(`Session id '${id}' not found`);
  });

  it('rejects a TTL outside Consul\'s bounds and a bad Behavior', async () => {
    const short = await target.client.put('/v1/session/create', { TTL: '1ms' });
    expect(short.status).to.equal(500);
    expect(short.text).to.contain('Invalid Session TTL').and.contain('must be between');
    const long = await target.client.put('/v1/session/create', { TTL: '86401s' });
    expect(long.status).to.equal(500);
    const behavior = await target.client.put('/v1/session/create', { Behavior: 'explode' });
    expect(behavior.status).to.equal(500);
    expect(behavior.text).to.contain("Invalid Behavior setting 'explode'");
  });

  it('destroying a session releases its lock, and lock-delay holds other sessions off for a while', async () => {
    const key = `${prefix}/leader`;
    const a = await create({ Name: 'a', LockDelay: '2s' });
    const b = await create({ Name: 'b', LockDelay: '2s' });
    expect((await target.client.put(`/v1/kv/${key}?acquire=${a}`, 'a')).text).to.equal('true');
    await target.client.put(`/v1/session/destroy/${a}`);
    expect(await holder(key)).to.equal(undefined);
    const released = Date.now();
    expect((await target.client.put(`/v1/kv/${key}?acquire=${b}`, 'b')).text).to.equal('false');
    await eventually('lock-delay to end', async () => (await target.client.put(`/v1/kv/${key}?acquire=${b}`, 'b')).text === 'true', 6000, 100);
    expect(Date.now() - released).to.be.at.least(1500);
    expect(await holder(key)).to.equal(b);
  });

  it('Behavior "delete" deletes the held keys when the session ends', async () => {
    const key = `${prefix}/ephemeral`;
    const id = await create({ Behavior: 'delete', LockDelay: '0s' });
    await target.client.put(`/v1/kv/${key}?acquire=${id}`, 'x');
    await target.client.put(`/v1/session/destroy/${id}`);
    expect((await target.client.get(`/v1/kv/${key}`)).status).to.equal(404);
  });

  it('a session whose TTL lapses is invalidated, releasing its lock; lock-delay then holds others off', async function () {
    standinOnly(this, target, 'Consul\'s minimum TTL is 10 s and it waits up to 2x TTL');
    const key = `${prefix}/ttl`;
    const lapsing = await create({ TTL: '300ms', LockDelay: '1s' });
    const other = await create({ LockDelay: '0s' });
    expect((await target.client.put(`/v1/kv/${key}?acquire=${lapsing}`, 'x')).text).to.equal('true');
    const waiting = target.client.get(`/v1/kv/${key}?index=${(await target.client.get(`/v1/kv/${key}`)).json()[0].ModifyIndex}&wait=10s`);
    await eventually('the TTL to lapse and release the lock', async () => (await holder(key)) === undefined, 5000, 25);
    const released = Date.now();
    expect((await waiting).json()[0]).to.not.have.property('Session');
    expect((await target.client.put(`/v1/session/renew/${lapsing}`)).status).to.equal(404);
    expect((await target.client.put(`/v1/kv/${key}?acquire=${other}`, 'y')).text).to.equal('false');
    await eventually('lock-delay to end', async () => (await target.client.put(`/v1/kv/${key}?acquire=${other}`, 'y')).text === 'true', 5000, 50);
    expect(Date.now() - released).to.be.at.least(700);
  });

  it('renewing keeps a TTL session alive past its TTL', async function () {
    standinOnly(this, target, 'needs a sub-second TTL');
    const id = await create({ TTL: '300ms' });
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await target.client.put(`/v1/session/renew/${id}`)).status).to.equal(200);
    }
  });

  it('a session tied to a check is invalidated when the check turns critical', async () => {
    const check = unique('sess-check');
    await target.client.put('/v1/agent/check/register', { Name: check, TTL: '30s', Status: 'passing' });
    try {
      const id = await create({ NodeChecks: ['serfHealth', check], LockDelay: '0s' });
      await target.client.put(`/v1/kv/${prefix}/held?acquire=${id}`, 'x');
      await target.client.put(`/v1/agent/check/fail/${check}`);
      await eventually('the session to be invalidated', async () => (await target.client.get(`/v1/session/info/${id}`)).json().length === 0);
      expect(await holder(`${prefix}/held`)).to.equal(undefined);
      const refused = await target.client.put('/v1/session/create', { NodeChecks: [check] });
      expect(refused.status).to.equal(500);
      expect(refused.text).to.contain(`Check '${check}' is in critical state`);
    } finally {
      await target.client.put(`/v1/agent/check/deregister/${check}`);
    }
  });
});

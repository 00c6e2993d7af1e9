// Contract: /v1/kv/* reads, writes, deletes, CAS, locks and blocking reads.

import { expect } from 'chai';
import { openTarget, Target, unique } from './support';

describe('consul-standin contract: KV', function () {
  let target: Target;
  let prefix: string;

  before(async () => {
    target = await openTarget();
  });

  beforeEach(() => {
    prefix = `consul-standin-test/${unique('kv')}`;
  });

  afterEach(async () => {
    await target.client.delete(`/v1/kv/${prefix}?recurse`);
  });

  after(async () => {
    await target.stop();
  });

  it('PUT answers true; GET answers the entry with base64 Value and query metadata', async () => {
    const put = await target.client.put(`/v1/kv/${prefix}/a`, 'hello');
    expect(put.status).to.equal(200);
    expect(put.headers['content-type']).to.equal('application/json');
    expect(put.text).to.equal('true');
    const get = await target.client.get(`/v1/kv/${prefix}/a`);
    expect(get.status).to.equal(200);
    expect(Number(get.headers['x-consul-index'])).to.be.greaterThan(0);
    expect(get.headers['x-consul-knownleader']).to.equal('true');
    expect(get.headers['x-consul-lastcontact']).to.equal('0');
    const [entry] = get.json();
    expect(entry).to.include({ Key: `${prefix}/a`, Flags: 0, LockIndex: 0, Value: Buffer.from('hello').toString('base64') });
    expect(entry.CreateIndex).to.equal(entry.ModifyIndex);
    expect(entry).to.not.have.property('Session');
    expect(Number(get.headers['x-consul-index'])).to.equal(entry.ModifyIndex);
  });

  it('answers 404 with an empty body for a missing key, and null Value for an empty one', async () => {
    const missing = await target.client.get(`/v1/kv/${prefix}/missing`);
    expect(missing.status).to.equal(404);
    expect(missing.text).to.equal('');
    expect(Number(missing.headers['x-consul-index'])).to.be.greaterThan(0);
    await target.client.put(`/v1/kv/${prefix}/empty`, '');
    expect((await target.client.get(`/v1/kv/${prefix}/empty`)).json()[0].Value).to.equal(null);
  });

  it('?raw answers the bytes; ?flags= is stored', async () => {
    await target.client.put(`/v1/kv/${prefix}/raw?flags=42`, Buffer.from([0, 1, 2, 255]));
    const raw = await target.client.get(`/v1/kv/${prefix}/raw?raw`);
    expect([...raw.body]).to.deep.equal([0, 1, 2, 255]);
    expect((await target.client.get(`/v1/kv/${prefix}/raw`)).json()[0].Flags).to.equal(42);
  });

  it('?recurse lists a prefix in key order; ?keys&separator= folds at the separator', async () => {
    for (const key of ['b', 'a', 'dir/x', 'dir/y', 'dir/sub/z']) await target.client.put(`/v1/kv/${prefix}/${key}`, key);
    const recurse = (await target.client.get(`/v1/kv/${prefix}/?recurse`)).json();
    expect(recurse.map((e: { Key: string }) => e.Key)).to.deep.equal(
      ['a', 'b', 'dir/sub/z', 'dir/x', 'dir/y'].map((k) => `${prefix}/${k}`),
    );
    const keys = (await target.client.get(`/v1/kv/${prefix}/?keys&separator=/`)).json();
    expect(keys).to.deep.equal([`${prefix}/a`, `${prefix}/b`, `${prefix}/dir/`]);
    const all = (await target.client.get(`/v1/kv/${prefix}/?keys`)).json();
    expect(all).to.have.length(5);
    expect((await target.client.get(`/v1/kv/${prefix}-nothing/?recurse`)).status).to.equal(404);
  });

  it('DELETE answers true, with ?recurse for a subtree and ?cas= for a guarded delete', async () => {
    await target.client.put(`/v1/kv/${prefix}/one`, '1');
    await target.client.put(`/v1/kv/${prefix}/tree/a`, 'a');
    await target.client.put(`/v1/kv/${prefix}/tree/b`, 'b');
    const del = await target.client.delete(`/v1/kv/${prefix}/one`);
    expect(del.text).to.equal('true');
    expect((await target.client.get(`/v1/kv/${prefix}/one`)).status).to.equal(404);
    expect((await target.client.delete(`/v1/kv/${prefix}/tree?recurse`)).text).to.equal('true');
    expect((await target.client.get(`/v1/kv/${prefix}/tree?recurse`)).status).to.equal(404);
    await target.client.put(`/v1/kv/${prefix}/guarded`, 'g');
    const index = (await target.client.get(`/v1/kv/${prefix}/guarded`)).json()[0].ModifyIndex;
    expect((await target.client.delete(`/v1/kv/${prefix}/guarded?cas=${index + 1000}`)).text).to.equal('false');
    expect((await target.client.delete(`/v1/kv/${prefix}/guarded?cas=${index}`)).text).to.equal('true');
  });

  it('?cas=0 writes only if absent; ?cas=<ModifyIndex> only if unchanged', async () => {
    expect((await target.client.put(`/v1/kv/${prefix}/c?cas=0`, 'first')).text).to.equal('true');
    expect((await target.client.put(`/v1/kv/${prefix}/c?cas=0`, 'second')).text).to.equal('false');
    const index = (await target.client.get(`/v1/kv/${prefix}/c`)).json()[0].ModifyIndex;
    expect((await target.client.put(`/v1/kv/${prefix}/c?cas=${index}`, 'third')).text).to.equal('true');
    expect((await target.client.put(`/v1/kv/${prefix}/c?cas=${index}`, 'fourth')).text).to.equal('false');
    expect(Buffer.from((await target.client.get(`/v1/kv/${prefix}/c`)).json()[0].Value, 'base64').toString()).to.equal('third');
  });

  it('many concurrent PUT ?cas=0 on one key have exactly one winner', async () => {
    const racers = 25;
    const replies = await Promise.all(
      Array.from({ length: racers }, (_, i) => target.client.put(`/v1/kv/${prefix}/race?cas=0`, `racer-${i}`)),
    );
    const winners = replies.filter((r) => r.text === 'true');
    expect(winners).to.have.length(1);
    expect(replies.filter((r) => r.text === 'false')).to.have.length(racers - 1);
  });

  it('?acquire= takes a lock (LockIndex increments, Session set); ?release= frees it; others cannot take it', async () => {
    const a = (await target.client.put('/v1/session/create', { Name: unique('a'), LockDelay: '0s' })).json().ID;
    const b = (await target.client.put('/v1/session/create', { Name: unique('b'), LockDelay: '0s' })).json().ID;
    try {
      expect((await target.client.put(`/v1/kv/${prefix}/lock?acquire=${a}`, 'leader-a')).text).to.equal('true');
      let entry = (await target.client.get(`/v1/kv/${prefix}/lock`)).json()[0];
      expect(entry).to.include({ Session: a, LockIndex: 1 });
      expect((await target.client.put(`/v1/kv/${prefix}/lock?acquire=${b}`, 'leader-b')).text).to.equal('false');
      expect((await target.client.put(`/v1/kv/${prefix}/lock?release=${b}`)).text).to.equal('false');
      expect((await target.client.put(`/v1/kv/${prefix}/lock?release=${a}`, 'released')).text).to.equal('true');
      entry = (await target.client.get(`/v1/kv/${prefix}/lock`)).json()[0];
      expect(entry).to.not.have.property('Session');
      expect(entry.LockIndex).to.equal(1);
      expect((await target.client.put(`/v1/kv/${prefix}/lock?acquire=${b}`, 'leader-b')).text).to.equal('true');
      expect((await target.client.get(`/v1/kv/${prefix}/lock`)).json()[0]).to.include({ Session: b, LockIndex: 2 });
      const conflicting = await target.client.put(`/v1/kv/${prefix}/lock?acquire=${b}&cas=0`);
      expect(conflicting.status).to.equal(400);
      expect(conflicting.text).to.contain('Conflicting flags');
    } finally {
      await target.client.put(`/v1/session/destroy/${a}`);
      await target.client.put(`/v1/session/destroy/${b}`);
    }
  });

  it('a blocking GET is woken by a write to the key and reports the new index', async () => {
    await target.client.put(`/v1/kv/${prefix}/watched`, 'v1');
    const first = await target.client.get(`/v1/kv/${prefix}/watched`);
    const index = Number(first.headers['x-consul-index']);
    const started = Date.now();
    const waiting = target.client.get(`/v1/kv/${prefix}/watched?index=${index}&wait=30s`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await target.client.put(`/v1/kv/${prefix}/watched`, 'v2');
    const woken = await waiting;
    expect(Date.now() - started).to.be.lessThan(10_000);
    expect(Number(woken.headers['x-consul-index'])).to.be.greaterThan(index);
    expect(Buffer.from(woken.json()[0].Value, 'base64').toString()).to.equal('v2');
  });

  it('a blocking ?recurse GET is woken by a new key under the prefix', async () => {
    await target.client.put(`/v1/kv/${prefix}/dir/a`, 'a');
    const index = Number((await target.client.get(`/v1/kv/${prefix}/dir/?recurse`)).headers['x-consul-index']);
    const waiting = target.client.get(`/v1/kv/${prefix}/dir/?recurse&index=${index}&wait=30s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await target.client.put(`/v1/kv/${prefix}/dir/b`, 'b');
    expect((await waiting).json()).to.have.length(2);
  });

  it('a blocking GET returns on ?wait= when nothing changes', async () => {
    await target.client.put(`/v1/kv/${prefix}/still`, 'v');
    const index = Number((await target.client.get(`/v1/kv/${prefix}/still`)).headers['x-consul-index']);
    const started = Date.now();
    const reply = await target.client.get(`/v1/kv/${prefix}/still?index=${index}&wait=300ms`);
    expect(Date.now() - started).to.be.at.least(280).and.lessThan(5000);
    expect(reply.status).to.equal(200);
    expect(Number(reply.headers['x-consul-index'])).to.equal(index);
  });

  it('holds 1,000 concurrent blocking GETs on one key and wakes them all with one write', async function () {
    if (target.real) {
      this.test!.title += ' (skipped on a real agent: load test for the stand-in)';
      this.skip();
    }
    // 1,000 connections from one address: beyond Consul's per-client limit (200), lifted for this load test.
    const limit = target.standin!.httpMaxConnsPerClient;
    target.standin!.httpMaxConnsPerClient = 0;
    await target.client.put(`/v1/kv/${prefix}/hot`, 'v1');
    const index = Number((await target.client.get(`/v1/kv/${prefix}/hot`)).headers['x-consul-index']);
    const waiters = Array.from({ length: 1000 }, () => target.client.get(`/v1/kv/${prefix}/hot?index=${index}&wait=60s`, { timeoutMs: 30_000 }));
    const standin = target.standin!;
    const deadline = Date.now() + 10_000;
    while (standin.parkedQueries < 1000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(standin.parkedQueries).to.equal(1000);
    const started = Date.now();
    await target.client.put(`/v1/kv/${prefix}/hot`, 'v2');
    const replies = await Promise.all(waiters);
    expect(Date.now() - started).to.be.lessThan(5000);
    expect(replies.every((r) => r.status === 200 && Number(r.headers['x-consul-index']) > index)).to.equal(true);
    expect(standin.parkedQueries).to.equal(0);
    standin.httpMaxConnsPerClient = limit;
  });
});

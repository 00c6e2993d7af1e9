// Contract: PUT /v1/txn with KV operations, all or nothing.

import { expect } from 'chai';
import { openTarget, Target, unique } from './support';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('consul-standin contract: transactions', function () {
  let target: Target;
  let prefix: string;

  before(async () => {
    target = await openTarget();
  });

  beforeEach(() => {
    prefix = `consul-standin-test/${unique('txn')}`;
  });

  afterEach(async () => {
    await target.client.delete(`/v1/kv/${prefix}?recurse`);
  });

  after(async () => {
    await target.stop();
  });

  it('applies sets and reads in one transaction: 200 with Results and Errors null', async () => {
    const reply = await target.client.put('/v1/txn', [
      { KV: { Verb: 'set', Key: `${prefix}/a`, Value: b64('1') } },
      { KV: { Verb: 'set', Key: `${prefix}/b`, Value: b64('2'), Flags: 7 } },
      { KV: { Verb: 'get', Key: `${prefix}/a` } },
      { KV: { Verb: 'check-not-exists', Key: `${prefix}/c` } },
    ]);
    expect(reply.status, reply.text).to.equal(200);
    const body = reply.json();
    expect(body.Errors).to.equal(null);
    expect(body.Results).to.have.length(3);
    expect(body.Results[0].KV).to.include({ Key: `${prefix}/a`, Value: null });
    expect(body.Results[1].KV).to.include({ Key: `${prefix}/b`, Flags: 7 });
    expect(body.Results[2].KV).to.include({ Key: `${prefix}/a`, Value: b64('1') });
    const tree = await target.client.put('/v1/txn', [{ KV: { Verb: 'get-tree', Key: `${prefix}/` } }]);
    expect(tree.json().Results.map((r: { KV: { Key: string } }) => r.KV.Key)).to.deep.equal([`${prefix}/a`, `${prefix}/b`]);
  });

  it('fails as a whole: 409 with every error by OpIndex, and nothing written', async () => {
    await target.client.put(`/v1/kv/${prefix}/exists`, 'x');
    const reply = await target.client.put('/v1/txn', [
      { KV: { Verb: 'set', Key: `${prefix}/new`, Value: b64('n') } },
      { KV: { Verb: 'cas', Key: `${prefix}/exists`, Value: b64('y'), Index: 1 } },
      { KV: { Verb: 'check-not-exists', Key: `${prefix}/exists` } },
      { KV: { Verb: 'delete', Key: `${prefix}/exists` } },
    ]);
    expect(reply.status).to.equal(409);
    expect(reply.headers['content-type']).to.equal('application/json');
    const body = reply.json();
    expect(body.Results).to.equal(null);
    expect(body.Errors.map((e: { OpIndex: number }) => e.OpIndex)).to.deep.equal([1, 2]);
    expect(body.Errors[0].What).to.contain('index is stale');
    expect(body.Errors[1].What).to.contain('exists');
    expect((await target.client.get(`/v1/kv/${prefix}/new`)).status).to.equal(404);
    expect((await target.client.get(`/v1/kv/${prefix}/exists`)).status).to.equal(200);
  });

  it('check-index, delete-cas, delete-tree, lock and unlock', async () => {
    await target.client.put(`/v1/kv/${prefix}/k`, 'v');
    const index = (await target.client.get(`/v1/kv/${prefix}/k`)).json()[0].ModifyIndex;
    const session = (await target.client.put('/v1/session/create', { LockDelay: '0s' })).json().ID;
    try {
      const ok = await target.client.put('/v1/txn', [
        { KV: { Verb: 'check-index', Key: `${prefix}/k`, Index: index } },
        { KV: { Verb: 'lock', Key: `${prefix}/l`, Value: b64('held'), Session: session } },
        { KV: { Verb: 'set', Key: `${prefix}/t/1`, Value: b64('1') } },
      ]);
      expect(ok.status, ok.text).to.equal(200);
      expect((await target.client.get(`/v1/kv/${prefix}/l`)).json()[0].Session).to.equal(session);
      const more = await target.client.put('/v1/txn', [
        { KV: { Verb: 'unlock', Key: `${prefix}/l`, Session: session } },
        { KV: { Verb: 'delete-cas', Key: `${prefix}/k`, Index: index } },
        { KV: { Verb: 'delete-tree', Key: `${prefix}/t/` } },
      ]);
      expect(more.status, more.text).to.equal(200);
      expect((await target.client.get(`/v1/kv/${prefix}/l`)).json()[0]).to.not.have.property('Session');
      expect((await target.client.get(`/v1/kv/${prefix}/k`)).status).to.equal(404);
      expect((await target.client.get(`/v1/kv/${prefix}/t/?recurse`)).status).to.equal(404);
    } finally {
      await target.client.put(`/v1/session/destroy/${session}`);
    }
  });

  it('refuses more than 64 operations with 413 and a body it cannot parse with 400', async () => {
    const ops = Array.from({ length: 65 }, (_, i) => ({ KV: { Verb: 'get', Key: `${prefix}/${i}` } }));
    const tooMany = await target.client.put('/v1/txn', ops);
    expect(tooMany.status).to.equal(413);
    expect(tooMany.text).to.equal('Transaction contains too many operations (65 > 64)');
    const bad = await target.client.put('/v1/txn', '{not json');
    expect(bad.status).to.equal(400);
    expect(bad.text).to.match(/^Failed to parse body: /);
  });
});

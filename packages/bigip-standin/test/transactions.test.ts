import { expect } from 'chai';
import { membersUrl, POOL, poolUrl, startHarness, waitFor, type Harness } from './helpers';

const TRANSACTION = '/mgmt/tm/transaction';

describe('bigip-standin transactions', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness({ transactionTimeoutSeconds: 1 });
    await harness.api.post(POOL, { name: 'web', members: [{ name: '10.0.0.1:80' }] });
  });
  afterEach(() => harness.standin.stop());

  async function begin(): Promise<{ transId: number; headers: Record<string, string> }> {
    const response = await harness.api.post(TRANSACTION, {});
    expect(response.status).to.equal(200);
    return { transId: response.data.transId as number, headers: { 'X-F5-REST-Coordination-Id': String(response.data.transId) } };
  }

  it('starts a transaction with the documented shape', async () => {
    const response = await harness.api.post(TRANSACTION, {});
    expect(response.data).to.include({ state: 'STARTED', timeoutSeconds: 1, asyncExecution: false, kind: 'tm:transactionstate' });
    expect(response.data.transId).to.be.a('number');
    expect(response.data.selfLink).to.equal(`https://localhost/mgmt/tm/transaction/${response.data.transId}?ver=15.1.0`);
    const defaults = await startHarness();
    try {
      expect((await defaults.api.post(TRANSACTION, {})).data.timeoutSeconds).to.equal(30);
    } finally {
      await defaults.standin.stop();
    }
  });

  it('queues enlisted requests (reply is the command, not the object) and applies them on commit', async () => {
    const { transId, headers } = await begin();
    const queued = await harness.api.post(membersUrl('web'), { name: '10.0.0.2:80' }, { headers });
    expect(queued.status).to.equal(200);
    expect(queued.data).to.deep.equal({
      method: 'POST',
      uri: 'https://localhost/mgmt/tm/ltm/pool/~Common~web/members',
      body: { name: '10.0.0.2:80' },
      evalOrder: 1,
      commandId: 1,
      kind: 'tm:transaction:commandsstate',
      selfLink: `https://localhost/mgmt/tm/transaction/${transId}/commands/1?ver=15.1.0`,
    });
    await harness.api.delete(`${membersUrl('web')}/~Common~10.0.0.1:80`, { headers });
    // Nothing happened yet.
    expect((await harness.api.get(membersUrl('web'))).data.items.map((member: { name: string }) => member.name)).to.deep.equal(['10.0.0.1:80']);

    const commands = await harness.api.get(`${TRANSACTION}/${transId}/commands`);
    expect(commands.data.items.map((command: { method: string }) => command.method)).to.deep.equal(['POST', 'DELETE']);

    const committed = await harness.api.patch(`${TRANSACTION}/${transId}`, { state: 'VALIDATING' });
    expect(committed.status).to.equal(200);
    expect(committed.data.state).to.equal('COMPLETED');
    expect((await harness.api.get(membersUrl('web'))).data.items.map((member: { name: string }) => member.name)).to.deep.equal(['10.0.0.2:80']);
    expect(harness.standin.counters().byRoute[`POST ${TRANSACTION}`]).to.equal(1);
  });

  it('is all-or-nothing: one failing command fails the commit and changes nothing', async () => {
    const { transId, headers } = await begin();
    await harness.api.post(membersUrl('web'), { name: '10.0.0.2:80' }, { headers });
    await harness.api.patch(poolUrl('web'), { description: 'changed' }, { headers });
    await harness.api.post(membersUrl('web'), { name: '10.0.0.1:80' }, { headers });
    const generation = harness.standin.snapshot().generation;

    const committed = await harness.api.patch(`${TRANSACTION}/${transId}`, { state: 'VALIDATING' });
    expect(committed.status).to.equal(400);
    expect(committed.data.message).to.equal('transaction failed:01020066:3: The requested Pool Member (/Common/web /Common/10.0.0.1 80) already exists in partition Common.');
    expect(committed.data.errorStack).to.deep.equal([]);

    const pool = await harness.api.get(poolUrl('web'));
    expect(pool.data).not.to.have.property('description');
    expect((await harness.api.get(membersUrl('web'))).data.items).to.have.length(1);
    expect((await harness.api.get('/mgmt/tm/ltm/node/~Common~10.0.0.2')).status).to.equal(404);
    expect(harness.standin.snapshot().generation).to.equal(generation);
    expect((await harness.api.get(`${TRANSACTION}/${transId}`)).data).to.include({ state: 'FAILED' });
  });

  it('rejects a commit that carries the coordination header', async () => {
    const { transId, headers } = await begin();
    await harness.api.post(membersUrl('web'), { name: '10.0.0.2:80' }, { headers });
    const withHeader = await harness.api.patch(`${TRANSACTION}/${transId}`, { state: 'VALIDATING' }, { headers });
    expect(withHeader.status).to.equal(400);
    expect((await harness.api.get(membersUrl('web'))).data.items).to.have.length(1);
    // The transaction is still open and commits properly without the header.
    expect((await harness.api.patch(`${TRANSACTION}/${transId}`, { state: 'VALIDATING' })).data.state).to.equal('COMPLETED');
  });

  it('rejects bad commits: other states, empty transactions, unknown ids, unregistered URIs', async () => {
    const { transId, headers } = await begin();
    expect((await harness.api.patch(`${TRANSACTION}/${transId}`, { state: 'COMPLETED' })).status).to.equal(400);
    expect((await harness.api.patch(`${TRANSACTION}/${transId}`, { state: 'VALIDATING' })).status).to.equal(400);
    expect((await harness.api.post('/mgmt/tm/ltm/rule', { name: 'r' }, { headers })).status).to.equal(404);
    expect((await harness.api.post(membersUrl('web'), { name: '10.0.0.3:80' }, { headers: { 'X-F5-REST-Coordination-Id': '12345' } })).status).to.equal(404);
  });

  it('discards an uncommitted transaction after timeoutSeconds', async () => {
    const { transId, headers } = await begin();
    await harness.api.post(membersUrl('web'), { name: '10.0.0.2:80' }, { headers });
    await waitFor('the transaction to expire', async () => (await harness.api.get(`${TRANSACTION}/${transId}`)).status === 404, 4000, 100);
    expect((await harness.api.patch(`${TRANSACTION}/${transId}`, { state: 'VALIDATING' })).status).to.equal(404);
    expect((await harness.api.post(membersUrl('web'), { name: '10.0.0.3:80' }, { headers })).status).to.equal(404);
    expect((await harness.api.get(membersUrl('web'))).data.items).to.have.length(1);
  });

  it('reorders and deletes queued commands', async () => {
    const { transId, headers } = await begin();
    await harness.api.post(POOL, { name: 'second' }, { headers });
    await harness.api.delete(poolUrl('web'), { headers });
    await harness.api.post(POOL, { name: 'web' }, { headers });
    const moved = await harness.api.patch(`${TRANSACTION}/${transId}/commands/3`, { evalOrder: 1 });
    expect(moved.data.evalOrder).to.equal(1);
    expect((await harness.api.delete(`${TRANSACTION}/${transId}/commands/2`)).status).to.equal(200);
    // Now: create web (exists: 409) first, then second; the commit fails on the first.
    const committed = await harness.api.patch(`${TRANSACTION}/${transId}`, { state: 'VALIDATING' });
    expect(committed.status).to.equal(400);
    expect(committed.data.message).to.match(/^transaction failed:01020066:3: The requested Pool \(\/Common\/web\) already exists/);
  });
});

import { expect } from 'chai';
import { memberUrl, membersUrl, POOL, poolUrl, startHarness, type Harness } from './helpers';

const NODE = '/mgmt/tm/ltm/node';

describe('bigip-standin ltm node', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
    await harness.api.post(POOL, { name: 'web', members: [{ name: '10.0.0.1:80' }] });
  });
  afterEach(() => harness.standin.stop());

  it('creates a node named by the address with each new member', async () => {
    const node = await harness.api.get(`${NODE}/~Common~10.0.0.1`);
    expect(node.status).to.equal(200);
    expect(node.data).to.include({ kind: 'tm:ltm:node:nodestate', name: '10.0.0.1', address: '10.0.0.1', fullPath: '/Common/10.0.0.1', state: 'unchecked', session: 'user-enabled' });
    const collection = await harness.api.get(NODE);
    expect(collection.data.kind).to.equal('tm:ltm:node:nodecollectionstate');
    // A second member on the same address reuses the node.
    await harness.api.post(membersUrl('web'), { name: '10.0.0.1:443' });
    expect((await harness.api.get(NODE)).data.items).to.have.length(1);
  });

  it('leaves the node when its member is deleted', async () => {
    await harness.api.delete(memberUrl('web', '10.0.0.1:80'));
    expect((await harness.api.get(`${NODE}/~Common~10.0.0.1`)).status).to.equal(200);
  });

  it('refuses to delete a node a member still uses, with mcpd\'s text', async () => {
    const response = await harness.api.delete(`${NODE}/~Common~10.0.0.1`);
    expect(response.status).to.equal(400);
    expect(response.data).to.deep.equal({ code: 400, message: "01070110:3: Node address '/Common/10.0.0.1' is referenced by a member of pool '/Common/web'.", errorStack: [], apiError: 3 });
    await harness.api.delete(poolUrl('web'));
    expect((await harness.api.delete(`${NODE}/~Common~10.0.0.1`)).status).to.equal(200);
    const gone = await harness.api.get(`${NODE}/~Common~10.0.0.1`);
    expect(gone.status).to.equal(404);
    expect(gone.data.message).to.equal('01020036:3: The requested Node (/Common/10.0.0.1) was not found.');
  });

  it('creates named nodes and members that use them', async () => {
    const node = await harness.api.post(NODE, { name: 'app1', address: '10.0.0.7' });
    expect(node.status).to.equal(200);
    const member = await harness.api.post(membersUrl('web'), { name: 'app1:8080' });
    expect(member.data).to.include({ name: 'app1:8080', address: '10.0.0.7' });
    expect((await harness.api.post(NODE, { name: 'app2', address: '10.0.0.7' })).status).to.equal(400);
    expect((await harness.api.post(NODE, { name: 'app1', address: '10.0.0.8' })).status).to.equal(409);
    expect((await harness.api.post(membersUrl('web'), { name: 'ghost:80' })).status).to.equal(404);
  });

  it('takes members out of the traffic when the node is disabled', async () => {
    await harness.api.patch(`${NODE}/~Common~10.0.0.1`, { session: 'user-disabled' });
    expect(harness.standin.traffic('/Common/web').receiving).to.deep.equal([]);
  });
});

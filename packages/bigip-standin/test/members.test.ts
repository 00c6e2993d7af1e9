import { expect } from 'chai';
import { memberUrl, membersUrl, POOL, poolUrl, startHarness, type Harness } from './helpers';

describe('bigip-standin pool members', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
    await harness.api.post(POOL, { name: 'web' });
  });
  afterEach(() => harness.standin.stop());

  it('creates a member with defaults and the address derived from its name', async () => {
    const response = await harness.api.post(membersUrl('web'), { name: '10.0.0.1:80' });
    expect(response.status).to.equal(200);
    expect(response.data).to.include({
      kind: 'tm:ltm:pool:members:membersstate',
      name: '10.0.0.1:80',
      partition: 'Common',
      fullPath: '/Common/10.0.0.1:80',
      address: '10.0.0.1',
      priorityGroup: 0,
      ratio: 1,
      state: 'unchecked',
      session: 'user-enabled',
      ephemeral: 'false',
      selfLink: 'https://localhost/mgmt/tm/ltm/pool/~Common~web/members/~Common~10.0.0.1:80?ver=15.1.0',
    });
    const collection = await harness.api.get(membersUrl('web'));
    expect(collection.data.kind).to.equal('tm:ltm:pool:members:memberscollectionstate');
    expect(collection.data.items).to.have.length(1);
  });

  it('names IPv6 members addr.port', async () => {
    const response = await harness.api.post(membersUrl('web'), { name: '2001:db8::1.443' });
    expect(response.data).to.include({ name: '2001:db8::1.443', address: '2001:db8::1' });
    expect((await harness.api.get(memberUrl('web', '2001:db8::1.443'))).status).to.equal(200);
    const colonForm = await harness.api.post(membersUrl('web'), { name: '2001:db8::2:443' });
    expect(colonForm.status).to.equal(400);
  });

  it('answers 409 and 404 with the exact mcpd texts', async () => {
    await harness.api.post(membersUrl('web'), { name: '10.0.0.1:80' });
    const again = await harness.api.post(membersUrl('web'), { name: '10.0.0.1:80' });
    expect(again.status).to.equal(409);
    expect(again.data).to.deep.equal({
      code: 409,
      message: '01020066:3: The requested Pool Member (/Common/web /Common/10.0.0.1 80) already exists in partition Common.',
      errorStack: [],
      apiError: 3,
    });
    const missing = await harness.api.get(memberUrl('web', '10.0.0.9:80'));
    expect(missing.status).to.equal(404);
    expect(missing.data.message).to.equal('01020036:3: The requested Pool Member (/Common/web /Common/10.0.0.9 80) was not found.');
    const noPool = await harness.api.post(membersUrl('nope'), { name: '10.0.0.1:80' });
    expect(noPool.status).to.equal(404);
    expect(noPool.data.message).to.equal('01020036:3: The requested Pool (/Common/nope) was not found.');
  });

  it('accepts only user-up/user-down and user-enabled/user-disabled on write', async () => {
    await harness.api.post(membersUrl('web'), { name: '10.0.0.1:80' });
    for (const body of [{ state: 'up' }, { state: 'down' }, { state: 'unchecked' }, { session: 'monitor-enabled' }, { session: 'enabled' }, { state: 'user-up', session: 'disabled' }]) {
      const response = await harness.api.patch(memberUrl('web', '10.0.0.1:80'), body);
      expect(response.status, JSON.stringify(body)).to.equal(400);
    }
    const drained = await harness.api.patch(memberUrl('web', '10.0.0.1:80'), { state: 'user-up', session: 'user-disabled' });
    expect(drained.status).to.equal(200);
    expect(drained.data).to.include({ state: 'unchecked', session: 'user-disabled' });
    const offline = await harness.api.patch(memberUrl('web', '10.0.0.1:80'), { state: 'user-down' });
    expect(offline.data).to.include({ state: 'user-down', session: 'user-disabled' });
    const enabled = await harness.api.patch(memberUrl('web', '10.0.0.1:80'), { state: 'user-up', session: 'user-enabled' });
    expect(enabled.data).to.include({ state: 'unchecked', session: 'user-enabled' });
  });

  it('reads up/down and monitor-enabled when a monitor applies', async () => {
    await harness.api.patch(poolUrl('web'), { monitor: 'http' });
    await harness.api.post(membersUrl('web'), { name: '10.0.0.1:80' });
    expect((await harness.api.get(memberUrl('web', '10.0.0.1:80'))).data).to.include({ state: 'up', session: 'monitor-enabled' });
    harness.standin.setMonitorStatus('/Common/web', '10.0.0.1:80', 'down');
    expect((await harness.api.get(memberUrl('web', '10.0.0.1:80'))).data).to.include({ state: 'down', session: 'monitor-enabled' });
  });

  it('PATCH keeps what it does not name; PUT resets it to defaults', async () => {
    await harness.api.post(membersUrl('web'), { name: '10.0.0.1:80', description: 'master', priorityGroup: 10, ratio: 3 });
    const patched = await harness.api.patch(memberUrl('web', '10.0.0.1:80'), { ratio: 5 });
    expect(patched.data).to.include({ description: 'master', priorityGroup: 10, ratio: 5 });
    const put = await harness.api.put(memberUrl('web', '10.0.0.1:80'), { priorityGroup: 9 });
    expect(put.data).to.include({ priorityGroup: 9, ratio: 1 });
    expect(put.data).not.to.have.property('description');
    // priorityGroup 0 must be settable explicitly (terraform-provider-bigip#1120).
    expect((await harness.api.patch(memberUrl('web', '10.0.0.1:80'), { priorityGroup: 0 })).data.priorityGroup).to.equal(0);
  });

  it('keeps address read-only and names immutable', async () => {
    await harness.api.post(membersUrl('web'), { name: '10.0.0.1:80' });
    expect((await harness.api.patch(memberUrl('web', '10.0.0.1:80'), { address: '10.0.0.1', ratio: 2 })).status).to.equal(200);
    expect((await harness.api.patch(memberUrl('web', '10.0.0.1:80'), { address: '10.0.0.2' })).status).to.equal(400);
    expect((await harness.api.patch(memberUrl('web', '10.0.0.1:80'), { name: '10.0.0.1:81' })).status).to.equal(400);
  });

  it('pool PUT with members replaces the membership atomically', async () => {
    await harness.api.put(poolUrl('web'), { members: [{ name: '10.0.0.1:80', priorityGroup: 10 }, { name: '10.0.0.2:80', priorityGroup: 9 }] });
    const replaced = await harness.api.put(poolUrl('web'), { members: [{ name: '10.0.0.2:80' }, { name: '10.0.0.3:80' }] });
    expect(replaced.status).to.equal(200);
    const names = (await harness.api.get(membersUrl('web'))).data.items.map((member: { name: string; priorityGroup: number }) => [member.name, member.priorityGroup]);
    // PUT: listed existing members are reset too (10.0.0.2 loses priorityGroup 9).
    expect(names).to.deep.equal([['10.0.0.2:80', 0], ['10.0.0.3:80', 0]]);

    const failing = await harness.api.put(poolUrl('web'), { members: [{ name: '10.0.0.4:80' }, { name: '10.0.0.5:80', state: 'up' }] });
    expect(failing.status).to.equal(400);
    const unchanged = (await harness.api.get(membersUrl('web'))).data.items.map((member: { name: string }) => member.name);
    expect(unchanged).to.deep.equal(['10.0.0.2:80', '10.0.0.3:80']);
    expect((await harness.api.get('/mgmt/tm/ltm/node/~Common~10.0.0.4')).status).to.equal(404);
  });

  it('pool PATCH with members replaces the membership but keeps listed members\' attributes', async () => {
    await harness.api.patch(poolUrl('web'), { description: 'keep', members: [{ name: '10.0.0.1:80', priorityGroup: 10 }, { name: '10.0.0.2:80' }] });
    const patched = await harness.api.patch(poolUrl('web'), { members: [{ name: '10.0.0.1:80' }] });
    expect(patched.data.description).to.equal('keep');
    const items = (await harness.api.get(membersUrl('web'))).data.items;
    expect(items.map((member: { name: string; priorityGroup: number }) => [member.name, member.priorityGroup])).to.deep.equal([['10.0.0.1:80', 10]]);
  });

  it('deletes a member with 200 and an empty body', async () => {
    await harness.api.post(membersUrl('web'), { name: '10.0.0.1:80' });
    const deleted = await harness.api.delete(memberUrl('web', '10.0.0.1:80'));
    expect(deleted.status).to.equal(200);
    expect(deleted.data).to.equal('');
    expect((await harness.api.delete(memberUrl('web', '10.0.0.1:80'))).status).to.equal(404);
  });

  it('validates member fields', async () => {
    const cases = [{ name: '10.0.0.1' }, { name: '10.0.0.1:99999' }, { name: '10.0.0.1:80', ratio: 0 }, { name: '10.0.0.1:80', priorityGroup: '10' }, { name: '10.0.0.1:80', bogus: true }, { priorityGroup: 1 }];
    for (const body of cases) expect((await harness.api.post(membersUrl('web'), body)).status, JSON.stringify(body)).to.equal(400);
  });
});

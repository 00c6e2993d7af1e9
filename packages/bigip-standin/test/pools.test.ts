import { expect } from 'chai';
import { POOL, poolUrl, startHarness, type Harness } from './helpers';

describe('bigip-standin ltm pool', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(() => harness.standin.stop());

  it('lists an empty collection without "items", as BIG-IP does', async () => {
    const response = await harness.api.get(POOL);
    expect(response.status).to.equal(200);
    expect(response.data).to.deep.equal({ kind: 'tm:ltm:pool:poolcollectionstate', selfLink: 'https://localhost/mgmt/tm/ltm/pool?ver=15.1.0' });
  });

  it('creates a pool with BIG-IP defaults and answers 200 with the object', async () => {
    const response = await harness.api.post(POOL, { name: 'web' });
    expect(response.status).to.equal(200);
    expect(response.data).to.include({
      kind: 'tm:ltm:pool:poolstate',
      name: 'web',
      partition: 'Common',
      fullPath: '/Common/web',
      selfLink: 'https://localhost/mgmt/tm/ltm/pool/~Common~web?ver=15.1.0',
      loadBalancingMode: 'round-robin',
      minActiveMembers: 0,
    });
    expect(response.data).not.to.have.property('monitor');
    expect(response.data).not.to.have.property('description');
    expect(response.data.membersReference).to.deep.equal({ link: 'https://localhost/mgmt/tm/ltm/pool/~Common~web/members?ver=15.1.0', isSubcollection: true });
    expect(response.data.generation).to.be.a('number');
  });

  it('creates with members, monitor and description; GET by ~Partition~name and by bare name', async () => {
    await harness.api.post(POOL, { name: 'web', monitor: '/Common/http', description: 'front', minActiveMembers: 1, members: [{ name: '10.0.0.1:80' }] });
    const pool = await harness.api.get(poolUrl('web'));
    expect(pool.data).to.include({ monitor: '/Common/http ', description: 'front', minActiveMembers: 1 });
    const bare = await harness.api.get(`${POOL}/web`);
    expect(bare.data.fullPath).to.equal('/Common/web');
    const expanded = await harness.api.get(poolUrl('web'), { params: { expandSubcollections: 'true' } });
    expect(expanded.data.membersReference.items.map((member: { name: string }) => member.name)).to.deep.equal(['10.0.0.1:80']);
  });

  it('answers 409 for an existing pool and 404 with the mcpd text for a missing one', async () => {
    await harness.api.post(POOL, { name: 'web' });
    const again = await harness.api.post(POOL, { name: 'web' });
    expect(again.status).to.equal(409);
    expect(again.data).to.deep.equal({ code: 409, message: '01020066:3: The requested Pool (/Common/web) already exists in partition Common.', errorStack: [], apiError: 3 });
    const missing = await harness.api.get(poolUrl('nope'));
    expect(missing.status).to.equal(404);
    expect(missing.data).to.deep.equal({ code: 404, message: '01020036:3: The requested Pool (/Common/nope) was not found.', errorStack: [], apiError: 3 });
  });

  it('rejects unknown properties, wrong types, unknown monitors, missing partitions and bad enums with 400', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: 'a', foo: 'bar' }, /^Found unexpected json pair at configuration item \/ltm\/pool\. The json pair "foo":"bar"/],
      [{ name: 'a', minActiveMembers: '1' }, /minActiveMembers/],
      [{ name: 'a', minActiveMembers: -1 }, /minActiveMembers/],
      [{ name: 'a', loadBalancingMode: 'fastest' }, /loadBalancingMode/],
      [{ name: 'a', monitor: '/Common/nosuch' }, /^01020036:3: The requested monitor \(\/Common\/nosuch\) was not found\.$/],
      [{ name: 'a', partition: 'Other' }, /^The requested folder \(\/Other\) was not found\.$/],
      [{ name: 'a', members: {} }, /members/],
      [{ name: 'a', members: ['10.0.0.1:80'] }, /"members" .*array of member objects/],
      [{ name: 'a<b>' }, /HTML Tag-like Content/],
      [{ description: 'no name' }, /name/],
    ];
    for (const [body, message] of cases) {
      const response = await harness.api.post(POOL, body);
      expect(response.status, JSON.stringify(body)).to.equal(400);
      expect(response.data.message, JSON.stringify(body)).to.match(message);
      expect(response.data.errorStack).to.deep.equal([]);
    }
    expect((await harness.api.get(POOL)).data.items).to.equal(undefined);
  });

  it('PATCH changes only what it names; PUT resets everything it leaves out', async () => {
    await harness.api.post(POOL, { name: 'web', description: 'front', monitor: 'http', loadBalancingMode: 'least-connections-member' });
    const patched = await harness.api.patch(poolUrl('web'), { minActiveMembers: 1 });
    expect(patched.status).to.equal(200);
    expect(patched.data).to.include({ description: 'front', monitor: '/Common/http ', loadBalancingMode: 'least-connections-member', minActiveMembers: 1 });

    const put = await harness.api.put(poolUrl('web'), { minActiveMembers: 2 });
    expect(put.status).to.equal(200);
    expect(put.data).to.include({ loadBalancingMode: 'round-robin', minActiveMembers: 2 });
    expect(put.data).not.to.have.property('description');
    expect(put.data).not.to.have.property('monitor');
  });

  it('accepts a GET body sent back (read-only fields ignored) but not an empty change', async () => {
    const created = (await harness.api.post(POOL, { name: 'web', description: 'x' })).data;
    const roundTrip = await harness.api.put(poolUrl('web'), created);
    expect(roundTrip.status).to.equal(200);
    expect(roundTrip.data.description).to.equal('x');
    const empty = await harness.api.patch(poolUrl('web'), { generation: 34 });
    expect(empty.status).to.equal(400);
    expect(empty.data.message).to.equal('one or more properties must be specified');
    const rename = await harness.api.patch(poolUrl('web'), { name: 'other' });
    expect(rename.status).to.equal(400);
  });

  it('increments generation on every change', async () => {
    const created = (await harness.api.post(POOL, { name: 'web' })).data.generation as number;
    const patched = (await harness.api.patch(poolUrl('web'), { description: 'a' })).data.generation as number;
    expect(patched).to.be.above(created);
    await harness.api.post(`${poolUrl('web')}/members`, { name: '10.0.0.1:80' });
    expect((await harness.api.get(poolUrl('web'))).data.generation).to.be.above(patched);
  });

  it('honours $select and $filter=partition eq', async () => {
    await harness.api.post(POOL, { name: 'a' });
    await harness.api.post(POOL, { name: 'b' });
    const selected = await harness.api.get(POOL, { params: { $select: 'name,fullPath' } });
    expect(selected.data.items).to.deep.equal([{ name: 'a', fullPath: '/Common/a' }, { name: 'b', fullPath: '/Common/b' }]);
    const one = await harness.api.get(poolUrl('a'), { params: { $select: 'name' } });
    expect(one.data).to.deep.equal({ name: 'a' });
    const filtered = await harness.api.get(POOL, { params: { $filter: 'partition eq Other' } });
    expect(filtered.data.items).to.equal(undefined);
  });

  it('supports other partitions when configured', async () => {
    const standin = await startHarness({ partitions: ['Common', 'Tenant'] });
    try {
      const created = await standin.api.post(POOL, { name: 'web', partition: 'Tenant' });
      expect(created.data.selfLink).to.equal('https://localhost/mgmt/tm/ltm/pool/~Tenant~web?ver=15.1.0');
      expect((await standin.api.get(poolUrl('web', 'Tenant'))).status).to.equal(200);
      expect((await standin.api.get(poolUrl('web'))).status).to.equal(404);
    } finally {
      await standin.standin.stop();
    }
  });

  it('deletes with 200 and an empty body; then 404', async () => {
    await harness.api.post(POOL, { name: 'web', members: [{ name: '10.0.0.1:80' }] });
    const deleted = await harness.api.delete(poolUrl('web'));
    expect(deleted.status).to.equal(200);
    expect(deleted.data).to.equal('');
    expect((await harness.api.get(poolUrl('web'))).status).to.equal(404);
    expect((await harness.api.delete(poolUrl('web'))).status).to.equal(404);
    // Its node stays behind.
    expect((await harness.api.get('/mgmt/tm/ltm/node/~Common~10.0.0.1')).status).to.equal(200);
  });

  it('answers 404 "not registered" for paths it does not model and 405 for unsupported methods', async () => {
    const unknown = await harness.api.get('/mgmt/tm/ltm/rule');
    expect(unknown.status).to.equal(404);
    expect(unknown.data.message).to.equal('URI path /mgmt/tm/ltm/rule not registered.  Please verify URI is supported and wait for /available suffix to be responsive.');
    const method = await harness.api.delete(POOL);
    expect(method.status).to.equal(405);
    expect(method.headers.allow).to.equal('GET, POST');
    const badJson = await harness.api.post(POOL, '{"name":', { headers: { 'Content-Type': 'application/json' }, transformRequest: [(data: string) => data] });
    expect(badJson.status).to.equal(400);
  });
});

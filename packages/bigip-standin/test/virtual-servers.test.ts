import { expect } from 'chai';
import { POOL, poolUrl, startHarness, type Harness } from './helpers';

const VIRTUAL = '/mgmt/tm/ltm/virtual';
const SNATPOOL = '/mgmt/tm/ltm/snatpool';

describe('bigip-standin ltm virtual', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
    await harness.api.post(POOL, { name: 'web', members: [{ name: '10.0.0.1:80' }] });
    await harness.api.post(SNATPOOL, { name: 'snat-web', members: ['10.2.0.1', '/Common/10.2.0.2'] });
  });
  afterEach(() => harness.standin.stop());

  it('creates a virtual server with a default pool, profiles and a SNAT pool, read back as BIG-IP shows it', async () => {
    const created = await harness.api.post(`${VIRTUAL}/`, {
      name: 'vs-web',
      destination: '10.3.0.10:443',
      ipProtocol: 6,
      pool: 'web',
      profiles: [{ name: 'tcp', context: 'all' }, 'http'],
      sourceAddressTranslation: { type: 'snat', pool: 'snat-web' },
      description: 'web front',
    });
    expect(created.status).to.equal(200);
    expect(created.data).to.deep.include({
      kind: 'tm:ltm:virtual:virtualstate',
      name: 'vs-web',
      partition: 'Common',
      fullPath: '/Common/vs-web',
      selfLink: 'https://localhost/mgmt/tm/ltm/virtual/~Common~vs-web?ver=15.1.0',
      destination: '/Common/10.3.0.10:443',
      ipProtocol: 'tcp',
      pool: '/Common/web',
      mask: '255.255.255.255',
      source: '0.0.0.0/0',
      enabled: true,
      translateAddress: 'enabled',
      description: 'web front',
    });
    expect(created.data.sourceAddressTranslation).to.deep.equal({
      type: 'snat',
      pool: '/Common/snat-web',
      poolReference: { link: 'https://localhost/mgmt/tm/ltm/snatpool/~Common~snat-web?ver=15.1.0' },
    });
    expect(created.data.profilesReference).to.deep.equal({ link: 'https://localhost/mgmt/tm/ltm/virtual/~Common~vs-web/profiles?ver=15.1.0', isSubcollection: true });
    const expanded = await harness.api.get(`${VIRTUAL}/~Common~vs-web?expandSubcollections=true`);
    expect(expanded.data.profilesReference.items.map((profile: Record<string, unknown>) => [profile.kind, profile.fullPath, profile.context])).to.deep.equal([
      ['tm:ltm:virtual:profiles:profilesstate', '/Common/tcp', 'all'],
      ['tm:ltm:virtual:profiles:profilesstate', '/Common/http', 'all'],
    ]);
    const profiles = await harness.api.get(`${VIRTUAL}/~Common~vs-web/profiles`);
    expect(profiles.data.kind).to.equal('tm:ltm:virtual:profiles:profilescollectionstate');
    expect(profiles.data.items).to.have.length(2);
  });

  it('switches SNAT between automap, a pool and none with PATCH; PUT resets what it leaves out', async () => {
    await harness.api.post(VIRTUAL, { name: 'vs', destination: '/Common/10.3.0.10:80', pool: '/Common/web', description: 'x' });
    const automap = await harness.api.patch(`${VIRTUAL}/~Common~vs`, { sourceAddressTranslation: { type: 'automap' } });
    expect(automap.data.sourceAddressTranslation).to.deep.equal({ type: 'automap' });
    expect(automap.data).to.include({ description: 'x', pool: '/Common/web' });
    const put = await harness.api.put(`${VIRTUAL}/~Common~vs`, { destination: '10.3.0.10:80' });
    expect(put.data.sourceAddressTranslation).to.deep.equal({ type: 'none' });
    expect(put.data).to.not.have.any.keys('description', 'pool');
    expect((await harness.api.patch(`${VIRTUAL}/~Common~vs`, { ipProtocol: 17 })).data.ipProtocol).to.equal('udp');
    expect((await harness.api.patch(`${VIRTUAL}/~Common~vs`, { ipProtocol: 'bogus' })).status).to.equal(400);
    const disabled = await harness.api.patch(`${VIRTUAL}/~Common~vs`, { disabled: true });
    expect(disabled.data).to.include({ disabled: true }).and.not.have.property('enabled');
  });

  it('answers 404, 409 and 400 with BIG-IP\'s error bodies', async () => {
    const missing = await harness.api.get(`${VIRTUAL}/~Common~nope`);
    expect(missing.status).to.equal(404);
    expect(missing.data).to.deep.equal({ code: 404, message: '01020036:3: The requested Virtual Server (/Common/nope) was not found.', errorStack: [], apiError: 3 });
    await harness.api.post(VIRTUAL, { name: 'vs', destination: '10.3.0.10:80' });
    const again = await harness.api.post(VIRTUAL, { name: 'vs', destination: '10.3.0.11:80' });
    expect(again.status).to.equal(409);
    expect(again.data.message).to.equal('01020066:3: The requested Virtual Server (/Common/vs) already exists in partition Common.');
    const unknownProperty = await harness.api.patch(`${VIRTUAL}/~Common~vs`, { bogus: 1 });
    expect(unknownProperty.status).to.equal(400);
    expect(unknownProperty.data).to.deep.equal({
      code: 400,
      message: 'Found unexpected json pair at configuration item /ltm/virtual. The json pair "bogus":1 is not supported.',
      errorStack: [],
      apiError: 26214401,
    });
    expect((await harness.api.patch(`${VIRTUAL}/~Common~vs`, { pool: 'nope' })).data.message).to.equal('01020036:3: The requested Pool (/Common/nope) was not found.');
    expect((await harness.api.patch(`${VIRTUAL}/~Common~vs`, { destination: 'not-an-address' })).status).to.equal(400);
    expect((await harness.api.patch(`${VIRTUAL}/~Common~vs`, { profiles: ['no-such-profile'] })).status).to.equal(400);
  });

  it('refuses to delete a pool or SNAT pool a virtual server uses', async () => {
    await harness.api.post(VIRTUAL, { name: 'vs', destination: '10.3.0.10:80', pool: 'web', sourceAddressTranslation: { type: 'snat', pool: 'snat-web' } });
    const pool = await harness.api.delete(poolUrl('web'));
    expect(pool.status).to.equal(400);
    expect(pool.data.message).to.equal('01070265:3: The Pool (/Common/web) cannot be deleted because it is in use by a Virtual Server (/Common/vs).');
    expect((await harness.api.delete(`${SNATPOOL}/~Common~snat-web`)).status).to.equal(400);
    expect((await harness.api.delete(`${VIRTUAL}/~Common~vs`)).status).to.equal(200);
    expect((await harness.api.delete(poolUrl('web'))).status).to.equal(200);
  });

  it('serves the built-in profiles a virtual server may name', async () => {
    const tcp = await harness.api.get('/mgmt/tm/ltm/profile/tcp');
    expect(tcp.data.kind).to.equal('tm:ltm:profile:tcp:tcpcollectionstate');
    expect(tcp.data.items.map((item: { fullPath: string }) => item.fullPath)).to.include('/Common/tcp');
    expect((await harness.api.get('/mgmt/tm/ltm/profile/fastl4')).data.items[0].name).to.equal('fastL4');
    expect((await harness.api.get('/mgmt/tm/ltm/profile/nope')).status).to.equal(404);
  });
});

describe('bigip-standin ltm snatpool and snat-translation', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(() => harness.standin.stop());

  it('keeps members as a sorted set of translation paths and creates the translation addresses', async () => {
    const created = await harness.api.post(SNATPOOL, { name: 'snat-web', members: ['10.2.0.2', '10.2.0.1', '/Common/10.2.0.2'] });
    expect(created.data).to.include({ kind: 'tm:ltm:snatpool:snatpoolstate', fullPath: '/Common/snat-web' });
    expect(created.data.members).to.deep.equal(['/Common/10.2.0.1', '/Common/10.2.0.2']);
    const translations = await harness.api.get('/mgmt/tm/ltm/snat-translation');
    expect(translations.data.kind).to.equal('tm:ltm:snat-translation:snat-translationcollectionstate');
    expect(translations.data.items.map((item: Record<string, unknown>) => [item.fullPath, item.address, item.enabled])).to.deep.equal([
      ['/Common/10.2.0.1', '10.2.0.1', true],
      ['/Common/10.2.0.2', '10.2.0.2', true],
    ]);
    const patched = await harness.api.patch(`${SNATPOOL}/~Common~snat-web`, { members: ['10.2.0.3'] });
    expect(patched.data.members).to.deep.equal(['/Common/10.2.0.3']);
    // A translation still in a SNAT pool stays.
    expect((await harness.api.delete('/mgmt/tm/ltm/snat-translation/~Common~10.2.0.3')).status).to.equal(400);
    expect((await harness.api.delete('/mgmt/tm/ltm/snat-translation/~Common~10.2.0.1')).status).to.equal(200);
    expect((await harness.api.post(SNATPOOL, { name: 'empty', members: [] })).status).to.equal(400);
  });
});

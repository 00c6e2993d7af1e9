import { expect } from 'chai';
import { POOL, startHarness, type Harness } from './helpers';

const VIRTUAL = '/mgmt/tm/ltm/virtual';
const PARTITION = '/mgmt/tm/auth/partition';

describe('bigip-standin statistics', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
    await harness.api.post(POOL, { name: 'web', members: [{ name: '10.0.0.1:80' }, { name: '10.0.0.2:80' }] });
    await harness.api.post('/mgmt/tm/ltm/snatpool', { name: 'snat-web', members: ['10.2.0.1', '10.2.0.2'] });
    await harness.api.post(VIRTUAL, { name: 'vs', destination: '10.3.0.10:443', pool: 'web', sourceAddressTranslation: { type: 'snat', pool: 'snat-web' } });
  });
  afterEach(() => harness.standin.stop());

  it('serves one object\'s stats nested under its own URL, the name repeated (v12+)', async () => {
    const stats = await harness.api.get(`${VIRTUAL}/~Common~vs/stats`);
    expect(stats.status).to.equal(200);
    expect(stats.data.kind).to.equal('tm:ltm:virtual:virtualstats');
    expect(stats.data.selfLink).to.equal('https://localhost/mgmt/tm/ltm/virtual/~Common~vs/stats?ver=15.1.0');
    const nested = stats.data.entries['https://localhost/mgmt/tm/ltm/virtual/~Common~vs/~Common~vs/stats'].nestedStats.entries;
    expect(nested['clientside.curConns']).to.deep.equal({ value: 0 });
    expect(nested.tmName).to.deep.equal({ description: '/Common/vs' });
    expect(nested.destination).to.deep.equal({ description: '10.3.0.10:443' });
    expect(nested['status.enabledState']).to.deep.equal({ description: 'enabled' });
  });

  it('reports what a test sets, through the API and the control route', async () => {
    harness.standin.setStats('virtual', '/Common/vs', { 'clientside.curConns': 1200, 'clientside.totConns': 50000 });
    const control = await harness.anonymous.patch('/standin/stats/snat-translation/~Common~10.2.0.1', { 'serverside.curConns': 60000 });
    expect(control.status).to.equal(200);
    const virtual = (await harness.api.get(`${VIRTUAL}/~Common~vs/stats`)).data;
    const entries = virtual.entries['https://localhost/mgmt/tm/ltm/virtual/~Common~vs/~Common~vs/stats'].nestedStats.entries;
    expect(entries['clientside.curConns']).to.deep.equal({ value: 1200 });
    expect(entries['clientside.totConns']).to.deep.equal({ value: 50000 });

    const all = (await harness.api.get('/mgmt/tm/ltm/snat-translation/stats')).data;
    expect(all.kind).to.equal('tm:ltm:snat-translation:snat-translationcollectionstats');
    const perAddress = Object.fromEntries(Object.values(all.entries as Record<string, { nestedStats: { entries: Record<string, { value?: number; description?: string }> } }>)
      .map((entry) => [entry.nestedStats.entries.tmName!.description, entry.nestedStats.entries['serverside.curConns']!.value]));
    expect(perAddress).to.deep.equal({ '/Common/10.2.0.1': 60000, '/Common/10.2.0.2': 0 });

    expect(() => harness.standin.setStats('virtual', '/Common/vs', { 'clientside.curconns': 1 })).to.throw(/unknown .* statistic "clientside.curconns"/);
    expect(() => harness.standin.setStats('virtual', '/Common/nope', { 'clientside.curConns': 1 })).to.throw(/Virtual Server \(\/Common\/nope\) was not found/);
    expect((await harness.anonymous.patch('/standin/stats/virtual/~Common~vs', { 'clientside.curConns': -1 })).status).to.equal(400);
    // Reset forgets them.
    harness.standin.reset();
    expect(harness.standin.snapshot().virtuals).to.deep.equal([]);
  });

  it('derives pool member counts and serves collection stats for pools and nodes', async () => {
    const pool = (await harness.api.get('/mgmt/tm/ltm/pool/~Common~web/stats')).data;
    const entries = pool.entries['https://localhost/mgmt/tm/ltm/pool/~Common~web/~Common~web/stats'].nestedStats.entries;
    expect(entries).to.deep.include({ memberCnt: { value: 2 }, availableMemberCnt: { value: 2 }, activeMemberCnt: { value: 2 }, tmName: { description: '/Common/web' } });
    const nodes = (await harness.api.get('/mgmt/tm/ltm/node/stats')).data;
    expect(nodes.kind).to.equal('tm:ltm:node:nodecollectionstats');
    expect(Object.keys(nodes.entries)).to.deep.equal([
      'https://localhost/mgmt/tm/ltm/node/~Common~10.0.0.1/stats',
      'https://localhost/mgmt/tm/ltm/node/~Common~10.0.0.2/stats',
    ]);
    expect((await harness.api.post(`${VIRTUAL}/~Common~vs/stats`, {})).status).to.equal(405);
  });
});

describe('bigip-standin partitions', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(() => harness.standin.stop());

  it('lists Common, creates a partition, and keeps objects apart by partition', async () => {
    const initial = await harness.api.get(PARTITION);
    expect(initial.data.kind).to.equal('tm:auth:partition:partitioncollectionstate');
    expect(initial.data.items.map((item: { name: string }) => item.name)).to.deep.equal(['Common']);
    expect((await harness.api.post(POOL, { name: 'web', partition: 'Test' })).status).to.equal(400);

    const created = await harness.api.post(`${PARTITION}/`, { name: 'Test', description: 'the test syncer' });
    expect(created.data).to.include({ kind: 'tm:auth:partition:partitionstate', name: 'Test', fullPath: 'Test', defaultRouteDomain: 0, description: 'the test syncer' });
    expect((await harness.api.post(PARTITION, { name: 'Test' })).status).to.equal(409);
    expect((await harness.api.get('/mgmt/tm/sys/folder/~Test')).data).to.include({ kind: 'tm:sys:folder:folderstate', fullPath: '/Test', subPath: '/' });

    // Same names in two partitions, as a test and a live syncer sharing one BIG-IP would use.
    await harness.api.post(POOL, { name: 'web', members: [{ name: '10.0.0.1:80' }] });
    await harness.api.post(POOL, { name: 'web', partition: 'Test', members: [{ name: '10.0.0.1:80' }] });
    const test = await harness.api.get('/mgmt/tm/ltm/pool/~Test~web?expandSubcollections=true');
    expect(test.data).to.include({ fullPath: '/Test/web', selfLink: 'https://localhost/mgmt/tm/ltm/pool/~Test~web?ver=15.1.0' });
    expect(test.data.membersReference.items[0]).to.include({ fullPath: '/Test/10.0.0.1:80', partition: 'Test' });
    expect((await harness.api.get('/mgmt/tm/ltm/node/~Test~10.0.0.1')).status).to.equal(200);
    const onlyTest = await harness.api.get(`${POOL}?$filter=partition+eq+Test`);
    expect(onlyTest.data.items.map((item: { fullPath: string }) => item.fullPath)).to.deep.equal(['/Test/web']);
    await harness.api.post(VIRTUAL, { name: 'vs', partition: 'Test', destination: '10.3.0.10:80', pool: 'web' });
    expect((await harness.api.get(`${VIRTUAL}/~Test~vs`)).data).to.include({ destination: '/Test/10.3.0.10:80', pool: '/Test/web' });

    // A partition with objects in it stays; an empty one goes.
    const busy = await harness.api.delete(`${PARTITION}/Test`);
    expect(busy.status).to.equal(400);
    expect(busy.data.message).to.match(/^0107082a:3: All objects must be removed from a partition \(Test\)/);
    await harness.api.delete(`${VIRTUAL}/~Test~vs`);
    await harness.api.delete('/mgmt/tm/ltm/pool/~Test~web');
    await harness.api.delete('/mgmt/tm/ltm/node/~Test~10.0.0.1');
    expect((await harness.api.delete(`${PARTITION}/Test`)).status).to.equal(200);
    const gone = await harness.api.get(`${PARTITION}/Test`);
    expect(gone.status).to.equal(404);
    expect(gone.data.message).to.equal('01020036:3: The requested partition (Test) was not found.');
  });

  it('answers what F5\'s module_utils read first: /mgmt/tm/sys/ with ?ver=, sys/provision', async () => {
    const sys = await harness.api.get('/mgmt/tm/sys/');
    expect(sys.status).to.equal(200);
    expect(sys.data.selfLink).to.equal('https://localhost/mgmt/tm/sys?ver=15.1.0');
    const provision = await harness.api.get('/mgmt/tm/sys/provision');
    expect(provision.data.items.filter((item: { level: string }) => item.level !== 'none').map((item: { name: string }) => item.name)).to.deep.equal(['ltm']);
    const page = await harness.api.get(`${POOL}?$top=1&$skip=0`);
    expect(page.data).to.not.have.property('items');
    // ver= pins the answer format; the stand-in speaks only 15.1.0's.
    await harness.api.post(POOL, { name: 'a' });
    await harness.api.post(POOL, { name: 'b' });
    const second = await harness.api.get(`${POOL}?ver=15.1.0&$top=1&$skip=1&$select=name,fullPath`);
    expect(second.data).to.deep.include({ items: [{ name: 'b', fullPath: '/Common/b' }], totalItems: 2, currentItemCount: 1 });
    const log = harness.standin.requestLog().at(-1)!;
    expect(log).to.include({ method: 'GET', path: POOL, query: 'ver=15.1.0&$top=1&$skip=1&$select=name,fullPath' });
  });
});

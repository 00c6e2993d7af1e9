import { expect } from 'chai';
import { POOL, startHarness, type Harness } from './helpers';

/** One table for the objects that share ltm-objects.ts: how each is made, and mcpd's name for it. */
const KINDS = [
  { path: '/mgmt/tm/ltm/virtual', label: 'Virtual Server', body: { name: 'x', destination: '10.3.0.1:80' }, kind: 'tm:ltm:virtual:virtualstate' },
  { path: '/mgmt/tm/ltm/snatpool', label: 'SNAT Pool', body: { name: 'x', members: ['10.2.0.1'] }, kind: 'tm:ltm:snatpool:snatpoolstate' },
  { path: '/mgmt/tm/ltm/snat-translation', label: 'SNAT translation address', body: { name: 'x', address: '10.2.0.9' }, kind: 'tm:ltm:snat-translation:snat-translationstate' },
  { path: '/mgmt/tm/ltm/monitor/http', label: 'Monitor', body: { name: 'x', defaultsFrom: '/Common/http' }, kind: 'tm:ltm:monitor:http:httpstate' },
] as const;

describe('bigip-standin objects: one lifecycle for virtual servers, SNAT pools and translations, HTTP monitors', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness({ partitions: ['Tenant'] });
  });
  afterEach(() => harness.standin.stop());

  for (const { path, label, body, kind } of KINDS) {
    it(`${path}: create, 409 again, read, 400 on a bad property, PATCH, delete, 404`, async () => {
      const created = await harness.api.post(path, { ...body, partition: 'Tenant' });
      expect(created.status).to.equal(200);
      expect(created.data).to.include({ kind, name: 'x', partition: 'Tenant', fullPath: '/Tenant/x', selfLink: `https://localhost${path}/~Tenant~x?ver=15.1.0` });
      const again = await harness.api.post(path, { ...body, partition: 'Tenant' });
      expect(again.status).to.equal(409);
      expect(again.data).to.deep.equal({ code: 409, message: `01020066:3: The requested ${label} (/Tenant/x) already exists in partition Tenant.`, errorStack: [], apiError: 3 });
      const url = `${path}/~Tenant~x`;
      expect((await harness.api.get(url)).data.generation).to.equal(created.data.generation);
      const bad = await harness.api.patch(url, { noSuchProperty: true });
      expect(bad.status).to.equal(400);
      expect(bad.data.apiError).to.equal(26214401);
      const patched = await harness.api.patch(url, { description: 'changed' });
      expect(patched.data).to.include({ description: 'changed' });
      expect(patched.data.generation).to.be.greaterThan(created.data.generation);
      // A GET body sent back is accepted: the read-only fields are ignored.
      expect((await harness.api.put(url, { ...body, kind, selfLink: created.data.selfLink, generation: 1, fullPath: '/Tenant/x' })).status).to.equal(200);
      const deleted = await harness.api.delete(url);
      expect(deleted.status).to.equal(200);
      expect(deleted.data).to.equal('');
      const missing = await harness.api.get(url);
      expect(missing.status).to.equal(404);
      expect(missing.data).to.deep.equal({ code: 404, message: `01020036:3: The requested ${label} (/Tenant/x) was not found.`, errorStack: [], apiError: 3 });
      expect((await harness.api.post(path, { ...body, partition: 'Nowhere' })).status).to.equal(400);
    });
  }

  it('keeps the built-in http monitors read-only, and a monitor in use by a pool', async () => {
    const list = await harness.api.get('/mgmt/tm/ltm/monitor/http');
    expect(list.data.items.map((item: { fullPath: string }) => item.fullPath)).to.deep.equal(['/Common/http', '/Common/http_head_f5']);
    expect((await harness.api.delete('/mgmt/tm/ltm/monitor/http/~Common~http')).status).to.equal(400);
    await harness.api.post('/mgmt/tm/ltm/monitor/http', { name: 'health', send: 'GET /health\\r\\n', recv: '200' });
    expect((await harness.api.post(POOL, { name: 'web', monitor: '/Common/health and /Common/tcp' })).data.monitor).to.equal('/Common/health and /Common/tcp ');
    expect((await harness.api.post(POOL, { name: 'other', monitor: '/Common/missing' })).data.message).to.equal('01020036:3: The requested monitor (/Common/missing) was not found.');
    expect((await harness.api.delete('/mgmt/tm/ltm/monitor/http/~Common~health')).status).to.equal(400);
  });
});

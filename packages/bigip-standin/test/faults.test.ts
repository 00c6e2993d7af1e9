import { expect } from 'chai';
import { POOL, poolUrl, startHarness, waitFor, type Harness } from './helpers';

describe('bigip-standin fault injection and request counters', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
  });
  afterEach(() => harness.standin.stop());

  it('fails the next N requests with 503 like a restarting restjavad, then recovers', async () => {
    harness.standin.injectFault({ status: 503, requests: 2 });
    for (let i = 0; i < 2; i += 1) {
      const response = await harness.api.get(POOL);
      expect(response.status).to.equal(503);
      expect(response.headers['content-type']).to.match(/^text\/html/);
      expect(response.data).to.include('Configuration Utility restarting...');
    }
    expect((await harness.api.get(POOL)).status).to.equal(200);
  });

  it('fails requests for N seconds with 500', async () => {
    harness.standin.injectFault({ status: 500, seconds: 0.3 });
    const failed = await harness.api.get(POOL);
    expect(failed.status).to.equal(500);
    expect(failed.data.code).to.equal(500);
    await waitFor('the fault window to close', async () => (await harness.api.get(POOL)).status === 200, 3000, 50);
  });

  it('can fail only writes', async () => {
    harness.standin.injectFault({ status: 503, requests: 5, methods: ['POST', 'PUT', 'PATCH', 'DELETE'], pathPrefix: '/mgmt/tm/ltm' });
    expect((await harness.api.get(POOL)).status).to.equal(200);
    expect((await harness.api.post(POOL, { name: 'web' })).status).to.equal(503);
    expect((await harness.api.get(poolUrl('web'))).status).to.equal(404);
    harness.standin.clearFaults();
    expect((await harness.api.post(POOL, { name: 'web' })).status).to.equal(200);
  });

  it('counts requests by method and path, and writes', async () => {
    await harness.api.get(POOL);
    await harness.api.get(POOL, { params: { $select: 'name' } });
    await harness.api.post(POOL, { name: 'web' });
    await harness.api.post('/mgmt/tm/transaction', {});
    await harness.anonymous.post('/mgmt/shared/authn/login', { username: 'admin', password: 'admin' });
    const counters = harness.standin.counters();
    expect(counters.byRoute[`GET ${POOL}`]).to.equal(2);
    expect(counters.byRoute[`POST ${POOL}`]).to.equal(1);
    expect(counters.byRoute['POST /mgmt/tm/transaction']).to.equal(1);
    expect(counters.byMethod).to.deep.equal({ GET: 2, POST: 3 });
    expect(counters.writes).to.equal(2);
    expect(harness.standin.requestLog().map((entry) => entry.status)).to.deep.equal([200, 200, 200, 200, 200]);
    harness.standin.resetRequestLog();
    expect(harness.standin.counters().total).to.equal(0);
  });

  it('offers the same hooks over HTTP under /standin/', async () => {
    const http = harness.anonymous;
    expect((await http.post('/standin/faults', { status: 503, requests: 1 })).status).to.equal(200);
    expect((await harness.api.get(POOL)).status).to.equal(503);
    expect((await http.post('/standin/faults', { status: 200, requests: 1 })).status).to.equal(400);
    const requests = await http.get('/standin/requests');
    expect(requests.data.counters.byRoute[`GET ${POOL}`]).to.equal(1);
    expect(requests.data.log[0]).to.include({ method: 'GET', path: POOL, status: 503 });

    const login = await http.post('/mgmt/shared/authn/login', { username: 'admin', password: 'admin', loginProviderName: 'tmos' });
    const headers = { 'X-F5-Auth-Token': login.data.token.token as string };
    expect((await http.get(POOL, { headers })).status).to.equal(200);
    await http.post('/standin/tokens/expire');
    expect((await http.get(POOL, { headers })).status).to.equal(401);

    await harness.api.post(POOL, { name: 'web' });
    expect((await http.get('/standin/state')).data.pools).to.have.length(1);
    await http.post('/standin/reset');
    expect((await http.get('/standin/state')).data.pools).to.have.length(0);
    expect((await http.get('/standin/requests')).data.counters.total).to.equal(0);
  });
});

import { expect } from 'chai';
import { clientFor, startHarness, waitFor, type Harness } from './helpers';

describe('bigip-standin auth', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness({ tokenTimeoutSeconds: 1 });
  });
  afterEach(() => harness.standin.stop());

  async function login(password = 'admin') {
    return harness.anonymous.post('/mgmt/shared/authn/login', { username: 'admin', password, loginProviderName: 'tmos' });
  }

  it('logs in with the documented reply shape', async () => {
    const response = await login();
    expect(response.status).to.equal(200);
    expect(response.data).to.include({ username: 'admin', loginProviderName: 'tmos' });
    const token = response.data.token;
    expect(token.token).to.match(/^[A-Z0-9]{26}$/);
    expect(token).to.include({ userName: 'admin', timeout: 1, kind: 'shared:authz:tokens:authtokenitemstate' });
    expect(token.selfLink).to.equal(`https://localhost/mgmt/shared/authz/tokens/${token.token}`);
    expect(token.expirationMicros).to.be.a('number').above(Date.now() * 1000);
  });

  it('uses the default BIG-IP lifetime of 1200 s', async () => {
    const standin = await startHarness();
    try {
      const response = await standin.anonymous.post('/mgmt/shared/authn/login', { username: 'admin', password: 'admin', loginProviderName: 'tmos' });
      expect(response.data.token.timeout).to.equal(1200);
    } finally {
      await standin.standin.stop();
    }
  });

  it('accepts X-F5-Auth-Token and Basic auth', async () => {
    const token = (await login()).data.token.token as string;
    const withToken = await harness.anonymous.get('/mgmt/tm/ltm/pool', { headers: { 'X-F5-Auth-Token': token } });
    expect(withToken.status).to.equal(200);
    const withBasic = await harness.api.get('/mgmt/tm/ltm/pool');
    expect(withBasic.status).to.equal(200);
    expect(withBasic.data.kind).to.equal('tm:ltm:pool:poolcollectionstate');
  });

  it('answers 401 with restjavad error JSON for bad credentials, no credentials and unknown tokens', async () => {
    const badLogin = await login('wrong');
    expect(badLogin.status).to.equal(401);
    expect(badLogin.data).to.include({ code: 401, message: 'Authentication failed.', kind: ':resterrorresponse' });

    const badBasic = await clientFor(harness.standin, { auth: { username: 'admin', password: 'nope' } }).get('/mgmt/tm/ltm/pool');
    expect(badBasic.status).to.equal(401);

    const none = await harness.anonymous.get('/mgmt/tm/ltm/pool');
    expect(none.status).to.equal(401);
    expect(none.data.message).to.match(/^Authorization failed: no user authentication header or token detected\./);

    const unknown = await harness.anonymous.get('/mgmt/tm/ltm/pool', { headers: { 'X-F5-Auth-Token': 'NOSUCHTOKEN' } });
    expect(unknown.status).to.equal(401);
    expect(unknown.data).to.include({ code: 401, message: 'X-F5-Auth-Token does not exist.' });
  });

  it('rejects a login provider other than tmos', async () => {
    const response = await harness.anonymous.post('/mgmt/shared/authn/login', { username: 'admin', password: 'admin', loginProviderName: 'radius' });
    expect(response.status).to.equal(400);
  });

  it('expires tokens after their timeout', async () => {
    const token = (await login()).data.token.token as string;
    const headers = { 'X-F5-Auth-Token': token };
    expect((await harness.anonymous.get('/mgmt/tm/ltm/pool', { headers })).status).to.equal(200);
    await waitFor('the token to expire', async () => (await harness.anonymous.get('/mgmt/tm/ltm/pool', { headers })).status === 401, 4000, 100);
  });

  it('extends a token with PATCH {timeout} and revokes it with DELETE', async () => {
    const token = (await login()).data.token.token as string;
    const headers = { 'X-F5-Auth-Token': token };
    const extended = await harness.anonymous.patch(`/mgmt/shared/authz/tokens/${token}`, { timeout: 3600 }, { headers });
    expect(extended.status).to.equal(200);
    expect(extended.data.timeout).to.equal(3600);
    // Longer than the 1 s default: still valid after a request that would have seen it expire.
    const started = Date.now();
    await waitFor('1.2 s to pass', () => Date.now() - started > 1200, 3000, 100);
    expect((await harness.anonymous.get('/mgmt/tm/ltm/pool', { headers })).status).to.equal(200);

    const tooLong = await harness.anonymous.patch(`/mgmt/shared/authz/tokens/${token}`, { timeout: 36001 }, { headers });
    expect(tooLong.status).to.equal(400);

    const revoked = await harness.anonymous.delete(`/mgmt/shared/authz/tokens/${token}`, { headers });
    expect(revoked.status).to.equal(200);
    expect((await harness.anonymous.get('/mgmt/tm/ltm/pool', { headers })).status).to.equal(401);
  });

  it('expires every token on demand (stand-in hook)', async () => {
    const token = (await login()).data.token.token as string;
    harness.standin.expireAllTokens();
    const response = await harness.anonymous.get('/mgmt/tm/ltm/pool', { headers: { 'X-F5-Auth-Token': token } });
    expect(response.status).to.equal(401);
  });
});

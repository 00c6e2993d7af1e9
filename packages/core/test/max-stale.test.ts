// consul-template's max_stale (watch/view.go) against the stand-in: reads go ?stale; an answer whose
// X-Consul-LastContact is past max_stale is asked again without ?stale (the leader's, LastContact 0).
// The stand-in answers ?stale as a follower would (its LastContact and KnownLeader set by the test).

import { expect } from 'chai';
import { ConsulHttpClient, consulSettingsFromEnv, kvKeyRead, maxStaleBlockingQuery, readWithMaxStale, withMaxStale } from '../src';
import { startConsulStandin, type ConsulStandin } from '../../consul-standin/src';

describe('core: max_stale', function () {
  this.timeout(20_000);
  let standin: ConsulStandin;
  let client: ConsulHttpClient;

  beforeEach(async () => {
    standin = await startConsulStandin();
    client = new ConsulHttpClient(consulSettingsFromEnv({}, standin.address));
    await fetch(`${standin.url}/v1/kv/app/x`, { method: 'PUT', body: 'v' });
  });
  afterEach(async () => {
    client.close();
    await standin.stop();
  });

  it('the stand-in answers ?stale as a follower, default and ?consistent reads as the leader', async () => {
    standin.setFollower({ lastContactMs: 1234, knownLeader: false });
    const stale = await fetch(`${standin.url}/v1/kv/app/x?stale`);
    expect(stale.headers.get('x-consul-lastcontact')).to.equal('1234');
    expect(stale.headers.get('x-consul-knownleader')).to.equal('false');
    for (const query of ['', '?consistent']) {
      const leader = await fetch(`${standin.url}/v1/kv/app/x${query}`);
      expect(leader.headers.get('x-consul-lastcontact')).to.equal('0');
      expect(leader.headers.get('x-consul-knownleader')).to.equal('true');
    }
  });

  it('keeps a stale answer within max_stale, asks the leader past it, and is stale again next time', async () => {
    const tooStale: number[] = [];
    standin.setFollower({ lastContactMs: 40 });
    const within = await readWithMaxStale(client, kvKeyRead('app/x'), { maxStaleMs: 1000, onTooStale: (ms) => tooStale.push(ms) });
    expect(within.lastContact).to.equal(40);
    standin.setFollower({ lastContactMs: 5000 });
    const query = maxStaleBlockingQuery(client, kvKeyRead('app/x'), { maxStaleMs: 1000, onTooStale: (ms) => tooStale.push(ms) });
    const past = await query({ timeoutMs: 5000, signal: new AbortController().signal });
    expect(past.lastContact).to.equal(0);
    expect(tooStale).to.deep.equal([5000]);
    standin.setFollower({ lastContactMs: 10 });
    expect((await query({ timeoutMs: 5000, signal: new AbortController().signal })).lastContact).to.equal(10);
  });

  it('0 is off: default consistency; withMaxStale hands kinds a client whose blockingQuery applies it', async () => {
    standin.setFollower({ lastContactMs: 40 });
    expect((await readWithMaxStale(client, kvKeyRead('app/x'), { maxStaleMs: 0 })).lastContact).to.equal(0);
    expect(withMaxStale(client, 0)).to.equal(client);
    const wrapped = withMaxStale(client, 1000);
    const answer = await wrapped.blockingQuery(kvKeyRead('app/x'))({ timeoutMs: 5000, signal: new AbortController().signal });
    expect(answer.lastContact).to.equal(40);
    expect(wrapped.kv).to.equal(client.kv);
  });
});

// The leader lock over core's ConsulHttpClient (the path daemons move to): one leader of two, hand-over on stop,
// standing down when the session is destroyed behind its back.

import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { ConsulHttpClient, LeaderLock, silentLogger, waitFor } from '../src';
import { startTestConsul, type TestConsul } from '../../../test/support/consul';

describe('core: leader lock over ConsulHttpClient @integration', function () {
  this.timeout(60_000);
  let consul: TestConsul;
  let client: ConsulHttpClient;
  let key: string;
  const locks: LeaderLock[] = [];

  beforeEach(async () => {
    consul = await startTestConsul();
    client = new ConsulHttpClient(consul.settings);
    key = `consul-sidecars-test/leader-http/${randomUUID()}`;
  });
  afterEach(async () => {
    await Promise.all(locks.splice(0).map((l) => l.stop()));
    await client.kv.delete(key).catch(() => undefined);
    client.close();
    await consul.close();
  });

  function contender(holder: string): LeaderLock {
    const lock = new LeaderLock({ consul: client, key, holder, ttl: '10s', lockDelay: '1s', logger: silentLogger() });
    locks.push(lock);
    return lock.start();
  }

  it('elects exactly one of two, and hands over at once on a clean stop', async () => {
    const a = contender('a');
    const b = contender('b');
    let both = 0;
    const sampler = setInterval(() => {
      if (a.isLeader && b.isLeader) both++;
    }, 5);
    try {
      await waitFor(() => a.isLeader || b.isLeader, { timeoutMs: 10_000, message: 'a leader' });
      const [leader, other] = a.isLeader ? [a, b] : [b, a];
      expect(other.isLeader).to.equal(false);
      expect((await client.kv.get(key))?.Session, 'the lock key holds a session').to.be.a('string');
      await leader.stop();
      await waitFor(() => other.isLeader, { timeoutMs: 15_000, message: 'the other contender to take over' });
      expect(both).to.equal(0);
    } finally {
      clearInterval(sampler);
    }
  });

  it('stands down at once when its session is destroyed behind its back, then leads again', async () => {
    const lock = contender('solo');
    const lost: string[] = [];
    lock.on('lost', (why) => lost.push(why));
    await waitFor(() => lock.isLeader, { timeoutMs: 10_000 });
    const session = (await client.kv.get(key))?.Session;
    expect(session).to.be.a('string');
    await client.session.destroy(session!);
    await waitFor(() => lost.length > 0, { timeoutMs: 5000, message: 'the leader to stand down' });
    expect(lock.isLeader).to.equal(false);
    await waitFor(() => lock.isLeader, { timeoutMs: 15_000, message: 're-election' });
  });
});

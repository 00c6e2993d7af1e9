// Two contenders for one lock: exactly one leads at any moment, and the other takes over when the first dies.

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ConsulHttpClient, LeaderLock, waitFor, silentLogger } from '../src';
import { startTestConsul, type TestConsul } from '../../../test/support/consul';

const CONTENDER = `
const core = require(${JSON.stringify(join(__dirname, '..', 'dist'))});
const settings = core.consulSettingsFromEnv(process.env);
const client = process.env.LOCK_CLIENT === 'http' ? new core.ConsulHttpClient(settings) : core.createConsulClient(settings);
const lock = new core.LeaderLock({ consul: client, key: process.env.LOCK_KEY, ttl: '10s', lockDelay: '1s', holder: 'child' });
lock.on('elected', () => console.log('elected'));
lock.on('lost', (why) => console.log('lost ' + why));
lock.start();
`;

// The lock runs over core's ConsulHttpClient (what daemons use) and, until they all moved, the deprecated consul package.
for (const clientKind of ['ConsulHttpClient', 'consul package'] as const) {
  describe(`core: leader lock over ${clientKind} @integration`, function () {
    this.timeout(90_000);
    let consul: TestConsul;
    let http: ConsulHttpClient;
    let key: string;
    const locks: LeaderLock[] = [];
    const children: ChildProcess[] = [];

    beforeEach(async () => {
      consul = await startTestConsul();
      http = new ConsulHttpClient(consul.settings);
      key = `consul-sidecars-test/leader/${randomUUID()}`;
    });
    afterEach(async () => {
      for (const child of children.splice(0)) child.kill('SIGKILL');
      await Promise.all(locks.splice(0).map((l) => l.stop()));
      await consul.client.kv.del({ key }).catch(() => undefined);
      http.close();
      await consul.close();
    });

    function contender(holder: string): LeaderLock {
      const client = clientKind === 'ConsulHttpClient' ? http : consul.client;
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
        const entry = (await consul.client.kv.get({ key })) as { Session?: string; Value: string };
        expect(entry.Session, 'the lock key holds a session').to.be.a('string');
        await leader.stop();
        await waitFor(() => other.isLeader, { timeoutMs: 15_000, message: 'the other contender to take over' });
        expect(both).to.equal(0);
      } finally {
        clearInterval(sampler);
      }
    });

    it('takes over after the leader is killed with -9 (session TTL, then lock-delay)', async () => {
      const child = spawn(process.execPath, ['-e', CONTENDER], {
        env: { ...process.env, CONSUL_HTTP_ADDR: consul.url, LOCK_KEY: key, LOCK_CLIENT: clientKind === 'ConsulHttpClient' ? 'http' : 'consul' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      await waitFor(() => output.includes('elected'), { timeoutMs: 15_000, message: 'the child to lead' });
      const mine = contender('parent');
      await waitFor(async () => ((await consul.client.kv.get({ key })) as { Session?: string } | undefined)?.Session, { timeoutMs: 5000 });
      expect(mine.isLeader).to.equal(false);
      child.kill('SIGKILL');
      // Consul invalidates a session within 2 x TTL after its last renew; the stand-in does the same.
      await waitFor(() => mine.isLeader, { timeoutMs: 45_000, intervalMs: 100, message: 'the survivor to lead after the TTL lapses' });
    });

    it('stands down at once when its session is destroyed behind its back', async () => {
      const lock = contender('solo');
      const lost: string[] = [];
      lock.on('lost', (why) => lost.push(why));
      await waitFor(() => lock.isLeader, { timeoutMs: 10_000 });
      const entry = (await consul.client.kv.get({ key })) as unknown as { Session: string };
      await consul.client.session.destroy(entry.Session);
      await waitFor(() => lost.length > 0, { timeoutMs: 5000, message: 'the leader to stand down' });
      expect(lock.isLeader).to.equal(false);
      // It campaigns again with a new session and, after the lock-delay, leads again.
      await waitFor(() => lock.isLeader, { timeoutMs: 15_000, message: 're-election' });
    });
  });
}

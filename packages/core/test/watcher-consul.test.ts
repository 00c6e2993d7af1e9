// The blocking watcher against a Consul agent: woken by a write, quiet on no change, recovering after a restart.

import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { BlockingWatcher, consulBlockingQuery, waitFor } from '../src';
import { onlyStandin, startTestConsul, type TestConsul } from '../../../test/support/consul';

/** The consul package returns a missing key as undefined and one key as an entry with its Value decoded. */
const decode = (raw: unknown): string | undefined => {
  const value = (raw as { Value?: string | null } | undefined)?.Value;
  return value == null ? undefined : value;
};

describe('core: blocking watcher on Consul @integration', function () {
  this.timeout(60_000);
  let consul: TestConsul;
  let key: string;
  const watchers: Array<BlockingWatcher<unknown>> = [];

  beforeEach(async () => {
    consul = await startTestConsul();
    key = `consul-sidecars-test/watcher/${randomUUID()}`;
  });
  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((w) => w.stop()));
    await consul.client.kv.del({ key }).catch(() => undefined);
    await consul.close();
  });

  function watchKey(options: { waitSeconds?: number } = {}): BlockingWatcher<string | undefined> {
    const query = consulBlockingQuery(consul.client.kv.get.bind(consul.client.kv), { key }, decode);
    const watcher = new BlockingWatcher<string | undefined>(query, { name: `kv:${key}`, waitSeconds: options.waitSeconds ?? 30, backoff: { baseMs: 100, maxMs: 400 } });
    watchers.push(watcher as BlockingWatcher<unknown>);
    return watcher.start();
  }

  it('answers first with a missing key, then is woken by a write', async () => {
    const watcher = watchKey();
    const seen: Array<string | undefined> = [];
    watcher.on('change', (value) => seen.push(value));
    await waitFor(() => watcher.ready, { timeoutMs: 5000, message: 'first answer' });
    await consul.client.kv.set({ key, value: 'v1' });
    await waitFor(() => seen.includes('v1'), { timeoutMs: 5000, message: 'the write to wake the watcher' });
    expect(seen).to.deep.equal([undefined, 'v1']);
  });

  it('blocks between changes instead of polling', async () => {
    await consul.client.kv.set({ key, value: 'steady' });
    const watcher = watchKey({ waitSeconds: 30 });
    await waitFor(() => watcher.data === 'steady', { timeoutMs: 5000 });
    const before = watcher.requests;
    // Other keys change (the index moves); this key does not. Wake-ups may come, changes must not.
    let changes = 0;
    watcher.on('change', () => changes++);
    for (let i = 0; i < 5; i++) await consul.client.kv.set({ key: `${key}-other`, value: String(i) });
    await consul.client.kv.del({ key: `${key}-other` });
    await consul.client.kv.set({ key, value: 'moved' });
    await waitFor(() => watcher.data === 'moved', { timeoutMs: 5000 });
    expect(changes).to.equal(1);
    expect(watcher.requests - before).to.be.at.most(10);
  });

  it('recovers when the agent is stopped and restarted empty mid-watch, without a busy loop', async function () {
    onlyStandin(this, 'the test stops and restarts the agent');
    await consul.client.kv.set({ key, value: 'before' });
    const watcher = watchKey();
    let errors = 0;
    watcher.on('error', () => errors++);
    await waitFor(() => watcher.data === 'before', { timeoutMs: 5000 });
    await consul.stop();
    const requestsAtStop = watcher.requests;
    await waitFor(() => errors >= 3, { timeoutMs: 10_000, message: 'the watcher to notice the outage' });
    const downFor = 2000;
    const outageStart = Date.now();
    await waitFor(() => Date.now() - outageStart >= downFor, { timeoutMs: downFor + 1000, intervalMs: 100 });
    const requestsDuringOutage = watcher.requests - requestsAtStop;
    // Backoff 100ms doubling to 400ms: a busy loop would be thousands in ~2.5 s; backoff allows a handful.
    expect(requestsDuringOutage).to.be.at.most(15);
    expect(watcher.data).to.equal('before', 'the last good data is kept during the outage');
    await consul.restart();
    await waitFor(() => watcher.healthy, { timeoutMs: 10_000, message: 'the watcher to reconnect' });
    await waitFor(() => watcher.data === undefined, { timeoutMs: 5000, message: 'the empty agent to be seen' });
    await consul.client.kv.set({ key, value: 'after' });
    await waitFor(() => watcher.data === 'after', { timeoutMs: 5000, message: 'changes to flow after the restart' });
  });
});

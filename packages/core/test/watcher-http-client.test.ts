// The blocking watcher over core's ConsulHttpClient: typed KV data, the leader headers, and recovery when the agent
// is stopped and restarted empty (kept-alive sockets to the old agent must not wedge it), without a busy loop.

import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { ConsulHttpClient, kvKeyRead, mapRead, waitFor, type BlockingWatcher } from '../src';
import { onlyStandin, startTestConsul, type TestConsul } from '../../../test/support/consul';

describe('core: blocking watcher over ConsulHttpClient @integration', function () {
  this.timeout(60_000);
  let consul: TestConsul;
  let client: ConsulHttpClient;
  let key: string;
  let watcher: BlockingWatcher<string | undefined> | undefined;

  beforeEach(async () => {
    consul = await startTestConsul();
    client = new ConsulHttpClient(consul.settings, { unavailableAfter: 3 });
    key = `consul-sidecars-test/watcher-http/${randomUUID()}`;
  });
  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    await client.kv.delete(key).catch(() => undefined);
    client.close();
    await consul.close();
  });

  function watchKey(): BlockingWatcher<string | undefined> {
    const read = mapRead(kvKeyRead(key), (entries) => entries[0]?.Value ?? undefined);
    watcher = client.watch(read, { name: `kv:${key}`, waitSeconds: 30, backoff: { baseMs: 100, maxMs: 400 } }).start();
    return watcher;
  }

  it('answers a missing key, wakes on a write and reports the leader headers', async () => {
    const w = watchKey();
    await waitFor(() => w.ready, { timeoutMs: 5000, message: 'the first answer' });
    expect(w.data).to.equal(undefined);
    expect(w.knownLeader).to.equal(true);
    expect(w.lastContactMs).to.be.a('number');
    await client.kv.put(key, 'v1');
    await waitFor(() => w.data === 'v1', { timeoutMs: 5000, message: 'the write to wake the watcher' });
    expect(w.requests).to.be.at.most(4);
  });

  it('recovers after the agent is stopped and restarted empty; the client calls it unavailable only meanwhile', async function () {
    onlyStandin(this, 'the test stops and restarts the agent');
    await client.kv.put(key, 'before');
    const w = watchKey();
    let errors = 0;
    w.on('error', () => errors++);
    await waitFor(() => w.data === 'before', { timeoutMs: 5000 });
    expect(client.unavailable).to.equal(false);
    await consul.stop();
    const requestsAtStop = w.requests;
    await waitFor(() => errors >= 3, { timeoutMs: 10_000, message: 'the watcher to notice the outage' });
    expect(client.unavailable, 'three failures in a row').to.equal(true);
    const outageStart = Date.now();
    await waitFor(() => Date.now() - outageStart >= 2000, { timeoutMs: 3000, intervalMs: 100 });
    expect(w.requests - requestsAtStop).to.be.at.most(15);
    expect(w.data).to.equal('before', 'the last good data is kept during the outage');
    await consul.restart();
    await waitFor(() => w.healthy, { timeoutMs: 10_000, message: 'the watcher to reconnect' });
    expect(client.unavailable).to.equal(false);
    await waitFor(() => w.data === undefined, { timeoutMs: 5000, message: 'the empty agent to be seen' });
    await client.kv.put(key, 'after');
    await waitFor(() => w.data === 'after', { timeoutMs: 5000, message: 'changes to flow after the restart' });
  });
});

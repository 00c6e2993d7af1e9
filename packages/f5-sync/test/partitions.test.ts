// Two f5-sync instances (test and live) sharing one BIG-IP stand-in, each in its own partition: neither reads,
// writes or removes anything of the other's, even with the same pool name and the same addresses.

import { expect } from 'chai';
import { silentLogger } from '@consul-sidecars/core';
import { createF5Sync, type F5Sync } from '../src/f5-sync';
import type { CallRecord } from '../src/target/bigip/icontrol-errors';
import { deregister, membersOf, poolOf, receiving, register, startEnv, testConfig, uniqueName, waitFor, type Env, type Instance } from './support';

describe('f5-sync: two syncers, two partitions, one BIG-IP @integration', function () {
  this.timeout(60_000);
  let env: Env;
  const running: F5Sync[] = [];
  const registered: string[] = [];

  before(async () => {
    env = await startEnv({ tokenTimeoutSeconds: 600, partitions: ['Test', 'Live'] });
  });
  after(async () => {
    for (const f5 of running.splice(0)) await f5.close();
    await deregister(env.consul.client, ...registered.splice(0));
    await env.close();
  });

  async function start(partition: string, service: string, calls: CallRecord[]): Promise<F5Sync> {
    // No partition on the pools: they take the syncer's `partition`. Two pools, so full passes read the collection.
    const config = testConfig(env, [{ consulService: service, name: 'web' }, { consulService: service, name: 'web_copy' }], { partition });
    const f5 = createF5Sync(config, { logger: silentLogger(), consul: env.consul.client, useLeaderLock: false, consulWaitSeconds: 5, onCall: (r) => calls.push(r) });
    running.push(f5);
    await f5.loop.start();
    return f5;
  }

  it('each syncer keeps its own pool; removing an instance in one partition leaves the other untouched', async () => {
    const services = { Test: uniqueName('test'), Live: uniqueName('live') };
    // The same addresses and ports in both: only the partition tells the members (and their nodes) apart.
    for (const [partition, service] of Object.entries(services)) {
      const list: Instance[] = [0, 1].map((i) => ({ id: `${service}-${i}`, service, port: 27000 + i, tags: [i === 0 ? 'master' : 'slave'] }));
      for (const instance of list) {
        registered.push(instance.id);
        await register(env.consul.client, instance);
      }
      expect(partition).to.be.oneOf(['Test', 'Live']);
    }
    const calls: Record<'Test' | 'Live', CallRecord[]> = { Test: [], Live: [] };
    await start('Live', services.Live, calls.Live);
    await start('Test', services.Test, calls.Test);
    const names = ['127.0.0.1:27000', '127.0.0.1:27001'];
    for (const partition of ['Test', 'Live']) {
      for (const pool of ['web', 'web_copy']) {
        await waitFor(() => Object.keys(membersOf(env.bigip, pool, partition)).sort().join() === names.join(), { timeoutMs: 10_000, message: `${partition} ${pool} synced` });
      }
      expect(receiving(env.bigip, 'web', partition)).to.deep.equal(['127.0.0.1:27000']);
      expect(Object.values(membersOf(env.bigip, 'web', partition)).map((m) => m.description)).to.deep.equal([`f5-sync:${services[partition as 'Test' | 'Live']}`, `f5-sync:${services[partition as 'Test' | 'Live']}`]);
    }
    expect(poolOf(env.bigip, 'web', 'Common')).to.equal(undefined);
    const nodes = env.bigip.snapshot().nodes.map((n) => n.fullPath).sort();
    expect(nodes).to.deep.equal(['/Live/127.0.0.1', '/Test/127.0.0.1']);

    // The test syncer loses an instance: its member drains and goes; the live pool is not written at all.
    const liveGenerations = () => ['web', 'web_copy'].map((pool) => poolOf(env.bigip, pool, 'Live')!.generation);
    const before = liveGenerations();
    // The live syncer's writes so far: once both its pools hold their members, the answers are in a moment later.
    await waitFor(() => calls.Live.filter((c) => c.method === 'POST' && c.path.startsWith('/mgmt/tm/ltm/pool')).length === 2, { timeoutMs: 5_000, message: 'live creates answered' });
    const liveWrites = calls.Live.filter((c) => c.method !== 'GET').length;
    await deregister(env.consul.client, `${services.Test}-1`);
    await waitFor(() => Object.keys(membersOf(env.bigip, 'web', 'Test')).join() === '127.0.0.1:27000', { timeoutMs: 15_000, message: 'test member drained and removed' });
    // Let the live syncer run a resync (every 1 s in tests) after the test pool changed.
    const seen = calls.Live.length;
    await waitFor(() => calls.Live.length > seen, { timeoutMs: 5_000, message: 'live syncer resynced' });
    expect(liveGenerations()).to.deep.equal(before);
    expect(calls.Live.filter((c) => c.method !== 'GET').length).to.equal(liveWrites);
    expect(Object.keys(membersOf(env.bigip, 'web', 'Live')).sort()).to.deep.equal(names);

    // Every object path either syncer addressed is in its own partition; its collection reads are filtered to it.
    for (const [partition, list] of Object.entries(calls)) {
      const other = partition === 'Test' ? 'Live' : 'Test';
      for (const call of list) {
        expect(call.path, `${partition} syncer: ${call.method} ${call.path}`).not.to.include(`~${other}~`);
        expect(call.path, `${partition} syncer: ${call.method} ${call.path}`).not.to.include('~Common~');
        if (call.path.startsWith('/mgmt/tm/ltm/pool?')) expect(decodeURIComponent(call.path)).to.include(`$filter=partition eq ${partition}`);
      }
      expect(list.some((call) => call.path.startsWith('/mgmt/tm/ltm/pool?')), `${partition} syncer read its pools in bulk`).to.equal(true);
    }
  });
});

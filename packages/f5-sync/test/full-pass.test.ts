// A full pass over many pools against the HTTPS BIG-IP stand-in: writes of several pools share transactions, and a
// pool that fails the shared transaction (a 404 from a race, a value the BIG-IP rejects) costs only itself.

import { expect } from 'chai';
import { silentLogger } from '@consul-sidecars/core';
import { parseF5SyncConfig, type PoolConfig } from '../src/config';
import type { ServiceInstance } from '../src/observe/health-entries';
import { desiredMembers } from '../src/plan/desired-members';
import { PoolSyncer } from '../src/pool-pass';
import { BigipPoolTarget } from '../src/target/bigip/bigip-target';
import { IcontrolClient } from '../src/target/bigip/icontrol-client';
import { membersOf, PASSWORD, startEnv, uniqueName, type Env } from './support';

const MAPPING = { roleTags: { master: 10, slave: 9 }, defaultPriority: 0, ratioMetaKey: 'f5-ratio' };
const PLAN = { ownerMark: 'f5-sync', drainPeriodMs: 0, holdWhenEmptyFrom: 2 };

function instances(n: number, base: number, masterAt = 0): ServiceInstance[] {
  return Array.from({ length: 2 }, (_, m) => ({ id: `i${n}-${m}`, node: 'n', address: `10.77.${n}.${m + 1}`, port: base, tags: [m === masterAt ? 'master' : 'slave'], meta: {} }));
}

describe('full pass: shared transactions @integration', function () {
  this.timeout(30_000);
  let env: Env;
  let client: IcontrolClient;
  let calls: string[];
  before(async () => {
    env = await startEnv({ tokenTimeoutSeconds: 600, transactionTimeoutSeconds: 5 });
  });
  beforeEach(() => {
    calls = [];
    client = new IcontrolClient({ url: env.bigip.url, username: 'admin', password: PASSWORD, ca: env.bigip.caPem, onCall: (r) => calls.push(`${r.transactional ? 'enlist ' : ''}${r.method} ${r.path} ${r.status}`) });
  });
  afterEach(async () => {
    await client.close();
    env.bigip.clearFaults();
  });
  after(async () => {
    await env.close();
  });

  function poolsNamed(prefix: string, n: number, extra: (i: number) => Record<string, unknown> = () => ({})): PoolConfig[] {
    return parseF5SyncConfig({
      bigip: { url: env.bigip.url, username: 'admin', password: PASSWORD },
      pools: Array.from({ length: n }, (_, i) => ({ consulService: `${prefix}-svc${i}`, name: `${prefix}_${i}`, ...extra(i) })),
    }).pools;
  }

  it('pools with several changes share transactions; a 404 race is re-read, a rejected pool fails alone, the others apply', async () => {
    const prefix = uniqueName('many').replace(/-/g, '_');
    const pools = poolsNamed(prefix, 6);
    const target = new BigipPoolTarget(client, { maxCommands: 6, workers: 2 });
    const syncer = new PoolSyncer({ target, logger: silentLogger(), plan: PLAN });
    const pass = async (list: PoolConfig[], masterAt: number, beforeWrites: () => Promise<void> = async () => undefined) => {
      const live = await target.readPools(list);
      await beforeWrites();
      calls.length = 0;
      return Promise.allSettled(syncer.syncMany(list.map((pool, i) => ({ pool, desired: desiredMembers(pool, instances(i, 8080, masterAt), MAPPING), live: live.get(`/Common/${pool.name}`) }))));
    };
    expect((await pass(pools, 0)).map((o) => o.status)).to.deep.equal(Array(6).fill('fulfilled'));

    // The swap is 2 PATCHes per pool. Pool 4 now also wants a monitor the BIG-IP does not have, so its plan fails.
    const swapped = pools.map((pool, i) => (i === 4 ? { ...pool, monitor: '/Common/no_such_monitor' } : pool));
    // After our read, someone deletes pool 1's slave by hand: its PATCH is a 404 inside the shared transaction.
    const outcomes = await pass(swapped, 1, () => client.request({ method: 'DELETE', path: `/mgmt/tm/ltm/pool/~Common~${pools[1].name}/members/~Common~10.77.1.2:8080` }).then(() => undefined));

    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    // BIG-IP answers an unknown monitor with mcpd's "was not found", which reads as a stale view: re-read, then given up.
    const rejected = (outcomes[4] as PromiseRejectedResult).reason as Error & { cause?: Error };
    expect((rejected.cause ?? rejected).message).to.contain('no_such_monitor');
    for (const i of [0, 1, 2, 3, 5]) {
      const members = membersOf(env.bigip, pools[i].name);
      expect(members[`10.77.${i}.1:8080`], pools[i].name).to.deep.include({ priorityGroup: 9 });
      expect(members[`10.77.${i}.2:8080`], pools[i].name).to.deep.include({ priorityGroup: 10 });
    }
    // Pool 4 is as it was: master still member 1.
    expect(membersOf(env.bigip, pools[4].name)['10.77.4.1:8080']).to.deep.include({ priorityGroup: 10 });
    // The shared transactions holding pool 1 (the 404) and pool 4 (the monitor) failed; each of their pools then went alone.
    expect(calls.filter((c) => c.startsWith('POST /mgmt/tm/transaction ')).length).to.be.greaterThan(2);
    expect(calls.filter((c) => c.startsWith('enlist PATCH')).length).to.be.greaterThan(12);
    expect(calls).to.include(`GET /mgmt/tm/ltm/pool/~Common~${pools[1].name}?expandSubcollections=true 200`);
  });

  it('a role swap in many pools: fewer calls than a transaction per pool, and a second pass sends nothing', async () => {
    const prefix = uniqueName('swap').replace(/-/g, '_');
    const pools = poolsNamed(prefix, 8);
    const target = new BigipPoolTarget(client, { maxCommands: 8, workers: 2 });
    const syncer = new PoolSyncer({ target, logger: silentLogger(), plan: PLAN });
    const pass = async (masterAt: number) => {
      const live = await target.readPools(pools);
      return Promise.all(syncer.syncMany(pools.map((pool, i) => ({ pool, desired: desiredMembers(pool, instances(i + 100, 9090, masterAt), MAPPING), live: live.get(`/Common/${pool.name}`) }))));
    };
    await pass(0);
    calls.length = 0;
    const swapped = await pass(1);
    expect(swapped.map((r) => r.outcome)).to.deep.equal(Array(8).fill('applied'));
    for (const [i, pool] of pools.entries()) expect(membersOf(env.bigip, pool.name)[`10.77.${i + 100}.2:9090`]).to.deep.include({ priorityGroup: 10 });
    // 8 pools x 2 PATCHes in 2 shared transactions of 8 commands: 1 read + 2 x (create + 8 enlists + commit) = 21
    // (a transaction per pool: 1 + 8 x 4 = 33).
    expect(calls.filter((c) => !c.startsWith('GET /mgmt/tm/transaction/'))).to.have.length(21);
    calls.length = 0;
    const again = await pass(1);
    expect(again.map((r) => r.outcome)).to.deep.equal(Array(8).fill('unchanged'));
    expect(calls).to.deep.equal([`GET /mgmt/tm/ltm/pool?expandSubcollections=true&$filter=partition%20eq%20Common 200`]);
  });
});

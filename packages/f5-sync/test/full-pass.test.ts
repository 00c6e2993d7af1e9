// A full pass over many pools against the HTTPS BIG-IP stand-in: writes of several pools share transactions, and a
// pool that fails the shared transaction (a 409 from a race, a value the BIG-IP rejects) costs only itself.

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

  it('new pools go in transactions shared by several pools; one rejected pool fails alone, a 409 race is re-read and patched', async () => {
    const prefix = uniqueName('many').replace(/-/g, '_');
    // Pool 4 names a monitor the BIG-IP does not have: its create fails, in the shared transaction and alone.
    const pools = poolsNamed(prefix, 6, (i) => (i === 4 ? { monitor: '/Common/no_such_monitor' } : {}));
    const target = new BigipPoolTarget(client, { maxCommands: 3, workers: 2, shareSingleCallsFrom: 2 });
    const syncer = new PoolSyncer({ target, logger: silentLogger(), plan: PLAN });
    const live = await target.readPools(pools);
    // Someone creates pool 1 after our read said it was missing: its create is a 409 inside the shared transaction.
    await client.request({ method: 'POST', path: '/mgmt/tm/ltm/pool', body: { name: pools[1].name, partition: 'Common' } });
    calls.length = 0;
    const outcomes = await Promise.allSettled(syncer.syncMany(pools.map((pool, i) => ({ pool, desired: desiredMembers(pool, instances(i, 8080), MAPPING), live: live.get(`/Common/${pool.name}`) }))));

    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    // BIG-IP answers an unknown monitor with mcpd's "was not found", which reads as a stale view: re-read, then given up.
    const rejected = (outcomes[4] as PromiseRejectedResult).reason as Error & { cause?: Error };
    expect((rejected.cause ?? rejected).message).to.contain('no_such_monitor');
    for (const i of [0, 1, 2, 3, 5]) {
      const members = membersOf(env.bigip, pools[i].name);
      expect(members[`10.77.${i}.1:8080`], pools[i].name).to.deep.include({ priorityGroup: 10 });
      expect(members[`10.77.${i}.2:8080`], pools[i].name).to.deep.include({ priorityGroup: 9 });
    }
    expect(membersOf(env.bigip, pools[4].name)).to.deep.equal({});
    // Two shared transactions of 3 creates each were tried (both failed: one a 409, one a rejected monitor), then each pool alone.
    expect(calls.filter((c) => c.startsWith('POST /mgmt/tm/transaction '))).to.have.length(3);
    expect(calls.filter((c) => c === 'enlist POST /mgmt/tm/ltm/pool 200')).to.have.length(6);
    expect(calls.filter((c) => c === 'POST /mgmt/tm/ltm/pool 200')).to.have.length(4);
    expect(calls).to.include('POST /mgmt/tm/ltm/pool 409');
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
    expect(calls).to.deep.equal([`GET /mgmt/tm/ltm/pool?expandSubcollections=true 200`]);
  });
});

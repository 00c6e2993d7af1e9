// Virtual servers a pool names: the pure planner (table tests), and the loop against the HTTPS BIG-IP stand-in:
// created with the pool as default (the master takes new connections), repaired, removed when no longer named;
// a hand-made virtual server, even on our pool or with the name we want, is never touched.

import { expect } from 'chai';
import { parseF5SyncConfig } from '../src/config';
import { planVirtualServers } from '../src/plan/virtual-plan';
import type { LiveVirtual } from '../src/target/pool-model';
import { byHand, deregister, membersOf, receiving, register, startEnv, startF5Sync, testConfig, uniqueName, waitFor, type Env } from './support';
import type { F5Sync } from '../src/f5-sync';

const BIGIP = { url: 'https://bigip.example', username: 'u', password: 'p' };

function pools(virtual?: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return parseF5SyncConfig({ bigip: BIGIP, pools: [{ consulService: 'web', name: 'web_pool', ...(virtual ? { virtual } : {}), ...extra }] }).pools;
}

const OURS: LiveVirtual = {
  partition: 'Common',
  name: 'web_pool_vs',
  destination: '/Common/10.0.0.10:80',
  pool: '/Common/web_pool',
  profiles: ['/Common/tcp'],
  sourceAddressTranslation: { type: 'automap' },
  description: 'f5-sync:web',
};

describe('virtual server planner', () => {
  const cases: Array<{ name: string; virtual?: Record<string, unknown>; live: LiveVirtual[]; kinds: string[]; foreign?: string[]; changes?: Record<string, unknown> }> = [
    { name: 'named, missing -> created', virtual: { destination: '10.0.0.10:80', snat: 'automap' }, live: [], kinds: ['createVirtual'] },
    { name: 'named, ours and equal -> nothing', virtual: { destination: '10.0.0.10:80', snat: 'automap' }, live: [OURS], kinds: [] },
    { name: 'ours, destination and SNAT changed -> one PATCH of those', virtual: { destination: '10.0.0.11:80', snat: 'snat_out' }, live: [OURS], kinds: ['updateVirtual'], changes: { destination: '/Common/10.0.0.11:80', sourceAddressTranslation: { type: 'snat', pool: '/Common/snat_out' } } },
    { name: 'ours, profiles in another order -> nothing', virtual: { destination: '10.0.0.10:80', snat: 'automap', profiles: ['http', 'tcp'] }, live: [{ ...OURS, profiles: ['/Common/tcp', '/Common/http'] }], kinds: [] },
    { name: 'same name, made by hand -> left alone, reported', virtual: { destination: '10.0.0.10:80' }, live: [{ ...OURS, description: 'by hand' }], kinds: [], foreign: ['/Common/web_pool_vs'] },
    { name: 'no longer named, ours -> removed', live: [OURS], kinds: ['removeVirtual'] },
    { name: 'no longer named, by hand on our pool -> left alone', live: [{ ...OURS, name: 'hand_vs', description: undefined }], kinds: [] },
    { name: "ours, but its pool is not in this config (another syncer's) -> left alone", live: [{ ...OURS, pool: '/Common/other_pool' }], kinds: [] },
    { name: 'renamed in the config -> new one created, old one of ours removed', virtual: { name: 'web_front', destination: '10.0.0.10:80', snat: 'automap' }, live: [OURS], kinds: ['createVirtual', 'removeVirtual'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planVirtualServers(pools(c.virtual), c.live, 'f5-sync');
      expect(plan.actions.map((a) => a.kind)).to.deep.equal(c.kinds);
      expect(plan.foreign).to.deep.equal(c.foreign ?? []);
      if (c.changes) expect((plan.actions[0] as { changes: unknown }).changes).to.deep.equal(c.changes);
    });
  }

  it('creates in the pool partition, built-in profiles from Common, the SNAT pool in the partition', () => {
    const plan = planVirtualServers(pools({ destination: '10.0.0.10:443', profiles: ['tcp', '/Common/http'], snat: 'snat_out' }, { partition: 'Live' }), [], 'f5-sync');
    expect(plan.actions[0]).to.deep.equal({
      kind: 'createVirtual',
      ref: { partition: 'Live', name: 'web_pool_vs' },
      fields: { destination: '/Live/10.0.0.10:443', pool: '/Live/web_pool', profiles: ['/Common/http', '/Common/tcp'], sourceAddressTranslation: { type: 'snat', pool: '/Live/snat_out' }, description: 'f5-sync:web' },
    });
  });

  it('rejects a destination that is not address:port, naming the field', () => {
    expect(() => pools({ destination: 'web.example:80' })).to.throw(/pools\.0\.virtual\.destination.*web\.example:80/);
  });
});

describe('virtual servers against the stand-in @integration', function () {
  this.timeout(60_000);
  let env: Env;
  let f5: F5Sync | undefined;
  const registered: string[] = [];

  before(async () => {
    env = await startEnv({ tokenTimeoutSeconds: 600 });
  });
  afterEach(async () => {
    await f5?.close();
    f5 = undefined;
  });
  after(async () => {
    await deregister(env.consul.client, ...registered.splice(0));
    await env.close();
  });

  const virtuals = () => Object.fromEntries(env.bigip.snapshot().virtuals.map((v) => [v.fullPath as string, v as Record<string, any>]));

  it('creates the virtual server with the pool as default, leaves hand-made ones alone, removes its own when no longer named', async () => {
    const service = uniqueName('vs');
    const pool = `${service}_pool`.replace(/-/g, '_');
    for (const [i, role] of ['master', 'slave'].entries()) {
      registered.push(`${service}-${i}`);
      await register(env.consul.client, { id: `${service}-${i}`, service, port: 28000 + i, tags: [role] });
    }
    const hand = byHand(env);
    // A virtual server with the name f5-sync would use, made by hand: never adopted, never changed.
    await hand.request('POST', '/mgmt/tm/ltm/pool', { name: 'hand_pool' });
    await hand.request('POST', '/mgmt/tm/ltm/virtual', { name: `${pool}_other`, destination: '10.0.0.21:80', pool: 'hand_pool', description: 'made by hand' });
    const virtual = { destination: '10.0.0.20:80', profiles: ['tcp', 'http'], snat: 'automap' };
    f5 = await startF5Sync(env, testConfig(env, [{ consulService: service, name: pool, virtual }, { consulService: service, name: `${pool}_b`, virtual: { name: `${pool}_other`, destination: '10.0.0.21:80' } }]));
    await waitFor(() => virtuals()[`/Common/${pool}_vs`] !== undefined, { timeoutMs: 10_000, message: 'virtual server created' });
    expect(virtuals()[`/Common/${pool}_vs`]).to.deep.include({ destination: '/Common/10.0.0.20:80', pool: `/Common/${pool}`, description: `f5-sync:${service}`, ipProtocol: 'tcp' });
    expect(virtuals()[`/Common/${pool}_vs`].sourceAddressTranslation).to.deep.equal({ type: 'automap' });
    expect(virtuals()[`/Common/${pool}_vs`].profilesReference.items.map((p: { fullPath: string }) => p.fullPath).sort()).to.deep.equal(['/Common/http', '/Common/tcp']);
    // Its default pool's traffic goes to the master only.
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 2, { timeoutMs: 10_000, message: 'members synced' });
    expect(receiving(env.bigip, pool)).to.deep.equal(['127.0.0.1:28000']);
    // The hand-made one with the wanted name stays exactly as it was.
    expect(virtuals()[`/Common/${pool}_other`]).to.deep.include({ pool: '/Common/hand_pool', description: 'made by hand' });

    // Drift on ours is repaired by the next full pass (resync every 1 s in tests).
    await hand.request('PATCH', `/mgmt/tm/ltm/virtual/~Common~${pool}_vs`, { sourceAddressTranslation: { type: 'none' } });
    await waitFor(() => virtuals()[`/Common/${pool}_vs`].sourceAddressTranslation.type === 'automap', { timeoutMs: 10_000, message: 'SNAT setting repaired' });

    // The declaration goes: ours is removed, the hand-made one survives, and the pool and its members stay.
    await f5.close();
    f5 = await startF5Sync(env, testConfig(env, [{ consulService: service, name: pool }, { consulService: service, name: `${pool}_b` }]));
    await waitFor(() => virtuals()[`/Common/${pool}_vs`] === undefined, { timeoutMs: 10_000, message: 'our virtual server removed' });
    expect(virtuals()[`/Common/${pool}_other`]).to.deep.include({ pool: '/Common/hand_pool', description: 'made by hand' });
    expect(Object.keys(membersOf(env.bigip, pool))).to.have.length(2);
  });
});

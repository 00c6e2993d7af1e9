// kill -9 at every crash point of f5-sync's act phase (core's crashPoint, CONSUL_SIDECARS_CRASH_AT), restarted unarmed:
// the BIG-IP equals Consul (members, priority groups, the declared pool gone with its virtual server), no duplicate,
// and nothing f5-sync did not create (a hand-made member, pool, virtual server) is touched.

import { expect } from 'chai';
import { CRASH_POINT_NAMES } from '../src/crash-points';
import { declaredPoolDescription, ownerDescription } from '../src/plan/owner-mark';
import { fileConfig, killChildren, startChild, type Child } from './child';
import { byHand, deregister, register, startEnv, uniqueName, waitFor, writeConfigFile, type Env } from './support';

type Snapshot = ReturnType<Env['bigip']['snapshot']>;

describe('f5-sync killed at every crash point @integration', function () {
  this.timeout(120_000);
  let env: Env;
  const children: Child[] = [];
  const registered: string[] = [];

  before(async () => {
    env = await startEnv({ tokenTimeoutSeconds: 600 });
  });
  afterEach(async () => {
    await killChildren(children);
    await deregister(env.consul.client, ...registered.splice(0));
  });
  after(async () => {
    await env.close();
  });

  /** What is not f5-sync's, as the stand-in holds it: must come out of every run byte for byte the same. */
  function foreignState(snapshot: Snapshot, names: { hand: string; handVs: string; withForeign: string }) {
    const pool = (name: string) => snapshot.pools.find((p) => p.fullPath === `/Common/${name}`) as { members: Array<Record<string, unknown>>; description?: string } | undefined;
    return {
      hand: pool(names.hand),
      handVs: snapshot.virtuals.find((v) => v.fullPath === `/Common/${names.handVs}`),
      foreignMember: pool(names.withForeign)?.members.find((m) => m.description === 'by hand'),
    };
  }

  function membersNow(name: string): Record<string, { priorityGroup: number; session: string; description?: string }> {
    const pool = env.bigip.snapshot().pools.find((p) => p.fullPath === `/Common/${name}`) as { members: Array<{ name: string; priorityGroup: number; session: string; description?: string }> } | undefined;
    return Object.fromEntries((pool?.members ?? []).map((m) => [m.name, { priorityGroup: m.priorityGroup, session: m.session, description: m.description }]));
  }

  // One scenario reaches every point in one pass: pools with several changes (a shared transaction), a pool to create
  // (one call), a member of ours Consul no longer has, and a left-over declared pool with its virtual server to remove.
  for (const point of [...CRASH_POINT_NAMES, 'f5-sync.between-pools:2']) {
    it(`${point}: dies by SIGKILL there; restarted unarmed, BIG-IP == Consul, nothing foreign touched`, async () => {
      const service = uniqueName('crash');
      const base = service.replace(/-/g, '_');
      const [poolA, poolB, poolC, declared] = ['a', 'b', 'c', 'declared'].map((x) => `${base}_${x}`);
      const names = { hand: `${base}_hand`, handVs: `${base}_hand_vs`, withForeign: poolA };
      const ports = [34000, 34001, 34002];
      for (const [i, port] of ports.entries()) {
        registered.push(`${service}-${i}`);
        await register(env.consul.client, { id: `${service}-${i}`, service, port, tags: [i === 0 ? 'master' : 'slave'] });
      }
      const hand = byHand(env);
      const ours = ownerDescription('f5-sync', service);
      // A: our master already there, plus a member made by hand. C: one member of ours Consul no longer has.
      await hand.request('POST', '/mgmt/tm/ltm/pool', { name: poolA, members: [{ name: '127.0.0.1:34000', address: '127.0.0.1', priorityGroup: 10, description: ours }, { name: '127.0.0.9:80', address: '127.0.0.9', description: 'by hand' }] });
      await hand.request('POST', '/mgmt/tm/ltm/pool', { name: poolC, members: [{ name: '127.0.0.1:34099', address: '127.0.0.1', description: ours }] });
      // A declared pool nobody declares any more, with our virtual server; and a pool and virtual server made by hand.
      const gone = `${service}-old`;
      await hand.request('POST', '/mgmt/tm/ltm/pool', { name: declared, description: declaredPoolDescription('f5-sync', gone), members: [{ name: '127.0.0.1:34098', address: '127.0.0.1', description: ownerDescription('f5-sync', gone) }] });
      await hand.request('POST', '/mgmt/tm/ltm/virtual', { name: `${declared}_vs`, destination: '10.0.0.50:80', pool: declared, description: ownerDescription('f5-sync', gone) });
      await hand.request('POST', '/mgmt/tm/ltm/pool', { name: names.hand, members: [{ name: '127.0.0.8:80', address: '127.0.0.8' }] });
      await hand.request('POST', '/mgmt/tm/ltm/virtual', { name: names.handVs, destination: '10.0.0.51:80', pool: names.hand, description: 'made by hand' });
      const foreignBefore = JSON.stringify(foreignState(env.bigip.snapshot(), names));

      const file = writeConfigFile(env, fileConfig(env, [poolA, poolB, poolC].map((name) => ({ consulService: service, name })), {
        drainPeriod: 0,
        declarations: { enabled: true },
        resyncInterval: '1h',
      }), `${base}.json`);
      const armed = startChild(['--config', file], { CONSUL_SIDECARS_CRASH_AT: point });
      children.push(armed);
      const exit = await Promise.race([armed.exited.then(() => armed.process.signalCode), new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000))]);
      expect(exit, `killed at ${point}: ${JSON.stringify(armed.lines.slice(-5))}`).to.equal('SIGKILL');
      expect(armed.lines.some((l) => l.msg === 'crash point reached: SIGKILL' && point.startsWith(String(l.crashPoint)))).to.equal(true);

      // Killed mid-way: the BIG-IP is not yet where Consul says (the left-over declared pool at least is still there).
      const pools = () => env.bigip.snapshot().pools.map((p) => p.fullPath);
      expect(pools(), 'not converged when killed').to.include(`/Common/${declared}`);
      if (point === 'f5-sync.retire-after-virtual') expect(env.bigip.snapshot().virtuals.map((v) => v.fullPath)).to.not.include(`/Common/${declared}_vs`);
      if (point === 'f5-sync.in-transaction' || point === 'f5-sync.before-commit') {
        // The open transaction applied nothing.
        expect(Object.keys(membersNow(poolA)).sort()).to.deep.equal(['127.0.0.1:34000', '127.0.0.9:80']);
      }

      const restarted = startChild(['--config', file]);
      children.push(restarted);
      const want = { '127.0.0.1:34000': 10, '127.0.0.1:34001': 9, '127.0.0.1:34002': 9 };
      const ourMembers = (pool: string) => Object.fromEntries(Object.entries(membersNow(pool)).filter(([, m]) => m.description === ours).map(([name, m]) => [name, m.priorityGroup]));
      await waitFor(
        () => [poolA, poolB, poolC].every((pool) => JSON.stringify(ourMembers(pool)) === JSON.stringify(want))
          && !env.bigip.snapshot().pools.some((p) => p.fullPath === `/Common/${declared}`)
          && !env.bigip.snapshot().virtuals.some((v) => v.fullPath === `/Common/${declared}_vs`),
        { timeoutMs: 20_000, message: `converged after restart from ${point}` },
      );
      for (const pool of [poolA, poolB, poolC]) {
        const all = Object.entries(membersNow(pool));
        expect(all.every(([, m]) => m.session === 'user-enabled'), `${pool} all enabled`).to.equal(true);
        expect(all.map(([name]) => name).sort(), pool).to.deep.equal(pool === poolA ? [...Object.keys(want), '127.0.0.9:80'].sort() : Object.keys(want));
      }
      expect(JSON.stringify(foreignState(env.bigip.snapshot(), names)), 'nothing foreign touched').to.equal(foreignBefore);
    });
  }
});

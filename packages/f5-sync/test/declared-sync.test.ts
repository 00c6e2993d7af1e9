// Pools declared from Consul, the loop against the HTTPS BIG-IP stand-in: a service's tag (or meta) creates its pool,
// members and virtual server without a config entry; the config file wins a clash; removing the declaration drains
// and removes only what f5-sync made; a process restarted after the declaration went still cleans up.

import { expect } from 'chai';
import type { ConsulClient } from '@consul-sidecars/core';
import type { F5Sync } from '../src/f5-sync';
import { byHand, deregister, membersOf, poolOf, receiving, startEnv, startF5Sync, testConfig, uniqueName, waitFor, type Env } from './support';

async function registerWith(consul: ConsulClient, id: string, service: string, port: number, tags: string[], meta: Record<string, string> = {}): Promise<void> {
  await consul.agent.service.register({ id, name: service, address: '127.0.0.1', port, tags, meta, check: { ttl: '60s' } } as never);
  await consul.agent.check.pass(`service:${id}`);
}

describe('pools declared from Consul against the stand-in @integration', function () {
  this.timeout(60_000);
  let env: Env;
  let f5: F5Sync | undefined;
  const registered: string[] = [];
  const DECLARATIONS = { declarations: { enabled: true }, drainPeriod: '500ms' };

  before(async () => {
    env = await startEnv({ tokenTimeoutSeconds: 600 });
  });
  afterEach(async () => {
    await f5?.close();
    f5 = undefined;
    await deregister(env.consul.client, ...registered.splice(0));
  });
  after(async () => {
    await env.close();
  });

  const virtuals = () => Object.fromEntries(env.bigip.snapshot().virtuals.map((v) => [v.fullPath as string, v as Record<string, any>]));
  const names = (what: string) => {
    const service = uniqueName(what);
    return { service, pool: `${service}_pool`.replace(/-/g, '_') };
  };

  it('a tag declares pool + virtual server; the master takes new connections; removing it cleans up only what f5-sync made', async () => {
    const { service, pool } = names('decl');
    const declaration = [`f5-pool=${pool}`, 'f5-virtual=10.0.0.30:80'];
    for (const [i, role] of ['master', 'slave'].entries()) {
      registered.push(`${service}-${i}`);
      await registerWith(env.consul.client, `${service}-${i}`, service, 29000 + i, [role, ...declaration]);
    }
    const hand = byHand(env);
    await hand.request('POST', '/mgmt/tm/ltm/pool', { name: `${pool}_hand` });
    await hand.request('POST', '/mgmt/tm/ltm/virtual', { name: `${pool}_hand_vs`, destination: '10.0.0.31:80', pool: `${pool}_hand`, description: 'made by hand' });

    f5 = await startF5Sync(env, testConfig(env, [], DECLARATIONS));
    await waitFor(() => virtuals()[`/Common/${pool}_vs`] !== undefined && Object.keys(membersOf(env.bigip, pool)).length === 2, { timeoutMs: 10_000, message: 'declared pool, members and virtual server' });
    expect(poolOf(env.bigip, pool) as unknown as { description: string }).to.deep.include({ description: `managed by f5-sync, declared by Consul service ${service}` });
    expect(virtuals()[`/Common/${pool}_vs`]).to.deep.include({ destination: '/Common/10.0.0.30:80', pool: `/Common/${pool}`, description: `f5-sync:${service}` });
    expect(membersOf(env.bigip, pool)['127.0.0.1:29000']!.priorityGroup).to.equal(10);
    expect(receiving(env.bigip, pool)).to.deep.equal(['127.0.0.1:29000']);
    const text = await f5.metrics.registry.metrics();
    expect(text).to.match(/^f5sync_declared_pools 1$/m);

    // The declaration goes (the instances stay, re-registered without it): drained, then pool and virtual server gone.
    for (const [i, role] of ['master', 'slave'].entries()) await registerWith(env.consul.client, `${service}-${i}`, service, 29000 + i, [role]);
    await waitFor(() => Object.values(membersOf(env.bigip, pool)).every((m) => m.session === 'user-disabled'), { timeoutMs: 10_000, message: 'members drained first' });
    await waitFor(() => poolOf(env.bigip, pool) === undefined && virtuals()[`/Common/${pool}_vs`] === undefined, { timeoutMs: 10_000, message: 'declared pool and its virtual server removed' });
    expect(virtuals()[`/Common/${pool}_hand_vs`]).to.deep.include({ pool: `/Common/${pool}_hand`, description: 'made by hand' });
    expect(poolOf(env.bigip, `${pool}_hand`)).to.not.equal(undefined);
    expect(f5.loop.health()).to.deep.include({ declared: 0, retiring: [] });
  });

  it('meta declares too; a hand-made member keeps the pool when the declaration goes; the config file wins a clash', async () => {
    const { service, pool } = names('meta');
    const clash = names('clash');
    registered.push(`${service}-0`, `${clash.service}-0`);
    await registerWith(env.consul.client, `${service}-0`, service, 29010, ['master'], { 'f5-pool': pool });
    // Declares a pool the config file lists for another service: the config's entry is the one synced.
    await registerWith(env.consul.client, `${clash.service}-0`, clash.service, 29011, [`f5-pool=${clash.pool}`]);
    const configured = names('cfg');
    registered.push(`${configured.service}-0`);
    await registerWith(env.consul.client, `${configured.service}-0`, configured.service, 29012, []);
    f5 = await startF5Sync(env, testConfig(env, [{ consulService: configured.service, name: clash.pool }], DECLARATIONS));
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 1, { timeoutMs: 10_000, message: 'meta-declared pool synced' });
    await waitFor(() => Object.keys(membersOf(env.bigip, clash.pool)).length === 1, { timeoutMs: 10_000, message: 'the configured pool synced' });
    expect(Object.keys(membersOf(env.bigip, clash.pool))).to.deep.equal(['127.0.0.1:29012']);

    await byHand(env).request('POST', `/mgmt/tm/ltm/pool/~Common~${pool}/members`, { name: '127.0.0.9:80', address: '127.0.0.9', description: 'by hand' });
    await deregister(env.consul.client, `${service}-0`);
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).join() === '127.0.0.9:80', { timeoutMs: 10_000, message: 'our member drained and removed, the hand-made one left' });
    await waitFor(() => (f5!.loop.health().retiring as string[] | undefined)?.length === 0, { timeoutMs: 5_000, message: 'retirement over' });
    expect(poolOf(env.bigip, pool), 'a pool with a hand-made member is kept').to.not.equal(undefined);
  });

  it('restarted after the declaration went, a new process finds the left-over declared pool and removes it', async () => {
    const { service, pool } = names('left');
    registered.push(`${service}-0`);
    await registerWith(env.consul.client, `${service}-0`, service, 29020, [`f5-pool=${pool}`, 'f5-virtual=10.0.0.32:80']);
    f5 = await startF5Sync(env, testConfig(env, [], DECLARATIONS));
    await waitFor(() => virtuals()[`/Common/${pool}_vs`] !== undefined && Object.keys(membersOf(env.bigip, pool)).length === 1, { timeoutMs: 10_000, message: 'declared pool synced' });
    await f5.close();
    f5 = undefined;
    await deregister(env.consul.client, `${service}-0`);
    // Not f5-sync's: a pool described like a config-file pool of ours is never deleted as left over.
    await byHand(env).request('POST', '/mgmt/tm/ltm/pool', { name: `${pool}_cfg`, description: `managed by f5-sync from Consul service ${service}` });
    f5 = await startF5Sync(env, testConfig(env, [], DECLARATIONS));
    await waitFor(() => poolOf(env.bigip, pool) === undefined && virtuals()[`/Common/${pool}_vs`] === undefined, { timeoutMs: 10_000, message: 'left-over declared pool removed' });
    expect(poolOf(env.bigip, `${pool}_cfg`)).to.not.equal(undefined);
  });

  it('a declaration made while f5-sync runs gets its pool and virtual server at once (no resync waited for)', async () => {
    const { service, pool } = names('late');
    f5 = await startF5Sync(env, testConfig(env, [], { ...DECLARATIONS, resyncInterval: 0 }));
    registered.push(`${service}-0`);
    await registerWith(env.consul.client, `${service}-0`, service, 29040, ['master', `f5-pool=${pool}`, 'f5-virtual=10.0.0.33:80']);
    await waitFor(() => virtuals()[`/Common/${pool}_vs`] !== undefined && Object.keys(membersOf(env.bigip, pool)).length === 1, { timeoutMs: 5_000, message: 'late declaration synced' });
    // A second instance later is an ordinary Consul change for the pool.
    registered.push(`${service}-1`);
    await registerWith(env.consul.client, `${service}-1`, service, 29041, ['slave', `f5-pool=${pool}`, 'f5-virtual=10.0.0.33:80']);
    await waitFor(() => Object.keys(membersOf(env.bigip, pool)).length === 2, { timeoutMs: 5_000, message: 'second member' });
    await deregister(env.consul.client, `${service}-0`, `${service}-1`);
    await waitFor(() => poolOf(env.bigip, pool) === undefined && virtuals()[`/Common/${pool}_vs`] === undefined, { timeoutMs: 10_000, message: 'removed with its declaration' });
  });

  it('declarations off (the default): a tag creates nothing', async () => {
    const { service, pool } = names('off');
    registered.push(`${service}-0`);
    await registerWith(env.consul.client, `${service}-0`, service, 29030, [`f5-pool=${pool}`]);
    const calls: string[] = [];
    f5 = await startF5Sync(env, testConfig(env, []));
    await f5.loop.fullPass();
    calls.push(...env.bigip.snapshot().pools.map((p) => p.fullPath as string));
    expect(calls).to.not.include(`/Common/${pool}`);
  });
});

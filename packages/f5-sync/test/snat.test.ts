// SNAT capacity: the pure planner (table tests), and the watch against the HTTPS BIG-IP stand-in with statistics set by
// the test: over the threshold -> metric 1 and a warning naming the pool, its addresses and the ratio; below -> cleared;
// a Consul KV list -> the SNAT pool's members.

import { expect } from 'chai';
import { createLogger } from '@consul-sidecars/core';
import { assessSnatPool, exhaustionTransition, planSnatMembers } from '../src/plan/snat-utilisation';
import { parseSnatMembersValue } from '../src/snat-capacity';
import { createF5Sync, type F5Sync } from '../src/f5-sync';
import { byHand, startEnv, testConfig, uniqueName, waitFor, type Env } from './support';

const LIMITS = { portsPerAddress: 64512, nearExhaustionRatio: 0.8 };

describe('SNAT utilisation planner', () => {
  const cases: Array<{ name: string; addresses: number; connections: number; ratio: number; near: boolean }> = [
    { name: 'idle', addresses: 2, connections: 0, ratio: 0, near: false },
    { name: "the seed's outage: one address, 60,000 connections", addresses: 1, connections: 60_000, ratio: 60_000 / 64512, near: true },
    { name: '8 addresses carrying 500k connections', addresses: 8, connections: 500_000, ratio: 500_000 / (8 * 64512), near: true },
    { name: 'just under the threshold', addresses: 2, connections: Math.floor(0.8 * 2 * 64512) - 1, ratio: (Math.floor(0.8 * 2 * 64512) - 1) / (2 * 64512), near: false },
    { name: 'at the threshold', addresses: 1, connections: 0.8 * 64512, ratio: 0.8, near: true },
    { name: 'no address at all cannot translate', addresses: 0, connections: 0, ratio: 1, near: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const addresses = Array.from({ length: c.addresses }, (_, i) => `10.2.0.${i + 1}`);
      const assessed = assessSnatPool({ pool: '/Common/snat', addresses, connections: c.connections }, LIMITS);
      expect(assessed.ratio).to.be.closeTo(c.ratio, 1e-9);
      expect(assessed.nearExhaustion).to.equal(c.near);
    });
  }

  const transitions: Array<[boolean | undefined, boolean, string | undefined]> = [
    [undefined, false, undefined],
    [undefined, true, 'warn'],
    [false, true, 'warn'],
    [true, true, undefined],
    [true, false, 'clear'],
    [false, false, undefined],
  ];
  for (const [before, now, want] of transitions) {
    it(`near exhaustion ${String(before)} -> ${now}: ${want ?? 'nothing logged'}`, () => {
      expect(exhaustionTransition(before, { pool: 'p', addresses: [], connections: 0, ratio: 0, nearExhaustion: now })).to.equal(want);
    });
  }

  const members: Array<{ name: string; wanted: string[]; live: string[]; plan: string[] | undefined }> = [
    { name: 'same set in another order: nothing', wanted: ['10.2.0.2', '10.2.0.1'], live: ['/Common/10.2.0.1', '/Common/10.2.0.2'], plan: undefined },
    { name: 'an address added', wanted: ['10.2.0.1', '10.2.0.2', '10.2.0.3'], live: ['/Common/10.2.0.1', '/Common/10.2.0.2'], plan: ['/Common/10.2.0.1', '/Common/10.2.0.2', '/Common/10.2.0.3'] },
    { name: 'an address removed', wanted: ['10.2.0.1'], live: ['/Common/10.2.0.1', '/Common/10.2.0.2'], plan: ['/Common/10.2.0.1'] },
    { name: 'full paths and duplicates in the list', wanted: ['/Common/10.2.0.1', '10.2.0.1'], live: ['/Common/10.2.0.1'], plan: undefined },
    { name: 'an empty list is never applied', wanted: [], live: ['/Common/10.2.0.1'], plan: undefined },
  ];
  for (const c of members) it(`KV members: ${c.name}`, () => expect(planSnatMembers('Common', c.wanted, c.live)).to.deep.equal(c.plan));

  it('a malformed KV value names the key and the value', () => {
    expect(parseSnatMembersValue('snat/out', '["10.2.0.1"]')).to.deep.equal(['10.2.0.1']);
    expect(() => parseSnatMembersValue('snat/out', '10.2.0.1,10.2.0.2')).to.throw('Consul KV snat/out: expected a JSON array of translation addresses, got "10.2.0.1,10.2.0.2"');
    expect(() => parseSnatMembersValue('snat/out', '[1]')).to.throw(/snat\/out/);
  });
});

describe('SNAT capacity against the stand-in @integration', function () {
  this.timeout(30_000);
  let env: Env;
  let f5: F5Sync | undefined;
  const lines: Array<Record<string, any>> = [];
  const kvKeys: string[] = [];

  before(async () => {
    env = await startEnv({ tokenTimeoutSeconds: 600 });
  });
  after(async () => {
    await f5?.close();
    for (const key of kvKeys) await env.consul.client.kv.del(key);
    await env.close();
  });

  async function metric(name: string, snatPool: string): Promise<number | undefined> {
    const found = (await f5!.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
    return (found?.values as Array<{ value: number; labels: Record<string, string> }> | undefined)?.find((v) => v.labels.snat_pool === snatPool)?.value;
  }

  it('warns over the threshold, clears below it, and keeps the members equal to the Consul KV list', async () => {
    const name = uniqueName('snat').replace(/-/g, '_');
    const key = `f5-sync-test/${name}/members`;
    kvKeys.push(key);
    await byHand(env).request('POST', '/mgmt/tm/ltm/snatpool', { name, members: ['10.2.0.1', '10.2.0.2'] });
    const logger = createLogger({ name: 'f5-sync', level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
    const config = testConfig(env, [], { snat: { pools: [{ name, membersKey: key }], nearExhaustionRatio: 0.8, interval: '100ms' } });
    f5 = createF5Sync(config, { logger, consul: env.consul.client, useLeaderLock: false, consulWaitSeconds: 5 });
    await f5.loop.start();
    const pool = `/Common/${name}`;
    await waitFor(async () => (await metric('f5sync_snat_utilisation_ratio', pool)) === 0, { timeoutMs: 5_000, message: 'idle utilisation exported' });
    expect(await metric('f5sync_snat_near_exhaustion', pool)).to.equal(0);

    // 110,000 connections over 2 x 64,512 ports: 0.85, over the 0.8 threshold.
    env.bigip.setStats('snat-translation', '/Common/10.2.0.1', { 'serverside.curConns': 60_000 });
    env.bigip.setStats('snat-translation', '/Common/10.2.0.2', { 'serverside.curConns': 50_000 });
    await waitFor(async () => (await metric('f5sync_snat_near_exhaustion', pool)) === 1, { timeoutMs: 5_000, message: 'near exhaustion raised' });
    expect(await metric('f5sync_snat_utilisation_ratio', pool)).to.be.closeTo(110_000 / (2 * 64512), 1e-9);
    const warnings = lines.filter((l) => l.msg === 'SNAT pool near port exhaustion: add translation addresses');
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ level: 'warn', snat_pool: pool, connections: 110_000, ratio: Number((110_000 / (2 * 64512)).toFixed(4)) });
    expect(warnings[0].addresses).to.deep.equal(['10.2.0.1', '10.2.0.2']);

    // Below the threshold again: the metric clears and one line says so.
    env.bigip.setStats('snat-translation', '/Common/10.2.0.1', { 'serverside.curConns': 10_000 });
    await waitFor(async () => (await metric('f5sync_snat_near_exhaustion', pool)) === 0, { timeoutMs: 5_000, message: 'near exhaustion cleared' });
    await waitFor(() => lines.some((l) => l.msg === 'SNAT pool below the exhaustion threshold again' && l.snat_pool === pool), { timeoutMs: 2_000, message: 'clear logged' });
    expect(lines.filter((l) => l.msg === 'SNAT pool near port exhaustion: add translation addresses')).to.have.length(1);

    // The KV list adds an address: the SNAT pool follows, and the capacity grows with it.
    await env.consul.client.kv.set(key, JSON.stringify(['10.2.0.1', '10.2.0.2', '10.2.0.3']));
    const members = () => (env.bigip.snapshot().snatpools.find((p) => p.fullPath === pool) as { members: string[] }).members;
    await waitFor(() => members().length === 3, { timeoutMs: 5_000, message: 'SNAT pool members from KV' });
    expect(members()).to.deep.equal(['/Common/10.2.0.1', '/Common/10.2.0.2', '/Common/10.2.0.3']);
    await waitFor(async () => (await metric('f5sync_snat_utilisation_ratio', pool)) === 60_000 / (3 * 64512), { timeoutMs: 5_000, message: 'ratio over 3 addresses' });

    // A malformed value: an error naming the key and the value; the members stay as they were.
    await env.consul.client.kv.set(key, 'not a list');
    await waitFor(() => lines.some((l) => l.level === 'error' && String(l.err).includes(`Consul KV ${key}`) && String(l.err).includes('"not a list"')), { timeoutMs: 5_000, message: 'malformed KV logged' });
    expect(members()).to.have.length(3);
  });
});

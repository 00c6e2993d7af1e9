// Declared pools, the pure parts: the next declared set from the last good one (malformed kept, config wins, an
// all-gone answer held), which services' entries the catalog watch reads, and the retirement of a pool whose
// declaration is gone (ours drained and removed, then our virtual server, then the pool; nothing foreign touched).

import { expect } from 'chai';
import type { PoolConfig } from '../src/config';
import { servicesToRead } from '../src/observe/catalog-declarations';
import { DEFAULT_DECLARATION_KEYS, nextDeclarations, type ServiceDeclarationInput } from '../src/observe/declared-pools';
import { declaredPoolDescription, ownerDescription, parseDeclaredPoolDescription, poolDescription } from '../src/plan/owner-mark';
import { planRetirement } from '../src/plan/retire-plan';
import type { LiveMember, LivePool, LiveVirtual } from '../src/target/pool-model';

const DEFAULTS = { partition: 'Common', loadBalancingMode: 'round-robin', minActiveMembers: 1 };
const declaredPool = (service: string, name: string): PoolConfig => ({ consulService: service, name, ...DEFAULTS, origin: 'declaration' });
const tagged = (service: string, pool: string, ...more: string[]): ServiceDeclarationInput => ({ service, tags: [`f5-pool=${pool}`, ...more], metas: [] });

describe('next declared pools', () => {
  const cases: Array<{
    name: string;
    previous: PoolConfig[];
    inputs: ServiceDeclarationInput[];
    configured?: PoolConfig[];
    holdFrom?: number;
    want: string[];
    kept?: string[];
    held?: RegExp;
    errors?: RegExp[];
  }> = [
    { name: 'first answer: every declaration', previous: [], inputs: [tagged('a', 'a_pool'), tagged('b', 'b_pool')], want: ['a:a_pool', 'b:b_pool'] },
    { name: 'a declaration gone -> its pool gone', previous: [declaredPool('a', 'a_pool'), declaredPool('b', 'b_pool')], inputs: [tagged('a', 'a_pool')], want: ['a:a_pool'] },
    { name: 'renamed -> the new name', previous: [declaredPool('a', 'a_pool')], inputs: [tagged('a', 'a2')], want: ['a:a2'] },
    {
      name: 'turned malformed -> the last good pool stays, the error is named',
      previous: [declaredPool('a', 'a_pool')],
      inputs: [{ service: 'a', tags: ['f5-pool=a pool'], metas: [] }],
      want: ['a:a_pool'],
      kept: ['a'],
      errors: [/service a: tag f5-pool "a pool" is not a pool name/],
    },
    {
      name: 'the config file now lists the pool -> the config wins, the declared one is not kept',
      previous: [declaredPool('a', 'a_pool')],
      inputs: [tagged('a', 'a_pool')],
      configured: [{ consulService: 'web', name: 'a_pool', ...DEFAULTS }],
      want: [],
      errors: [/service a: declares pool \/Common\/a_pool, which the config file lists \(pools\.0, consulService web\)/],
    },
    {
      name: 'a new claim of a pool a malformed service still holds -> the holder keeps it',
      previous: [declaredPool('a', 'shared')],
      inputs: [{ service: 'a', tags: ['f5-pool=shared', 'f5-virtual=nowhere'], metas: [] }, tagged('b', 'shared')],
      want: ['a:shared'],
      kept: ['a'],
      errors: [/f5-virtual "nowhere" is not a destination/, /service b: pool \/Common\/shared is still held by service a's last good declaration/],
    },
    {
      name: 'every one of 2+ declarations gone at once -> held like an empty Consul answer',
      previous: [declaredPool('a', 'a_pool'), declaredPool('b', 'b_pool')],
      inputs: [],
      holdFrom: 2,
      want: ['a:a_pool', 'b:b_pool'],
      kept: ['a', 'b'],
      held: /dropped all 2 declared pools at once/,
    },
    { name: 'the only declaration gone -> gone (below the guard)', previous: [declaredPool('a', 'a_pool')], inputs: [], holdFrom: 2, want: [] },
    { name: 'guard off -> all gone', previous: [declaredPool('a', 'a_pool'), declaredPool('b', 'b_pool')], inputs: [], holdFrom: 0, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const previous = new Map(c.previous.map((pool) => [pool.consulService, pool]));
      const next = nextDeclarations(previous, c.inputs, c.configured ?? [], DEFAULTS, { holdWhenAllGoneFrom: c.holdFrom ?? 2 });
      expect([...next.pools.values()].map((p) => `${p.consulService}:${p.name}`).sort()).to.deep.equal(c.want);
      expect(next.kept).to.deep.equal(c.kept ?? []);
      if (c.held) expect(next.held).to.match(c.held);
      else expect(next.held).to.equal(undefined);
      expect(next.errors.length).to.equal((c.errors ?? []).length);
      (c.errors ?? []).forEach((re, i) => expect(next.errors[i]!.message).to.match(re));
      for (const pool of next.pools.values()) expect(pool.origin).to.equal('declaration');
    });
  }
});

describe('which services the catalog watch reads entries of', () => {
  const keys = DEFAULT_DECLARATION_KEYS;
  const services = [
    { Name: 'tagged', Tags: ['f5-pool=p'] },
    { Name: 'by-meta', Tags: ['x'] },
    { Name: 'quiet', Tags: ['prod'] },
    { Name: 'retagged', Tags: ['v2'] },
  ];
  it('first answer: every service (a meta declaration can hide anywhere)', () => {
    expect(servicesToRead(services, undefined, new Set(), keys)).to.deep.equal(['tagged', 'by-meta', 'quiet', 'retagged']);
  });
  it('then: declaring ones (tag or last known meta) and new or retagged ones; an unchanged quiet one is not read', () => {
    const before = new Map([['tagged', ['f5-pool=p']], ['by-meta', ['x']], ['quiet', ['prod']], ['retagged', ['v1']]]);
    expect(servicesToRead(services, before, new Set(['by-meta']), keys)).to.deep.equal(['tagged', 'by-meta', 'retagged']);
  });
});

const NOW = Date.parse('2024-05-01T10:00:00.000Z');
const OPTIONS = { ownerMark: 'f5-sync', drainPeriodMs: 30_000, holdWhenEmptyFrom: 2 };
const POOL = declaredPool('web', 'web_pool');
function member(name: string, fields: Partial<LiveMember> = {}): LiveMember {
  const [address, port] = name.split(':');
  return { name, address, port: Number(port), priorityGroup: 10, ratio: 1, session: 'user-enabled', state: 'up', description: ownerDescription('f5-sync', 'web'), ...fields };
}
function livePool(members: LiveMember[], description = declaredPoolDescription('f5-sync', 'web')): LivePool {
  return { name: 'web_pool', partition: 'Common', loadBalancingMode: 'round-robin', minActiveMembers: 1, description, members };
}
const OUR_VS: LiveVirtual = { partition: 'Common', name: 'web_pool_vs', destination: '/Common/10.0.0.10:80', pool: '/Common/web_pool', profiles: ['/Common/tcp'], sourceAddressTranslation: { type: 'none' }, description: 'f5-sync:web' };
const HAND_VS: LiveVirtual = { ...OUR_VS, name: 'hand_vs', description: 'made by hand' };
const OTHER_VS: LiveVirtual = { ...OUR_VS, name: 'other_vs', pool: '/Common/other_pool' };

describe('retiring a declared pool', () => {
  const draining = ownerDescription('f5-sync', 'web', NOW - 31_000);
  const cases: Array<{ name: string; live: LivePool | undefined; virtuals?: LiveVirtual[]; want: { members: string[]; virtuals: string[]; pool: boolean; done: boolean; kept?: RegExp } }> = [
    { name: 'serving members -> drained first; nothing else yet', live: livePool([member('10.0.0.1:80'), member('10.0.0.2:80')]), virtuals: [OUR_VS], want: { members: ['drainMember 10.0.0.1:80', 'drainMember 10.0.0.2:80'], virtuals: [], pool: false, done: false } },
    {
      name: 'drain over -> members removed, then our virtual server, then the pool',
      live: livePool([member('10.0.0.1:80', { session: 'user-disabled', description: draining })]),
      virtuals: [OUR_VS, OTHER_VS],
      want: { members: ['removeMember 10.0.0.1:80'], virtuals: ['removeVirtual /Common/web_pool_vs'], pool: true, done: true },
    },
    { name: 'empty pool of ours -> the virtual server and the pool', live: livePool([]), virtuals: [OUR_VS], want: { members: [], virtuals: ['removeVirtual /Common/web_pool_vs'], pool: true, done: true } },
    { name: 'pool already gone -> done (our virtual server, if left, removed)', live: undefined, virtuals: [OUR_VS], want: { members: [], virtuals: ['removeVirtual /Common/web_pool_vs'], pool: false, done: true } },
    { name: 'a hand-made member remains -> ours removed, the pool stays', live: livePool([{ ...member('10.9.9.9:80'), description: 'by hand' }]), virtuals: [], want: { members: [], virtuals: [], pool: false, done: true, kept: /members not created by f5-sync remain \(10\.9\.9\.9:80\)/ } },
    { name: 'a hand-made virtual server uses the pool -> the pool stays, that virtual server untouched', live: livePool([]), virtuals: [OUR_VS, HAND_VS], want: { members: [], virtuals: ['removeVirtual /Common/web_pool_vs'], pool: false, done: true, kept: /virtual servers not created by f5-sync use it \(\/Common\/hand_vs\)/ } },
    { name: 'a pool made by hand that the service had adopted -> only our members go', live: livePool([], 'made by hand'), virtuals: [], want: { members: [], virtuals: [], pool: false, done: true, kept: /not created by f5-sync/ } },
    { name: 'a config-file pool of ours (not declared) is never deleted', live: livePool([], poolDescription('f5-sync', 'web')), virtuals: [], want: { members: [], virtuals: [], pool: false, done: true, kept: /not created by f5-sync/ } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planRetirement({ pool: POOL, live: c.live, virtuals: c.virtuals ?? [], now: NOW, options: OPTIONS });
      expect(plan.members.actions.map((a) => `${a.kind} ${'member' in a ? a.member : ''}`.trim())).to.deep.equal(c.want.members);
      expect(plan.virtuals.map((a) => `${a.kind} /${a.ref.partition}/${a.ref.name}`)).to.deep.equal(c.want.virtuals);
      expect(plan.pool !== undefined).to.equal(c.want.pool);
      expect(plan.done).to.equal(c.want.done);
      if (c.want.kept) expect(plan.keptBecause).to.match(c.want.kept);
    });
  }

  it('the declared-pool description is read back, and only it', () => {
    expect(parseDeclaredPoolDescription(declaredPoolDescription('f5-sync', 'web'), 'f5-sync')).to.equal('web');
    expect(parseDeclaredPoolDescription(poolDescription('f5-sync', 'web'), 'f5-sync')).to.equal(undefined);
    expect(parseDeclaredPoolDescription(declaredPoolDescription('other-sync', 'web'), 'f5-sync')).to.equal(undefined);
    expect(parseDeclaredPoolDescription(undefined, 'f5-sync')).to.equal(undefined);
  });
});

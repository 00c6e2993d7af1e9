import { expect } from 'chai';
import { DEFAULT_GUARD } from '../src/config';
import { instanceGuard } from '../src/plan/render-plan';
import { peersDigest, peersFromInstances, type UpstreamPeer } from '../src/plan/upstream-peers';
import { planPush, pushBody, type PushPlanInput } from '../src/plan/upstream-push-plan';
import { instance } from './fixtures';

const peer = (port: number, patch: Partial<UpstreamPeer> = {}): UpstreamPeer => ({ address: '127.0.0.1', port, weight: 1, backup: false, down: false, ...patch });

describe('renderer no-reload mode: instances -> peers', () => {
  const cases: [string, Parameters<typeof instance>[], UpstreamPeer[], string[]][] = [
    ['plain instances, sorted by address and port', [['b', 8002], ['a', 8001]], [peer(8001), peer(8002)], []],
    ['Weights.Passing is the weight', [['a', 8001, { Weights: { Passing: 5, Warning: 1 } }]], [peer(8001, { weight: 5 })], []],
    ['a warning instance uses Weights.Warning', [['a', 8001, { Status: 'warning', Weights: { Passing: 5, Warning: 2 } }]], [peer(8001, { weight: 2 })], []],
    ['Weights.Warning 0 takes a warning instance out (down)', [['a', 8001, { Status: 'warning', Weights: { Passing: 5, Warning: 0 } }]], [peer(8001, { down: true })], []],
    ['a critical instance (status "any") is listed down', [['a', 8001, { Status: 'critical' }]], [peer(8001, { down: true })], []],
    ['weights are capped at 1000', [['a', 8001, { Weights: { Passing: 5000, Warning: 1 } }]], [peer(8001, { weight: 1000 })], []],
    ['role slave -> backup', [['a', 8001, { Role: 'master' }], ['b', 8002, { Role: 'slave' }]], [peer(8001), peer(8002, { backup: true })], []],
    ['role backup -> backup', [['a', 8001, { Role: 'backup' }]], [peer(8001, { backup: true })], []],
    ['a host name cannot be balanced to: dropped and reported', [['a', 8001, { Address: 'web.example.com' }], ['b', 8002]], [peer(8002)], ['a']],
    ['IPv6 literals are kept', [['a', 8001, { Address: '::1' }]], [peer(8001, { address: '::1' })], []],
    ['the same address:port twice is one peer, up if either copy is', [['a', 8001, { Status: 'critical' }], ['a2', 8001]], [peer(8001)], []],
  ];
  for (const [name, instances, want, rejected] of cases) {
    it(name, () => {
      const seen: string[] = [];
      expect(peersFromInstances(instances.map((args) => instance(...args)), (i) => seen.push(i.ID))).to.deep.equal(want);
      expect(seen).to.deep.equal(rejected);
    });
  }

  it('the digest ignores nothing that nginx uses', () => {
    const base = peersDigest([peer(1)]);
    for (const patch of [{ weight: 2 }, { backup: true }, { down: true }, { port: 2 }, { address: '127.0.0.2' }]) {
      expect(peersDigest([peer(1, patch)])).to.not.equal(base);
    }
    expect(peersDigest([peer(1)])).to.equal(base);
  });
});

describe('renderer no-reload mode: push plan', () => {
  const input = (patch: Partial<PushPlanInput>): PushPlanInput => ({ desired: new Map(), confirmed: new Map(), owned: new Set(), rejectEmpty: true, prune: true, ...patch });
  const cases: [string, Partial<PushPlanInput>, { set: string[]; remove: string[]; held: string[] }][] = [
    ['nothing wanted, nothing held', {}, { set: [], remove: [], held: [] }],
    ['a new upstream is set', { desired: new Map([['u', [peer(1)]]]) }, { set: ['u'], remove: [], held: [] }],
    ['what nginx confirmed holding is not sent again', { desired: new Map([['u', [peer(1)]]]), confirmed: new Map([['u', peersDigest([peer(1)])]]) }, { set: [], remove: [], held: [] }],
    ['a changed member list is sent', { desired: new Map([['u', [peer(2)]]]), confirmed: new Map([['u', peersDigest([peer(1)])]]) }, { set: ['u'], remove: [], held: [] }],
    ['empty: held by the guard', { desired: new Map([['u', []]]) }, { set: [], remove: [], held: ['u'] }],
    ['all down: held by the guard', { desired: new Map([['u', [peer(1, { down: true })]]]) }, { set: [], remove: [], held: ['u'] }],
    ['empty allowed without the guard (nginx answers the 503 fallback)', { desired: new Map([['u', []]]), rejectEmpty: false }, { set: ['u'], remove: [], held: [] }],
    ['an owned upstream no longer wanted is removed', { owned: new Set(['gone', 'u']), desired: new Map([['u', [peer(1)]]]) }, { set: ['u'], remove: ['gone'], held: [] }],
    ['...but not before the server blocks are gone (prune off)', { owned: new Set(['gone']), prune: false }, { set: [], remove: [], held: [] }],
  ];
  for (const [name, patch, want] of cases) {
    it(name, () => {
      const plan = planPush(input(patch));
      expect({ set: [...plan.set.keys()], remove: plan.remove, held: plan.held.map((h) => h.upstream) }).to.deep.equal(want);
    });
  }

  it('the body sets members and removes with null', () => {
    expect(pushBody({ set: new Map([['u', [peer(1)]]]), remove: ['gone'] })).to.deep.equal({ upstreams: { u: [peer(1)], gone: null } });
  });
});

describe('renderer instance guard (shared by file writes and pushes)', () => {
  const guard = { ...DEFAULT_GUARD, minInstances: 1, maxDropFraction: 0.5, dropHoldMs: 60_000 };
  const base = { instances: 4, usesServices: true, now: 1_000_000, guard };
  const cases: [string, Partial<Parameters<typeof instanceGuard>[0]>, string | undefined][] = [
    ['enough instances: nothing to say', {}, undefined],
    ['below the minimum: hold', { instances: 0 }, 'hold:below-min-instances'],
    ['a sudden drop: hold', { lastGoodInstances: 10 }, 'hold:sudden-drop'],
    ['a drop that persisted: write', { lastGoodInstances: 10, dropSeenSince: 1_000_000 - 60_000 }, 'write:drop-confirmed'],
    ['no service() calls: nothing to say', { instances: 0, usesServices: false }, undefined],
  ];
  for (const [name, patch, want] of cases) {
    it(name, () => {
      const plan = instanceGuard({ ...base, ...patch });
      expect(plan ? `${plan.action}:${plan.reason}` : undefined).to.equal(want);
    });
  }
});

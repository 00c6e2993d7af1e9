// Planner tables: desired (Consul) x live (BIG-IP) -> actions, holds, ownership and drain.

import { expect } from 'chai';
import { parseF5SyncConfig, type PoolConfig } from '../src/config';
import type { ServiceInstance } from '../src/observe/health-entries';
import { desiredMembers, type DesiredPool } from '../src/plan/desired-members';
import { ownerDescription, parseOwnerMark } from '../src/plan/owner-mark';
import { planPoolChanges, type PlanOptions, type PoolAction } from '../src/plan/pool-plan';
import type { LiveMember, LivePool } from '../src/target/pool-model';
import { callsForPlan } from '../src/target/bigip/apply';

const NOW = Date.parse('2024-05-01T10:00:00.000Z');
const OPTIONS: PlanOptions = { ownerMark: 'f5-sync', drainPeriodMs: 30_000, holdWhenEmptyFrom: 2 };
const MAPPING = { roleTags: { master: 10, slave: 9 }, defaultPriority: 0, ratioMetaKey: 'f5-ratio' };

const POOL: PoolConfig = parseF5SyncConfig({
  bigip: { url: 'https://bigip', username: 'admin', password: 'x' },
  pools: [{ consulService: 'web', name: 'web_pool' }],
}).pools[0];

function instance(id: string, port: number, tags: string[] = [], address = '10.0.0.1', meta: Record<string, string> = {}): ServiceInstance {
  return { id, node: 'n1', address, port, tags, meta };
}

function desired(...instances: ServiceInstance[]): DesiredPool {
  return desiredMembers(POOL, instances, MAPPING);
}

function ours(name: string, fields: Partial<LiveMember> = {}): LiveMember {
  const [address, port] = name.split(':');
  return { name, address, port: Number(port), priorityGroup: 0, ratio: 1, session: 'user-enabled', state: 'unchecked', description: 'f5-sync:web', ...fields };
}

function foreign(name: string, fields: Partial<LiveMember> = {}): LiveMember {
  return ours(name, { description: undefined, ...fields });
}

function live(members: LiveMember[], settings: Partial<LivePool> = {}): LivePool {
  return { name: 'web_pool', partition: 'Common', loadBalancingMode: 'round-robin', minActiveMembers: 1, members, ...settings };
}

/** Compact action strings so the tables read as specifications. */
function summary(actions: PoolAction[]): string[] {
  return actions.map((a) => {
    switch (a.kind) {
      case 'createPool':
        return `create ${a.members.map((m) => `${m.name}@${m.priorityGroup}`).join(',') || '(empty)'}`;
      case 'updatePool':
        return `pool ${JSON.stringify(a.changes)}`;
      case 'addMember':
        return `add ${a.member.name}@${a.member.priorityGroup}`;
      case 'updateMember':
        return `update ${a.member} ${JSON.stringify(a.changes)} (${a.cause})`;
      case 'drainMember':
        return `drain ${a.member}`;
      case 'removeMember':
        return `remove ${a.member}`;
      case 'removePool':
        return 'remove pool';
    }
  });
}

interface Case {
  name: string;
  desired: DesiredPool;
  live: LivePool | undefined;
  options?: Partial<PlanOptions>;
  lastApplied?: Map<string, { priorityGroup: number; ratio: number }>;
  emptyGuard?: { from: number; reason: string };
  want: string[];
  hold?: RegExp;
  foreign?: string[];
  conflicts?: string[];
}

const DRAINING_SINCE = NOW - 10_000;
const DRAIN_ENDED = NOW - 31_000;

const CASES: Case[] = [
  {
    name: 'pool missing -> created with members, priorities from role tags, zero explicit',
    desired: desired(instance('a', 8001, ['master']), instance('b', 8002, ['slave']), instance('c', 8003, ['canary'])),
    live: undefined,
    want: ['create 10.0.0.1:8001@10,10.0.0.1:8002@9,10.0.0.1:8003@0'],
  },
  {
    name: 'pool missing, Consul says empty -> created empty',
    desired: desired(),
    live: undefined,
    want: ['create (empty)'],
  },
  {
    name: 'unchanged -> no action at all',
    desired: desired(instance('a', 8001, ['master']), instance('b', 8002, ['slave'])),
    live: live([ours('10.0.0.1:8001', { priorityGroup: 10 }), ours('10.0.0.1:8002', { priorityGroup: 9, session: 'monitor-enabled', state: 'up' })]),
    want: [],
  },
  {
    name: 'new instance -> one add',
    desired: desired(instance('a', 8001, ['master']), instance('b', 8002, ['slave'])),
    live: live([ours('10.0.0.1:8001', { priorityGroup: 10 })]),
    want: ['add 10.0.0.1:8002@9'],
  },
  {
    name: 'role tags swapped -> two priority updates',
    desired: desired(instance('a', 8001, ['slave']), instance('b', 8002, ['master'])),
    live: live([ours('10.0.0.1:8001', { priorityGroup: 10 }), ours('10.0.0.1:8002', { priorityGroup: 9 })]),
    want: ['update 10.0.0.1:8001 {"priorityGroup":9} (consul)', 'update 10.0.0.1:8002 {"priorityGroup":10} (consul)'],
  },
  {
    name: 'priority back to 0 is sent as 0',
    desired: desired(instance('a', 8001, [])),
    live: live([ours('10.0.0.1:8001', { priorityGroup: 10 })]),
    want: ['update 10.0.0.1:8001 {"priorityGroup":0} (consul)'],
  },
  {
    name: 'ratio from service meta',
    desired: desired(instance('a', 8001, [], '10.0.0.1', { 'f5-ratio': '3' })),
    live: live([ours('10.0.0.1:8001')]),
    want: ['update 10.0.0.1:8001 {"ratio":3} (consul)'],
  },
  {
    name: 'instance gone -> drained first (user-disabled), not removed',
    desired: desired(instance('b', 8002, ['slave'])),
    live: live([ours('10.0.0.1:8001', { priorityGroup: 10 }), ours('10.0.0.1:8002', { priorityGroup: 9 })]),
    want: ['drain 10.0.0.1:8001'],
  },
  {
    name: 'draining, period not over -> nothing',
    desired: desired(instance('b', 8002, ['slave'])),
    live: live([ours('10.0.0.1:8001', { priorityGroup: 10, session: 'user-disabled', description: ownerDescription('f5-sync', 'web', DRAINING_SINCE) }), ours('10.0.0.1:8002', { priorityGroup: 9 })]),
    want: [],
  },
  {
    name: 'draining, period over -> removed',
    desired: desired(instance('b', 8002, ['slave'])),
    live: live([ours('10.0.0.1:8001', { session: 'user-disabled', description: ownerDescription('f5-sync', 'web', DRAIN_ENDED) }), ours('10.0.0.1:8002', { priorityGroup: 9 })]),
    want: ['remove 10.0.0.1:8001'],
  },
  {
    name: 'draining member comes back -> re-enabled, drain note cleared',
    desired: desired(instance('a', 8001, ['master'])),
    live: live([ours('10.0.0.1:8001', { priorityGroup: 10, session: 'user-disabled', description: ownerDescription('f5-sync', 'web', DRAINING_SINCE) })]),
    want: ['update 10.0.0.1:8001 {"session":"user-enabled","description":"f5-sync:web"} (consul)'],
  },
  {
    name: 'draining member re-enabled by hand -> disabled again',
    desired: desired(instance('b', 8002)),
    live: live([ours('10.0.0.1:8001', { session: 'user-enabled', description: ownerDescription('f5-sync', 'web', DRAINING_SINCE) }), ours('10.0.0.1:8002')]),
    want: ['update 10.0.0.1:8001 {"session":"user-disabled"} (drift)'],
  },
  {
    name: 'drain period 0 -> removed at once',
    desired: desired(instance('b', 8002)),
    live: live([ours('10.0.0.1:8001'), ours('10.0.0.1:8002')]),
    options: { drainPeriodMs: 0 },
    want: ['remove 10.0.0.1:8001'],
  },
  {
    name: 'foreign member is left alone and reported',
    desired: desired(instance('a', 8001)),
    live: live([ours('10.0.0.1:8001'), foreign('10.9.9.9:80', { priorityGroup: 5, session: 'user-disabled' })]),
    want: [],
    foreign: ['10.9.9.9:80'],
  },
  {
    name: 'desired member held by a foreign member -> conflict, left alone',
    desired: desired(instance('a', 8001, ['master'])),
    live: live([foreign('10.0.0.1:8001')]),
    want: [],
    foreign: ['10.0.0.1:8001'],
    conflicts: ['10.0.0.1:8001'],
  },
  {
    name: 'our member edited by hand (priority, disabled, forced down) -> repaired as drift',
    desired: desired(instance('a', 8001, ['master'])),
    live: live([ours('10.0.0.1:8001', { priorityGroup: 1, session: 'user-disabled', state: 'user-down' })]),
    lastApplied: new Map([['10.0.0.1:8001', { priorityGroup: 10, ratio: 1 }]]),
    want: ['update 10.0.0.1:8001 {"priorityGroup":10,"session":"user-enabled","state":"user-up"} (drift)'],
  },
  {
    name: 'our member deleted by hand -> re-added',
    desired: desired(instance('a', 8001, ['master'])),
    live: live([]),
    lastApplied: new Map([['10.0.0.1:8001', { priorityGroup: 10, ratio: 1 }]]),
    want: ['add 10.0.0.1:8001@10'],
  },
  {
    name: 'pool settings drifted -> PATCH only what differs',
    desired: desired(instance('a', 8001)),
    live: live([ours('10.0.0.1:8001')], { minActiveMembers: 0, loadBalancingMode: 'least-connections-member' }),
    want: ['pool {"loadBalancingMode":"round-robin","minActiveMembers":1}'],
  },
  {
    name: 'Consul unavailable -> hold, nothing changes',
    desired: { status: 'unavailable', reason: 'consul query for web failed: ECONNREFUSED' },
    live: live([ours('10.0.0.1:8001'), ours('10.0.0.1:8002')]),
    want: [],
    hold: /ECONNREFUSED/,
  },
  {
    name: 'Consul unavailable and pool missing -> hold, pool not created',
    desired: { status: 'unavailable', reason: 'no answer from Consul yet for web' },
    live: undefined,
    want: [],
    hold: /no answer/,
  },
  {
    name: 'sudden empty answer for a pool with many members -> hold',
    desired: desired(),
    live: live([ours('10.0.0.1:8001'), ours('10.0.0.1:8002'), ours('10.0.0.1:8003')]),
    want: [],
    hold: /no passing instance/,
  },
  {
    name: 'empty answer with a single member left -> drained (scale to zero one by one)',
    desired: desired(),
    live: live([ours('10.0.0.1:8001')]),
    want: ['drain 10.0.0.1:8001'],
  },
  {
    name: 'a reload changed the pool\'s service, the new one is empty, one member of ours serves -> hold (the last good state)',
    desired: desired(),
    live: live([ours('10.0.0.1:8001')]),
    emptyGuard: { from: 1, reason: 'the reloaded config changed where pool /Common/web_pool gets its members (consulService web -> 5)' },
    want: [],
    hold: /reloaded config changed .*consulService web -> 5.*no passing instance of web while the pool has 1 serving members of ours/,
  },
  {
    name: 'a reload changed the pool\'s service, the new one has instances -> synced as usual',
    desired: desired(instance('b', 8002)),
    live: live([ours('10.0.0.1:8001')]),
    emptyGuard: { from: 1, reason: 'reloaded' },
    want: ['add 10.0.0.1:8002@0', 'drain 10.0.0.1:8001'],
  },
  {
    name: 'empty-guard disabled -> members drained',
    desired: desired(),
    live: live([ours('10.0.0.1:8001'), ours('10.0.0.1:8002')]),
    options: { holdWhenEmptyFrom: 0 },
    want: ['drain 10.0.0.1:8001', 'drain 10.0.0.1:8002'],
  },
  {
    name: 'empty answer, only foreign members -> nothing',
    desired: desired(),
    live: live([foreign('10.9.9.9:80'), foreign('10.9.9.8:80')]),
    want: [],
    foreign: ['10.9.9.8:80', '10.9.9.9:80'],
  },
  {
    name: 'IPv6 instance -> member name addr.port',
    desired: desired(instance('v6', 8080, ['master'], '2001:db8::1')),
    live: live([]),
    want: ['add 2001:db8::1.8080@10'],
  },
  {
    name: 'two registrations on one address:port -> one member, higher priority',
    desired: desired(instance('a', 8001, ['slave']), instance('a2', 8001, ['master'])),
    live: live([]),
    want: ['add 10.0.0.1:8001@10'],
  },
  {
    name: 'instance with a hostname address is skipped',
    desired: desired(instance('h', 8001, [], 'web.example')),
    live: live([]),
    want: [],
  },
];

describe('planPoolChanges', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const plan = planPoolChanges({ pool: POOL, desired: c.desired, live: c.live, now: NOW, options: { ...OPTIONS, ...c.options }, lastApplied: c.lastApplied, emptyGuard: c.emptyGuard });
      expect(summary(plan.actions)).to.deep.equal(c.want);
      if (c.hold) expect(plan.hold?.reason).to.match(c.hold);
      else expect(plan.hold).to.equal(undefined);
      expect(plan.foreign).to.deep.equal(c.foreign ?? []);
      expect(plan.conflicts).to.deep.equal(c.conflicts ?? []);
    });
  }

  it('drain notes the start time and asks to come back when the period ends', () => {
    const plan = planPoolChanges({ pool: POOL, desired: desired(), live: live([ours('10.0.0.1:8001')]), now: NOW, options: OPTIONS });
    const drain = plan.actions[0];
    expect(drain.kind).to.equal('drainMember');
    if (drain.kind !== 'drainMember') return;
    expect(drain.changes.session).to.equal('user-disabled');
    expect(parseOwnerMark(drain.changes.description, 'f5-sync')).to.deep.equal({ service: 'web', drainingSince: NOW });
    expect(plan.recheckAt).to.equal(NOW + 30_000);
    expect(plan.draining).to.deep.equal(['10.0.0.1:8001']);
  });

  it('counts drift repairs only where Consul did not change', () => {
    const plan = planPoolChanges({
      pool: POOL,
      desired: desired(instance('a', 8001, ['master']), instance('b', 8002, ['master'])),
      live: live([ours('10.0.0.1:8001', { priorityGroup: 3 }), ours('10.0.0.1:8002', { priorityGroup: 9 })]),
      now: NOW,
      options: OPTIONS,
      lastApplied: new Map([
        ['10.0.0.1:8001', { priorityGroup: 10, ratio: 1 }],
        ['10.0.0.1:8002', { priorityGroup: 9, ratio: 1 }],
      ]),
    });
    expect(plan.driftRepairs).to.equal(1);
  });

  it('a changed monitor is patched; the read-back spelling ("/Common/http ") is not a change', () => {
    const pool = { ...POOL, monitor: 'http' };
    const same = planPoolChanges({ pool, desired: desired(), live: live([], { monitor: '/Common/http' }), now: NOW, options: OPTIONS });
    expect(same.actions).to.deep.equal([]);
    const changed = planPoolChanges({ pool, desired: desired(), live: live([], { monitor: '/Common/tcp' }), now: NOW, options: OPTIONS });
    expect(summary(changed.actions)).to.deep.equal(['pool {"monitor":"http"}']);
  });

  it('the calls for a plan: one pool POST with members, PATCH/DELETE on ~Partition~name paths', () => {
    const create = planPoolChanges({ pool: POOL, desired: desired(instance('a', 8001, ['master'])), live: undefined, now: NOW, options: OPTIONS });
    const [post] = callsForPlan(create);
    expect(post.method).to.equal('POST');
    expect(post.path).to.equal('/mgmt/tm/ltm/pool');
    expect(post.body).to.deep.include({ name: 'web_pool', partition: 'Common', minActiveMembers: 1, loadBalancingMode: 'round-robin' });
    expect((post.body as { members: unknown[] }).members[0]).to.deep.equal({
      name: '10.0.0.1:8001', partition: 'Common', address: '10.0.0.1', priorityGroup: 10, ratio: 1, session: 'user-enabled', state: 'user-up', description: 'f5-sync:web',
    });
    const change = planPoolChanges({
      pool: POOL,
      desired: desired(instance('b', 8002, [])),
      live: live([ours('10.0.0.1:8001', { session: 'user-disabled', description: ownerDescription('f5-sync', 'web', DRAIN_ENDED) }), ours('10.0.0.1:8002', { priorityGroup: 4 })]),
      now: NOW,
      options: OPTIONS,
    });
    expect(callsForPlan(change).map((c) => `${c.method} ${c.path} ${JSON.stringify(c.body ?? null)}`)).to.deep.equal([
      'PATCH /mgmt/tm/ltm/pool/~Common~web_pool/members/~Common~10.0.0.1:8002 {"priorityGroup":0}',
      'DELETE /mgmt/tm/ltm/pool/~Common~web_pool/members/~Common~10.0.0.1:8001 null',
    ]);
  });
});

describe('owner mark', () => {
  const table: Array<[string | undefined, ReturnType<typeof parseOwnerMark>]> = [
    ['f5-sync:web', { service: 'web' }],
    ['f5-sync:web draining since 2024-05-01T10:00:00.000Z', { service: 'web', drainingSince: NOW }],
    ['f5-syncer:web', undefined],
    ['hand made', undefined],
    [undefined, undefined],
    ['', undefined],
  ];
  for (const [description, want] of table) {
    it(`${JSON.stringify(description)} -> ${JSON.stringify(want)}`, () => {
      expect(parseOwnerMark(description, 'f5-sync')).to.deep.equal(want);
    });
  }
});

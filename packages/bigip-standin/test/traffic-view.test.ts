import { expect } from 'chai';
import { decideTraffic, type TrafficMember } from '../src/traffic-view';
import { membersUrl, POOL, poolUrl, startHarness, type Harness } from './helpers';

const member = (name: string, priorityGroup: number, state = 'unchecked', session = 'user-enabled'): TrafficMember => ({ name, priorityGroup, state, session });

describe('traffic view', () => {
  describe('decideTraffic (pure)', () => {
    const cases: Array<{ title: string; minActive: number; members: TrafficMember[]; receiving: string[]; groups: number[] }> = [
      {
        title: 'priority group activation off (0): every available member',
        minActive: 0,
        members: [member('m', 10), member('s', 9)],
        receiving: ['m', 's'],
        groups: [10, 9],
      },
      {
        title: 'master/slave with min 1: only the master',
        minActive: 1,
        members: [member('m', 10, 'up', 'monitor-enabled'), member('s', 9, 'up', 'monitor-enabled')],
        receiving: ['m'],
        groups: [10],
      },
      {
        title: 'master down: the slave group takes over',
        minActive: 1,
        members: [member('m', 10, 'down', 'monitor-enabled'), member('s', 9, 'up', 'monitor-enabled')],
        receiving: ['s'],
        groups: [9],
      },
      {
        title: 'master drained (user-disabled): no new connections to it',
        minActive: 1,
        members: [member('m', 10, 'unchecked', 'user-disabled'), member('s', 9)],
        receiving: ['s'],
        groups: [9],
      },
      {
        title: 'master forced offline (user-down)',
        minActive: 1,
        members: [member('m', 10, 'user-down', 'user-disabled'), member('s', 9)],
        receiving: ['s'],
        groups: [9],
      },
      {
        title: 'min 2 with one master up: the next group is added',
        minActive: 2,
        members: [member('m1', 10), member('m2', 10, 'down'), member('s1', 9), member('s2', 9)],
        receiving: ['m1', 's1', 's2'],
        groups: [10, 9],
      },
      {
        title: 'min 2 satisfied by the top group',
        minActive: 2,
        members: [member('m1', 10), member('m2', 10), member('s1', 9)],
        receiving: ['m1', 'm2'],
        groups: [10],
      },
      {
        title: 'not enough anywhere: every available member',
        minActive: 5,
        members: [member('a', 3), member('b', 2), member('c', 1, 'down')],
        receiving: ['a', 'b'],
        groups: [3, 2],
      },
      {
        title: 'unchecked counts as available (no monitor)',
        minActive: 1,
        members: [member('m', 10, 'unchecked', 'user-enabled')],
        receiving: ['m'],
        groups: [10],
      },
      {
        title: 'nothing available',
        minActive: 1,
        members: [member('m', 10, 'down'), member('s', 9, 'up', 'user-disabled')],
        receiving: [],
        groups: [],
      },
      {
        title: 'disabled members in PGA-off pools still take nothing',
        minActive: 0,
        members: [member('a', 0), member('b', 0, 'unchecked', 'user-disabled')],
        receiving: ['a'],
        groups: [0],
      },
    ];
    for (const testCase of cases) {
      it(testCase.title, () => {
        const decision = decideTraffic(testCase.minActive, testCase.members);
        expect(decision.receiving).to.deep.equal(testCase.receiving);
        expect(decision.activeGroups).to.deep.equal(testCase.groups);
      });
    }
  });

  describe('GET /standin/traffic (over the stand-in)', () => {
    let harness: Harness;
    beforeEach(async () => {
      harness = await startHarness();
    });
    afterEach(() => harness.standin.stop());

    it('sends traffic to the master until it fails, then to the slave, and back', async () => {
      await harness.api.post(POOL, {
        name: 'web',
        monitor: '/Common/http',
        minActiveMembers: 1,
        members: [{ name: '10.0.0.1:80', priorityGroup: 10 }, { name: '10.0.0.2:80', priorityGroup: 9 }],
      });
      const traffic = async () => (await harness.anonymous.get('/standin/traffic/~Common~web')).data.receiving as string[];
      expect(await traffic()).to.deep.equal(['10.0.0.1:80']);

      harness.standin.setMonitorStatus('/Common/web', '10.0.0.1:80', 'down');
      expect(await traffic()).to.deep.equal(['10.0.0.2:80']);
      harness.standin.setMonitorStatus('/Common/web', '10.0.0.1:80', 'up');
      expect(await traffic()).to.deep.equal(['10.0.0.1:80']);

      await harness.api.patch(`${membersUrl('web')}/~Common~10.0.0.1:80`, { session: 'user-disabled' });
      expect(await traffic()).to.deep.equal(['10.0.0.2:80']);

      await harness.api.patch(poolUrl('web'), { minActiveMembers: 0 });
      await harness.api.patch(`${membersUrl('web')}/~Common~10.0.0.1:80`, { session: 'user-enabled' });
      expect(await traffic()).to.deep.equal(['10.0.0.1:80', '10.0.0.2:80']);
    });

    it('sets monitor results over HTTP and answers 404 for unknown pools', async () => {
      await harness.api.post(POOL, { name: 'web', monitor: 'tcp', minActiveMembers: 1, members: [{ name: '10.0.0.1:80', priorityGroup: 10 }, { name: '10.0.0.2:80', priorityGroup: 9 }] });
      const response = await harness.anonymous.put('/standin/monitor/~Common~web/members/~Common~10.0.0.1:80', { status: 'down' });
      expect(response.status).to.equal(200);
      expect(response.data.receiving).to.deep.equal(['10.0.0.2:80']);
      expect((await harness.anonymous.get('/standin/traffic/~Common~nope')).status).to.equal(404);
    });
  });
});

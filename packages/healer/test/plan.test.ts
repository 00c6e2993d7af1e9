import { expect } from 'chai';
import { emptyMemory, recordOutcome, type HealerMemory } from '../src/plan/memory';
import { plan, serviceState, batchSize, type Plan } from '../src/plan/plan';
import { DEFAULT_POLICY } from '../src/desired/desired-state';
import type { LiveState } from '../src/observe/live-state';
import { NOW, desired, live, service, spec } from './fixtures';

/** "remove:2 scale:3(+2)" */
function actionsOf(p: Plan, name: string): string {
  const d = p.decisions.find((x) => x.service === name)!;
  return d.actions.map((a) => (a.kind === 'remove' ? `remove:${a.containers.length}` : `scale:${a.total}(+${a.add})`)).join(' ');
}

describe('healer planner', () => {
  describe('serviceState (Consul check semantics)', () => {
    const cases: Array<[number, number | undefined, number, string]> = [
      [3, undefined, 3, 'passing'],
      [3, undefined, 9, 'passing'],
      [3, 3, 4, 'warning'],
      [3, 5, 2, 'critical'],
      [0, undefined, 0, 'passing'],
    ];
    for (const [min, max, healthy, state] of cases) {
      it(`min ${min} max ${max ?? '-'} healthy ${healthy} -> ${state}`, () => {
        expect(serviceState({ min, max }, healthy)).to.equal(state);
      });
    }
  });

  describe('batchSize (slow start 1, 2, 4..., at least the failed being replaced, capped)', () => {
    const cases: Array<[number, number, number, number]> = [
      // successes, replacing, maxBatch, expected
      [0, 0, 10, 1],
      [1, 0, 10, 2],
      [2, 0, 10, 4],
      [5, 0, 10, 10],
      [0, 2, 10, 2],
      [0, 7, 3, 3],
    ];
    for (const [successes, replacing, maxBatch, expected] of cases) {
      it(`successes ${successes}, replacing ${replacing}, maxBatch ${maxBatch} -> ${expected}`, () => {
        expect(batchSize({ ...DEFAULT_POLICY, maxBatch }, successes, replacing)).to.equal(expected);
      });
    }
  });

  describe('one pass from a fresh memory', () => {
    interface Case {
      name: string;
      services: ReturnType<typeof spec>[];
      live: LiveState;
      policy?: Partial<typeof DEFAULT_POLICY>;
      expect: Record<string, { state: string; actions: string; healthy?: number }>;
      guard?: string;
      alerts?: string[];
    }
    const cases: Case[] = [
      { name: 'all healthy: nothing to do', services: [spec('web', 3)], live: live([service('web', ['ok', 'ok', 'ok'])]), expect: { web: { state: 'passing', actions: '', healthy: 3 } } },
      {
        name: '2 of 3 exited (Consul still says passing): remove both, scale back to 3 in one run',
        services: [spec('web', 3)],
        live: live([service('web', ['ok', 'exit', 'exit'])]),
        expect: { web: { state: 'critical', actions: 'remove:2 scale:3(+2)', healthy: 1 } },
      },
      {
        name: '2 of 3 failing their checks past grace: remove, scale to 3',
        services: [spec('web', 3)],
        live: live([service('web', ['ok', 'crit', 'crit'])]),
        expect: { web: { state: 'critical', actions: 'remove:2 scale:3(+2)', healthy: 1 } },
      },
      {
        name: 'above max: warning and an alert, never an action',
        services: [spec('web', 2, { max: 3 })],
        live: live([service('web', ['ok', 'ok', 'ok', 'ok'])]),
        expect: { web: { state: 'warning', actions: '', healthy: 4 } },
        alerts: ['above-max'],
      },
      {
        name: 'new containers within grace cover the shortfall: wait',
        services: [spec('web', 3)],
        live: live([service('web', ['ok', 'new', 'new'])]),
        expect: { web: { state: 'critical', actions: '' } },
      },
      {
        name: 'restarting containers are not piled on',
        services: [spec('web', 2)],
        live: live([service('web', ['ok', 'restarting'])]),
        expect: { web: { state: 'critical', actions: '' } },
      },
      {
        name: 'unregistered running containers are kept; growth starts at 1',
        services: [spec('web', 3)],
        live: live([service('web', ['ok', 'unreg'])]),
        expect: { web: { state: 'critical', actions: 'scale:3(+1)', healthy: 1 } },
      },
      {
        name: 'an instance on a node in maintenance does not count, and its container is not removed',
        services: [spec('web', 2)],
        live: live([service('web', ['ok', 'maint'])]),
        expect: { web: { state: 'critical', actions: 'scale:3(+1)', healthy: 1 } },
      },
      {
        name: 'cold start: nothing running, slow start adds 1',
        services: [spec('web', 5)],
        live: live([{ service: 'web', containers: [], instances: [] }]),
        expect: { web: { state: 'critical', actions: 'scale:1(+1)' } },
      },
      {
        name: 'max caps the additions',
        services: [spec('web', 3, { max: 3 })],
        live: live([service('web', ['ok', 'new', 'exit', 'exit'])]),
        expect: { web: { state: 'critical', actions: 'remove:2 scale:3(+1)' } },
      },
      {
        name: 'maxBatch caps one step',
        services: [spec('web', 5)],
        live: live([service('web', ['exit', 'exit', 'exit', 'exit', 'exit'])]),
        policy: { maxBatch: 2 },
        expect: { web: { state: 'critical', actions: 'remove:5 scale:2(+2)' } },
      },
      {
        name: 'consul unavailable: hold everything and alert',
        services: [spec('web', 3)],
        live: live([service('web', ['ok', 'exit', 'exit'])], false),
        expect: { web: { state: 'critical', actions: '' } },
        guard: 'consul-unavailable',
        alerts: ['consul-unavailable'],
      },
      {
        name: 'consul empty while containers run: hold and alert',
        services: [spec('web', 2), spec('api', 1)],
        live: live([
          { ...service('web', ['unreg', 'unreg']), instances: [] },
          { ...service('api', ['unreg']), instances: [] },
        ]),
        expect: { web: { state: 'critical', actions: '' }, api: { state: 'critical', actions: '' } },
        guard: 'consul-empty',
        alerts: ['consul-empty'],
      },
      {
        name: 'quorum guard: 3 of 4 services critical at once',
        services: [spec('a', 1), spec('b', 1), spec('c', 1), spec('d', 1)],
        live: live([service('a', ['crit']), service('b', ['crit']), service('c', ['exit']), service('d', ['ok'])]),
        expect: { a: { state: 'critical', actions: '' }, c: { state: 'critical', actions: '' }, d: { state: 'passing', actions: '' } },
        guard: 'quorum-guard',
        alerts: ['quorum-guard'],
      },
      {
        name: 'one of four critical: below the quorum guard, acts',
        services: [spec('a', 1), spec('b', 1), spec('c', 1), spec('d', 1)],
        live: live([service('a', ['crit']), service('b', ['ok']), service('c', ['ok']), service('d', ['ok'])]),
        expect: { a: { state: 'critical', actions: 'remove:1 scale:1(+1)' } },
      },
      {
        name: 'docker unreadable for a service: hold it, alert',
        services: [spec('web', 3)],
        live: live([{ service: 'web', instances: service('web', ['ok']).instances, backendError: 'socket hang up' }]),
        expect: { web: { state: 'critical', actions: '' } },
        alerts: ['observe-failed'],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const p = plan(desired(c.services, c.policy), c.live, emptyMemory(), NOW);
        for (const [name, want] of Object.entries(c.expect)) {
          const d = p.decisions.find((x) => x.service === name)!;
          expect(d.state, `${name} state`).to.equal(want.state);
          expect(actionsOf(p, name), `${name} actions (${d.reason})`).to.equal(want.actions);
          if (want.healthy !== undefined) expect(d.healthy, `${name} healthy`).to.equal(want.healthy);
        }
        expect(p.guard?.kind).to.equal(c.guard);
        expect(p.alerts.map((a) => a.kind)).to.deep.equal(c.alerts ?? []);
      });
    }
  });

  describe('across passes (memory)', () => {
    const d = desired([spec('web', 3)], { expectationTimeoutMs: 30_000, backoffBaseMs: 5_000, backoffMaxMs: 60_000, breakerFailures: 2, breakerCooldownMs: 300_000 });
    const broken = live([service('web', ['ok', 'crit', 'crit'])]);
    const deadline = NOW + 10_000 + 30_000;

    function run(steps: Array<[number, LiveState]>, start: HealerMemory = emptyMemory(), policy = d): Plan[] {
      let memory = start;
      return steps.map(([at, l]) => {
        const p = plan(policy, l, memory, at, () => 0.5);
        memory = p.memory;
        return p;
      });
    }

    it('an expectation suppresses a second action on stale data (a replayed watch, an agent reload)', () => {
      const [first, second, third] = run([[NOW, broken], [NOW + 1000, broken], [NOW + 2000, broken]]);
      expect(actionsOf(first, 'web')).to.equal('remove:2 scale:3(+2)');
      expect(actionsOf(second, 'web')).to.equal('');
      expect(second.decisions[0].reason).to.match(/awaiting 3 healthy/);
      expect(actionsOf(third, 'web')).to.equal('');
    });

    it('a met expectation ends the incident', () => {
      const [, second, third] = run([[NOW, broken], [NOW + 5000, live([service('web', ['ok', 'ok', 'ok'])])], [NOW + 6000, live([service('web', ['ok', 'ok', 'ok'])])]]);
      expect(second.decisions[0].state).to.equal('passing');
      expect(second.memory.services.web.expectation).to.equal(undefined);
      expect(second.memory.services.web.failures).to.equal(0);
      expect(actionsOf(third, 'web')).to.equal('');
    });

    it('an expired expectation counts a failure and backs off before acting again', () => {
      const plans = run([[NOW, broken], [deadline, broken], [deadline + 1000, broken], [deadline + 5000, broken]]);
      expect(actionsOf(plans[1], 'web')).to.equal('');
      expect(plans[1].memory.services.web.failures).to.equal(1);
      expect(plans[1].decisions[0].reason).to.match(/backing off/);
      expect(actionsOf(plans[2], 'web')).to.equal('');
      // backoffDelay(1, base 5s, jitter 0) = 5 s.
      expect(actionsOf(plans[3], 'web')).to.equal('remove:2 scale:3(+2)');
    });

    it('repeated failures open the breaker: one alert, no more actions until the cooldown, then one trial', () => {
      const deadline2 = deadline + 5000 + 40_000;
      const plans = run([
        [NOW, broken], // act 1
        [deadline, broken], // expired: failure 1, backoff 5 s (jitter 0.5 of 5 s at random 0.5 -> 3.75 s..5 s)
        [deadline + 5000, broken], // act 2
        [deadline2, broken], // expired: failure 2 -> breaker
        [deadline2 + 60_000, broken],
        [deadline2 + 300_000, broken], // cooldown over: one trial
        [deadline2 + 340_000, broken], // trial expired -> breaker again
        [deadline2 + 350_000, broken],
      ]);
      const acts = plans.map((p) => actionsOf(p, 'web'));
      const heal = 'remove:2 scale:3(+2)';
      expect(acts).to.deep.equal([heal, '', heal, '', '', heal, '', '']);
      const alerts = plans.map((p) => p.alerts.map((a) => a.kind).join(','));
      expect(alerts).to.deep.equal(['', '', '', 'breaker-open', '', '', '', '']);
      expect(plans[4].memory.services.web.breaker?.reason).to.match(/2 heals in a row/);
      expect(plans[6].memory.services.web.breaker?.trial).to.equal(undefined);
      expect(plans[6].memory.services.web.breaker?.openedAt).to.equal(deadline2 + 340_000);
    });

    it('the action budget per window opens the breaker', () => {
      const budget = desired([spec('web', 3)], { expectationTimeoutMs: 1000, backoffBaseMs: 1, backoffMaxMs: 1, breakerFailures: 100, maxActionsPerWindow: 3, actionWindowMs: 600_000 });
      const steps: Array<[number, LiveState]> = [];
      for (let i = 0; i < 10; i++) steps.push([NOW + i * 20_000, broken]);
      const plans = run(steps, emptyMemory(), budget);
      const acted = plans.filter((p) => actionsOf(p, 'web') !== '').length;
      expect(acted).to.equal(3);
      expect(plans.flatMap((p) => p.alerts.map((a) => a.kind))).to.deep.equal(['breaker-open']);
    });

    it('slow start grows 1, 2, 4 while each step meets its expectation', () => {
      const d7 = desired([spec('web', 7)]);
      const names = (n: number) => Array.from({ length: n }, () => 'ok');
      const plans = run([
        [NOW, live([service('web', [])])],
        [NOW + 1000, live([service('web', names(1))])],
        [NOW + 2000, live([service('web', names(3))])],
        [NOW + 3000, live([service('web', names(7))])],
      ], emptyMemory(), d7);
      expect(plans.map((p) => actionsOf(p, 'web'))).to.deep.equal(['scale:1(+1)', 'scale:3(+2)', 'scale:7(+4)', '']);
    });

    it('alerts fire when their condition appears, not every pass', () => {
      const dw = desired([spec('web', 1, { max: 2 })]);
      const high = live([service('web', ['ok', 'ok', 'ok'])]);
      const ok = live([service('web', ['ok', 'ok'])]);
      const plans = run([[NOW, high], [NOW + 1, high], [NOW + 2, ok], [NOW + 3, high]], emptyMemory(), dw);
      expect(plans.map((p) => p.alerts.length)).to.deep.equal([1, 0, 0, 1]);
    });

    it('recovering by itself closes an open breaker', () => {
      const plans = run([[NOW, broken], [deadline, broken], [deadline + 5000, broken], [deadline + 50_000, broken], [deadline + 60_000, live([service('web', ['ok', 'ok', 'ok'])])]]);
      expect(plans[3].memory.services.web.breaker).to.not.equal(undefined);
      expect(plans[4].memory.services.web.breaker).to.equal(undefined);
    });
  });

  describe('recordOutcome', () => {
    const d = desired([spec('web', 3)]);
    const cases: Array<[string, boolean, boolean]> = [
      ['image-missing', true, true],
      ['port-conflict', true, true],
      ['name-conflict', false, false],
      ['timeout', false, false],
    ];
    for (const [failure, deterministic, breaker] of cases) {
      it(`${failure}: clears the expectation, backs off${breaker ? ', opens the breaker' : ''}`, () => {
        const acted = plan(d, live([service('web', ['ok', 'exit', 'exit'])]), emptyMemory(), NOW);
        expect(acted.memory.services.web.expectation).to.not.equal(undefined);
        const { memory, alerts } = recordOutcome(acted.memory, 'web', { ok: false, failure, message: 'boom', deterministic }, d.policy, NOW, () => 0.5);
        expect(memory.services.web.expectation).to.equal(undefined);
        expect(memory.services.web.failures).to.equal(1);
        expect(memory.services.web.notBefore).to.be.greaterThan(NOW);
        expect(Boolean(memory.services.web.breaker)).to.equal(breaker);
        expect(alerts.map((a) => a.kind)).to.deep.equal(['action-failed']);
      });
    }
  });
});

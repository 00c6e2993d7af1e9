import { expect } from 'chai';
import { assessService } from '../src/plan/assess';
import { judgeExpectation, type ExpectationVerdict } from '../src/plan/expectation';
import { adoptedMemory, emptyMemory, freshServiceMemory, type Expectation, type HealerMemory } from '../src/plan/memory';
import { plan } from '../src/plan/plan';
import type { ServiceLive } from '../src/observe/live-state';
import { NOW, container, desired, live, service, spec } from './fixtures';

const id = (name: string) => `${name}-id`.padEnd(64, '0');
/** The dead leader's last action (#16): web_3 replaced, 3 expected, its successor elected 8 s later. */
const acted: Expectation = { healthy: 3, deadline: NOW + 26_000, since: NOW - 8_000, uncounted: [id('web_9')] };
const d = desired([spec('web', 3)], { expectationTimeoutMs: 30_000 });

/** web_2's host died (swarm reschedules its task: restarting); the rest as given. */
function fleet(kinds: string[]): ServiceLive {
  const s = service('web', kinds);
  s.containers = s.containers!.map((c) => (c.name === 'web_2' ? container('web_2', 'restarting') : c));
  return s;
}

function memoryWith(expectation: Expectation, extra: Partial<HealerMemory['services'][string]> = {}): HealerMemory {
  return { services: { web: { ...freshServiceMemory(), actionTimes: [expectation.since], expectation, ...extra } }, activeAlerts: [] };
}

function actionsOf(p: ReturnType<typeof plan>): string {
  return p.decisions[0].actions.map((a) => (a.kind === 'remove' ? `remove:${a.containers.length}` : `scale:${a.total}(+${a.add})`)).join(' ');
}

describe("healer expectations: an adopted one (a dead leader's last action, #16)", () => {
  describe('judgeExpectation', () => {
    const cases: Array<[string, Expectation, string[], number, ExpectationVerdict]> = [
      ['3 passing (beside the restarting one): met', acted, ['ok', 'ok', 'ok', 'ok'], NOW, 'met'],
      ['adopted, 3 passing: met', { ...acted, adopted: true }, ['ok', 'ok', 'ok', 'ok'], NOW, 'met'],
      ['own, a counted one failed since: awaited (its own leader knows what it did)', acted, ['ok', 'ok', 'crit'], NOW, 'awaiting'],
      ['adopted, 1 passing + 1 restarting + 1 counted then, failing since: in place', { ...acted, adopted: true }, ['ok', 'ok', 'crit'], NOW, 'in-place'],
      ['adopted, 2 passing + 1 within grace: in place', { ...acted, adopted: true }, ['ok', 'ok', 'new'], NOW, 'in-place'],
      ['adopted by a version that did not record them, 2 passing + 1 within grace: in place', { healthy: 3, deadline: acted.deadline, since: acted.since, adopted: true }, ['ok', 'ok', 'new'], NOW, 'in-place'],
      ['adopted, the added container not there yet: awaited', { ...acted, adopted: true }, ['ok', 'ok'], NOW, 'awaiting'],
      ['adopted, a failing container it did not count (kept under at-least): awaited', { ...acted, adopted: true, uncounted: [id('web_3')] }, ['ok', 'ok', 'crit'], NOW, 'awaiting'],
      ['adopted, the container it made failing since (the fleet run): in place', { ...acted, adopted: true, uncounted: [] }, ['ok', 'ok', 'crit'], NOW, 'in-place'],
      ['adopted by a version that did not record them, a failing one: awaited', { healthy: 3, deadline: acted.deadline, since: acted.since, adopted: true }, ['ok', 'ok', 'crit'], NOW, 'awaiting'],
      ['adopted, the added one running past grace but unregistered: awaited', { ...acted, adopted: true }, ['ok', 'ok', 'unreg'], NOW, 'awaiting'],
      ['adopted, past its deadline, not met: expired (a failure, as before)', { ...acted, adopted: true }, ['ok', 'ok', 'crit'], acted.deadline, 'expired'],
    ];
    for (const [name, expectation, kinds, now, verdict] of cases) {
      it(`${name} -> ${verdict}`, () => {
        const assessment = assessService(spec('web', 3), fleet(kinds), now);
        expect(judgeExpectation(expectation, assessment, now)).to.equal(verdict);
      });
    }
  });

  describe('plan on the first pass of the new leader', () => {
    it('the issue: a met action, then an instance it counted failing as the leader died: cleared, the failed one replaced at once', () => {
      const adopted: HealerMemory = { services: adoptedMemory(memoryWith(acted).services), activeAlerts: [] };
      const p = plan(d, live([fleet(['ok', 'ok', 'crit'])]), adopted, NOW);
      expect(actionsOf(p), p.decisions[0].reason).to.equal('remove:1 scale:3(+1)');
      expect(p.memory.services.web.expectation?.since).to.equal(NOW);
      expect(p.memory.services.web.expectation?.adopted).to.equal(undefined);
    });

    it('the action still coming (its container not there yet): held, as before', () => {
      const adopted: HealerMemory = { services: adoptedMemory(memoryWith(acted).services), activeAlerts: [] };
      const p = plan(d, live([fleet(['ok', 'ok'])]), adopted, NOW);
      expect(actionsOf(p)).to.equal('');
      expect(p.decisions[0].reason).to.match(/awaiting 3 healthy/);
      expect(p.memory.services.web.expectation?.adopted).to.equal(true);
    });

    it('in place while the starting ones cover the shortfall: cleared, nothing added on top', () => {
      const adopted: HealerMemory = { services: adoptedMemory(memoryWith(acted).services), activeAlerts: [] };
      const p = plan(d, live([fleet(['ok', 'ok', 'new'])]), adopted, NOW);
      expect(actionsOf(p)).to.equal('');
      expect(p.memory.services.web.expectation).to.equal(undefined);
      expect(p.memory.services.web.successes, 'not judged a success').to.equal(0);
      expect(p.memory.services.web.failures, 'nor a failure').to.equal(0);
    });

    it("an adopted half-open trial in place: the breaker back to open, not stuck half-open", () => {
      const trial = memoryWith(acted, { breaker: { openedAt: NOW - 400_000, reason: 'x', trial: true } });
      const p = plan(d, live([fleet(['ok', 'ok', 'new'])]), { services: adoptedMemory(trial.services), activeAlerts: [] }, NOW);
      expect(p.memory.services.web.breaker?.trial).to.equal(undefined);
    });

    it('its own leader, same live state: still awaits its expectation (unchanged)', () => {
      const p = plan(d, live([fleet(['ok', 'ok', 'crit'])]), memoryWith(acted), NOW);
      expect(actionsOf(p)).to.equal('');
      expect(p.decisions[0].reason).to.match(/awaiting 3 healthy/);
    });
  });

  describe('what an action records and a successor adopts', () => {
    it('the expectation names the containers it did not count (the failed ones removed, the unregistered), not the passing and starting', () => {
      const p = plan(d, live([service('web', ['ok', 'new', 'crit', 'unreg'])]), emptyMemory(), NOW);
      expect(actionsOf(p)).to.equal('remove:1 scale:4(+1)');
      expect(p.memory.services.web.expectation?.uncounted).to.deep.equal([id('web_3'), id('web_4')]);
    });

    it('adoptedMemory marks every expectation adopted and leaves the rest (and its input) alone', () => {
      const services = { web: { ...freshServiceMemory(), expectation: acted }, api: freshServiceMemory() };
      const adopted = adoptedMemory(services);
      expect(adopted.web.expectation).to.deep.equal({ ...acted, adopted: true });
      expect(adopted.api).to.deep.equal(freshServiceMemory());
      expect(services.web.expectation.adopted).to.equal(undefined);
    });
  });
});

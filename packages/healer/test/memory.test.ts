import { expect } from 'chai';
import { describeAction, type Action } from '../src/plan/actions';
import { desiredInvalidAlert } from '../src/plan/alerts';
import { afterDryRun, emptyMemory, openBreakers, parsePersistedMemory, type HealerMemory } from '../src/plan/memory';
import { plan } from '../src/plan/plan';
import { leaderPassResult } from '../src/pass-report';
import { NOW, desired, live, service, spec } from './fixtures';

const mem = { failures: 0, successes: 0, notBefore: 0, actionTimes: [] };

describe('healer memory across leaders and passes', () => {
  describe('parsePersistedMemory (what a new leader adopts from Consul KV)', () => {
    const cases: Array<[string, string, boolean]> = [
      ['a memory this version wrote', JSON.stringify({ web: { ...mem, expectation: { healthy: 3, deadline: 1, since: 0 } } }), true],
      ['no services at all', '{}', true],
      ['not JSON', '{"web": ', false],
      ['a list', '[]', false],
      ['null', 'null', false],
      ['a service that is not an object', JSON.stringify({ web: 3 }), false],
      ['a service without its counters (another version)', JSON.stringify({ web: { failures: 0 } }), false],
      ['actionTimes not a list', JSON.stringify({ web: { ...mem, actionTimes: 5 } }), false],
    ];
    for (const [name, text, readable] of cases) {
      it(`${name}: ${readable ? 'adopted' : 'ignored'}`, () => {
        const parsed = parsePersistedMemory(text);
        if (readable) expect(parsed).to.deep.equal(JSON.parse(text));
        else expect(parsed).to.equal(undefined);
      });
    }
  });

  describe('openBreakers (the healer_breaker_open gauge)', () => {
    const cases: Array<[string, HealerMemory['services'][string], boolean]> = [
      ['no breaker', mem, false],
      ['open', { ...mem, breaker: { openedAt: NOW, reason: 'x' } }, true],
      ['half-open for a trial', { ...mem, breaker: { openedAt: NOW, reason: 'x', trial: true } }, false],
    ];
    for (const [name, service, open] of cases) {
      it(`${name} -> ${open ? 1 : 0}`, () => {
        expect(openBreakers({ services: { web: service }, activeAlerts: [] })).to.deep.equal({ web: open });
      });
    }
  });

  it('a dry run keeps only the alert bookkeeping of its plan (no expectation, no action time)', () => {
    const planned = plan(desired([spec('web', 3)]), live([service('web', ['ok', 'exit', 'exit'])]), emptyMemory(), NOW);
    expect(planned.memory.services.web.expectation).to.not.equal(undefined);
    const kept = afterDryRun(emptyMemory(), planned.memory);
    expect(kept).to.deep.equal({ services: {}, activeAlerts: planned.memory.activeAlerts });
  });

  describe('leaderPassResult (the healer_passes_total label)', () => {
    const acted = { service: 'web', kind: 'scale' as const, ok: true, detail: '' };
    const cases: Array<[string, Parameters<typeof leaderPassResult>[0], string]> = [
      ['an action taken', { actions: [acted] }, 'acted'],
      ['a failed action is still acting', { actions: [{ ...acted, ok: false }] }, 'acted'],
      ['a guard held everything', { actions: [], guard: 'quorum-guard' }, 'held'],
      ['nothing to do', { actions: [] }, 'noop'],
    ];
    for (const [name, report, result] of cases) it(`${name} -> ${result}`, () => expect(leaderPassResult(report)).to.equal(result));
  });

  describe('desiredInvalidAlert', () => {
    it('one key per distinct error, the same key for the same error', () => {
      const a = desiredInvalidAlert('services.web.max (2) is below services.web.min (5)');
      expect(a).to.include({ kind: 'desired-invalid', message: 'services.web.max (2) is below services.web.min (5)' });
      expect(a.key).to.match(/^desired-invalid:[0-9a-f]{8}$/);
      expect(desiredInvalidAlert(a.message).key).to.equal(a.key);
      expect(desiredInvalidAlert('services.web.min must be integer').key).to.not.equal(a.key);
    });
  });
});

describe('healer plan output is backend-neutral', () => {
  it('a compose service\'s plan names no compose project, file or command', () => {
    const p = plan(desired([spec('web', 3)]), live([service('web', ['ok', 'exit', 'exit'])]), emptyMemory(), NOW);
    expect(p.decisions[0].actions.map((a) => a.kind)).to.deep.equal(['remove', 'scale']);
    const text = JSON.stringify({ decisions: p.decisions, alerts: p.alerts, described: p.decisions[0].actions.map(describeAction) });
    expect(text).to.not.match(/compose|proj|\/srv/i);
  });

  const actions: Array<[Action, string]> = [
    [{ kind: 'remove', service: 'web', containers: [{ id: 'a', name: 'web_2', reason: 'container exited' }] }, 'remove web_2 (container exited)'],
    [{ kind: 'scale', service: 'web', total: 3, add: 2 }, 'scale to 3 (+2)'],
  ];
  for (const [action, text] of actions) it(`describes ${action.kind}: "${text}"`, () => expect(describeAction(action)).to.equal(text));
});

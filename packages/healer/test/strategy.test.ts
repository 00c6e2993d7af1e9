// Health strategies per service, as Rancher offers them: none (report only), recreate (the default: replace
// unhealthy instances), at-least N (replace them only while N pass; below that only add).

import { expect } from 'chai';
import { parseDesiredState, type HealthStrategy } from '../src/desired/desired-state';
import { emptyMemory } from '../src/plan/memory';
import { plan } from '../src/plan/plan';
import { NOW, desired, live, service, spec } from './fixtures';

const scale = { composeProject: 'shop', composeFile: '/srv/c.yml', composeService: 'web' };

describe('healer health strategies', () => {
  describe('in the desired state', () => {
    const cases: Array<[string, unknown, HealthStrategy | undefined]> = [
      ['absent: today\'s behaviour (recreate)', undefined, undefined],
      ['"recreate"', 'recreate', { kind: 'recreate' }],
      ['"none"', 'none', { kind: 'none' }],
      ['{ atLeastHealthy: 2 }', { atLeastHealthy: 2 }, { kind: 'at-least', healthy: 2 }],
    ];
    for (const [name, raw, parsed] of cases) {
      it(`${name} -> ${JSON.stringify(parsed)}`, () => {
        const state = parseDesiredState({ services: { web: { min: 3, scale, ...(raw !== undefined ? { healthStrategy: raw } : {}) } } });
        expect(state.services[0].healthStrategy).to.deep.equal(parsed);
      });
    }
    const bad: Array<[string, unknown, RegExp]> = [
      ['an unknown strategy', 'restart', /services\.web\.healthStrategy/],
      ['at least 0', { atLeastHealthy: 0 }, /services\.web\.healthStrategy/],
      ['an unknown field', { atLeast: 2 }, /services\.web\.healthStrategy/],
    ];
    for (const [name, raw, pattern] of bad) {
      it(`rejects ${name}, naming the field`, () => {
        expect(() => parseDesiredState({ services: { web: { min: 3, scale, healthStrategy: raw } } })).to.throw(pattern);
      });
    }
  });

  describe('in the plan', () => {
    // kinds: "ok" healthy, "crit" running but critical in Consul past grace (failed), "exit" exited (failed)
    const cases: Array<[string, HealthStrategy | undefined, string[], string, RegExp]> = [
      ['recreate (default): replace the failed, add to min', undefined, ['ok', 'crit', 'exit'], 'remove:2 scale:3(+2)', /removing 2 failed/],
      ['recreate: the same, named', { kind: 'recreate' }, ['ok', 'crit', 'exit'], 'remove:2 scale:3(+2)', /removing 2 failed/],
      ['none: report only, even when critical', { kind: 'none' }, ['ok', 'crit', 'exit'], '', /health strategy "none": reporting only/],
      ['none: report only, nothing failed', { kind: 'none' }, ['ok'], '', /reporting only/],
      ['at-least 1 with 1 healthy: replace', { kind: 'at-least', healthy: 1 }, ['ok', 'crit', 'exit'], 'remove:2 scale:3(+2)', /removing 2 failed/],
      ['at-least 2 with 1 healthy: keep the failed, only add', { kind: 'at-least', healthy: 2 }, ['ok', 'crit', 'exit'], 'scale:4(+1)', /keeping 2 failed: fewer than 2 healthy/],
      ['at-least 2 with 0 failed: add as recreate would', { kind: 'at-least', healthy: 2 }, ['ok'], 'scale:2(+1)', /removing 0 failed/],
    ];
    for (const [name, strategy, kinds, expected, reason] of cases) {
      it(`${name} -> ${expected || 'no action'}`, () => {
        const s = spec('web', 3, strategy ? { healthStrategy: strategy } : {});
        const p = plan(desired([s]), live([service('web', kinds)]), emptyMemory(), NOW);
        const d = p.decisions[0];
        const got = d.actions.map((a) => (a.kind === 'remove' ? `remove:${a.containers.length}` : `scale:${a.total}(+${a.add})`)).join(' ');
        expect(got).to.equal(expected);
        expect(d.reason).to.match(reason);
        expect(d.state).to.equal('critical');
      });
    }
  });
});

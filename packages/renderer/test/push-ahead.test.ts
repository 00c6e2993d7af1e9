import { expect } from 'chai';
import { DEFAULT_GUARD, NO_WAIT } from '../src/config';
import { planPushAhead, type PushAheadInput, type PushAheadMemory } from '../src/plan/push-ahead';

describe('renderer no-reload mode: pushing a changed answer ahead of the render', () => {
  const memory: PushAheadMemory = {
    sources: new Map([
      ['consul_web', { key: 'health.service(web|passing)' }],
      ['consul_web_alias', { key: 'health.service(web|passing)' }],
      ['consul_api', { key: 'health.service(api|passing)' }],
    ]),
    instancesByKey: new Map([['health.service(web|passing)', 4], ['health.service(api|passing)', 6], ['health.service(filtered|passing)', 10]]),
    instances: 20,
  };
  const guard = { ...DEFAULT_GUARD, minInstances: 1, maxDropFraction: 0.5, dropHoldMs: 60_000 };
  const base: PushAheadInput<{ key: string }> = { memory, status: 'ok', key: 'health.service(web|passing)', instances: 5, wait: NO_WAIT, guard, lastGoodInstances: 20, now: 1_000_000 };
  const cases: [string, Partial<PushAheadInput<{ key: string }>>, string][] = [
    ['an answer pushed straight into two upstreams: both go ahead', {}, 'push:consul_web,consul_web_alias:21'],
    ['another answer: only its upstream', { key: 'health.service(api|passing)', instances: 7 }, 'push:consul_api:21'],
    ['an answer the template filtered before pushing: the render decides', { key: 'health.service(filtered|passing)' }, 'render:not-pushed-directly'],
    ['an answer the template does not push at all', { key: 'catalog.services' }, 'render:not-pushed-directly'],
    ['no live render yet', { memory: undefined }, 'render:no-live-render'],
    ['the last render did not go live (failed, held, error)', { status: 'held' }, 'render:no-live-render'],
    ['a group waiting for quiescence: the change waits with it', { wait: { minMs: 2000, maxMs: 8000 } }, 'render:quiescence'],
    ['an empty answer: the guard and the 503 fallback are the render\'s', { instances: 0 }, 'render:empty'],
    ['a drop that persisted past the hold: the render confirms it', { key: 'health.service(api|passing)', instances: 1, lastGoodInstances: 40, dropSeenSince: 1_000_000 - 60_000 }, 'render:guard'],
    ['a sudden drop across the template: the render holds it', { key: 'health.service(api|passing)', instances: 1, lastGoodInstances: 40 }, 'render:guard'],
    ['below the minimum instances: the render holds it', { guard: { ...guard, minInstances: 30 } }, 'render:guard'],
  ];
  for (const [name, patch, want] of cases) {
    it(name, () => {
      const plan = planPushAhead({ ...base, ...patch });
      expect(plan.kind === 'push' ? `push:${plan.upstreams.join(',')}:${plan.memory.instances}` : `render:${plan.reason}`).to.equal(want);
    });
  }

  it('the memory after a push ahead counts the new answer, so the next change is guarded against it', () => {
    const first = planPushAhead(base);
    if (first.kind !== 'push') throw new Error(`expected a push, got ${first.reason}`);
    expect(first.memory.instancesByKey.get('health.service(web|passing)')).to.equal(5);
    const second = planPushAhead({ ...base, memory: first.memory, key: 'health.service(api|passing)', instances: 2 });
    expect(second.kind === 'push' && second.memory.instances).to.equal(21 - 6 + 2);
    expect(memory.instancesByKey.get('health.service(web|passing)'), 'the input memory is not changed').to.equal(4);
  });
});

import { expect } from 'chai';
import { DEFAULT_GUARD } from '../src/config';
import { emptyUpstreams, planRender, type RenderPlanInput } from '../src/plan/render-plan';

const UP = 'upstream consul_web {\n    server 127.0.0.1:8001;\n}\n';
const EMPTY_UP = 'upstream consul_web {\n    keepalive 16;\n}\n';

function input(patch: Partial<RenderPlanInput>): RenderPlanInput {
  return { rendered: UP, onDisk: 'old', instances: 2, usesServices: true, now: 1_000_000, guard: DEFAULT_GUARD, ...patch };
}

describe('renderer render plan', () => {
  const guard = { ...DEFAULT_GUARD, minInstances: 1, maxDropFraction: 0.5, dropHoldMs: 60_000 };
  const cases: [string, Partial<RenderPlanInput>, string, string][] = [
    ['identical bytes: no write, no reload', { onDisk: UP }, 'skip', 'unchanged'],
    ['identical bytes even with zero instances', { onDisk: UP, instances: 0 }, 'skip', 'unchanged'],
    ['no file yet', { onDisk: null }, 'write', 'new-file'],
    ['changed', {}, 'write', 'changed'],
    ['an empty upstream is never written', { rendered: EMPTY_UP }, 'hold', 'empty-upstream'],
    ['empty upstream allowed when the check is off', { rendered: EMPTY_UP, guard: { ...DEFAULT_GUARD, rejectEmptyUpstreams: false } }, 'write', 'changed'],
    ['below the minimum', { instances: 0, rendered: '# nothing\n' }, 'hold', 'below-min-instances'],
    ['minimum 0 lets a 503-only file through', { instances: 0, rendered: 'server { return 503; }', guard: { ...DEFAULT_GUARD, minInstances: 0 } }, 'write', 'changed'],
    ['no service() calls: instance guards do not apply', { instances: 0, usesServices: false, rendered: 'kv only' }, 'write', 'changed'],
    ['drop within the limit', { guard, lastGoodInstances: 4, instances: 2 }, 'write', 'changed'],
    ['sudden drop held', { guard, lastGoodInstances: 10, instances: 2 }, 'hold', 'sudden-drop'],
    ['sudden drop still held before dropHold', { guard, lastGoodInstances: 10, instances: 2, dropSeenSince: 1_000_000 - 59_000 }, 'hold', 'sudden-drop'],
    ['sudden drop accepted once it persisted', { guard, lastGoodInstances: 10, instances: 2, dropSeenSince: 1_000_000 - 60_000 }, 'write', 'drop-confirmed'],
    ['growth is never a drop', { guard, lastGoodInstances: 2, instances: 10 }, 'write', 'changed'],
    ['the drop guard is off by default', { lastGoodInstances: 10, instances: 1 }, 'write', 'changed'],
    ['output that already failed validation is not retried', { knownBad: UP }, 'skip', 'known-bad'],
  ];
  for (const [name, patch, action, reason] of cases) {
    it(name, () => {
      const plan = planRender(input(patch));
      expect([plan.action, plan.reason]).to.deep.equal([action, reason]);
    });
  }

  describe('emptyUpstreams', () => {
    const cases: [string, string, string[]][] = [
      ['with a server', UP, []],
      ['without', EMPTY_UP, ['consul_web']],
      ['server only in a comment', 'upstream a {\n  # server 1.2.3.4:80;\n  keepalive 2;\n}', ['a']],
      ['several', `${EMPTY_UP}upstream b { server 10.0.0.1:80; }\nupstream c {}`, ['consul_web', 'c']],
      ['server blocks are not upstreams', 'server { listen 80; }', []],
    ];
    for (const [name, text, want] of cases) it(name, () => expect(emptyUpstreams(text)).to.deep.equal(want));
  });
});

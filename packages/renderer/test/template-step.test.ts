// The runner's decisions, as tables: plan/template-step.ts (wait, error, hold, skip, write, and what the template
// remembers), plan/push-round.ts (the no-reload round) and plan/schedule.ts (render now or quiesce).

import { expect } from 'chai';
import { DEFAULT_GUARD } from '../src/config';
import { onDependencyChange, onceSettled } from '../src/plan/schedule';
import { planPushReport, pushAfterWrite, pushBeforeWrite, recoversOnPush, type PushResultInput } from '../src/plan/push-round';
import { dataFailures, planApplied, planRendered, planTemplate, type RenderedInput, type TemplateMemory, type TemplatePlanInput } from '../src/plan/template-step';

const UP = 'upstream consul_web {\n    server 127.0.0.1:8001;\n}\n';
const NOW = 1_000_000;
const fresh: TemplateMemory = { status: 'pending', firstDone: false };
const live: TemplateMemory = { status: 'ok', firstDone: true, lastGoodInstances: 10 };
const dropGuard = { ...DEFAULT_GUARD, maxDropFraction: 0.5, dropHoldMs: 60_000 };

describe('renderer plan: one template\'s step', () => {
  describe('planRendered: decided from the render alone', () => {
    const base: RenderedInput = { name: 't', missing: [], pushesUpstreams: false, hasPusher: false, memory: fresh };
    const cases: [string, Partial<RenderedInput>, unknown][] = [
      ['everything answered, no error: go on', {}, undefined],
      ['a dependency missing, before the first render: pending, reported', { missing: ['catalog.services'] }, { kind: 'pending', missing: ['catalog.services'], report: true }],
      ['a dependency missing while live: pending, the ok report stays', { missing: ['kv.key(a)'], memory: live }, { kind: 'pending', missing: ['kv.key(a)'], report: false }],
      ['a dependency missing after a failure: reported', { missing: ['x'], memory: { ...live, status: 'failed' } }, { kind: 'pending', missing: ['x'], report: true }],
      ['missing wins over an error (the template met the empty placeholders)', { missing: ['x'], error: 'boom' }, { kind: 'pending', missing: ['x'], report: true }],
      ['a render error', { error: 'template t: boom' }, { kind: 'error', cause: 'render', reason: 'template t: boom' }],
      ['pushUpstream() without an upstreamPush config', { pushesUpstreams: true }, { kind: 'error', cause: 'config', reason: 'template t: pushUpstream() needs "upstreamPush": {"url": ...} in this template\'s config' }],
      ['pushUpstream() with a pusher: go on', { pushesUpstreams: true, hasPusher: true }, undefined],
      ['a malformed answer: the template\'s error, with core\'s code (wins over missing)', { missing: ['x'], failing: [{ key: 'health.service(web|passing)', code: 'ERR_CONSUL_PAYLOAD', message: 'bad Port' }] },
        { kind: 'error', cause: 'consul', reason: 'consul-payload', code: 'ERR_CONSUL_PAYLOAD', detail: 'health.service(web|passing): bad Port' }],
    ];
    for (const [name, patch, want] of cases) it(name, () => expect(planRendered({ ...base, ...patch })).to.deep.equal(want));
  });

  describe('planTemplate: hold, skip or write, and the drop being held', () => {
    const base: TemplatePlanInput = { output: UP, instances: 2, usesServices: true, hasPusher: false, onDisk: 'old', dryRun: false, memory: fresh, now: NOW, guard: DEFAULT_GUARD };
    type Want = { kind: string; reason?: string; dropSeenSince?: number; recheckAfterMs?: number; outcome?: string; push?: unknown };
    const cases: [string, Partial<TemplatePlanInput>, Want][] = [
      ['new file', { onDisk: null }, { kind: 'write', reason: 'new-file', dropSeenSince: undefined, push: undefined }],
      ['changed', {}, { kind: 'write', reason: 'changed', dropSeenSince: undefined, push: undefined }],
      ['unchanged: good', { onDisk: UP }, { kind: 'skip', reason: 'unchanged', outcome: 'good' }],
      ['known bad: failed, not retried', { memory: { ...live, lastGoodInstances: 2, knownBad: UP } }, { kind: 'skip', reason: 'known-bad', outcome: 'failed' }],
      ['Lua check failed: error, nothing else looked at', { luaError: 'no module' }, { kind: 'error', reason: 'lua-check-failed' }],
      ['a sudden drop starts being held: remember now, recheck after dropHold', { guard: dropGuard, memory: live }, { kind: 'hold', reason: 'sudden-drop', dropSeenSince: NOW, recheckAfterMs: 60_010 }],
      ['a drop still held: the first sighting is kept, no second timer', { guard: dropGuard, memory: { ...live, dropSeenSince: NOW - 1000 } }, { kind: 'hold', reason: 'sudden-drop', dropSeenSince: NOW - 1000, recheckAfterMs: undefined }],
      ['a drop that persisted: written, the sighting kept until it goes live', { guard: dropGuard, memory: { ...live, dropSeenSince: NOW - 60_000 } }, { kind: 'write', reason: 'drop-confirmed', dropSeenSince: NOW - 60_000 }],
      ['another hold forgets the drop', { instances: 0, memory: { ...live, dropSeenSince: NOW - 1000 } }, { kind: 'hold', reason: 'below-min-instances', dropSeenSince: undefined }],
      ['the drop recovered: forgotten', { guard: dropGuard, instances: 10, memory: { ...live, dropSeenSince: NOW - 1000 } }, { kind: 'write', reason: 'changed', dropSeenSince: undefined }],
      ['dry run: what was printed counts as on disk', { dryRun: true, memory: { ...fresh, lastPrinted: UP } }, { kind: 'skip', reason: 'unchanged', outcome: 'good' }],
      ['no-reload, file unchanged: the push reports', { hasPusher: true, onDisk: UP }, { kind: 'skip', reason: 'unchanged', outcome: 'none', push: { reason: 'pushed' } }],
      ['no-reload, file known bad: members still pushed, the file\'s failure is the report', { hasPusher: true, memory: { ...live, lastGoodInstances: 2, knownBad: UP } }, { kind: 'skip', reason: 'known-bad', outcome: 'failed', push: { reason: 'pushed', fileResult: 'known-bad' } }],
      ['no-reload, file unchanged but instances dropped: the push guard holds', { hasPusher: true, onDisk: UP, guard: dropGuard, memory: live }, { kind: 'hold', reason: 'sudden-drop', dropSeenSince: NOW }],
      ['no-reload, confirmed drop: the push says so', { hasPusher: true, onDisk: UP, guard: dropGuard, memory: { ...live, dropSeenSince: NOW - 60_000 } }, { kind: 'skip', reason: 'unchanged', outcome: 'none', push: { reason: 'drop-confirmed' } }],
      ['no-reload, changed file: written and pushed', { hasPusher: true }, { kind: 'write', reason: 'changed', push: { reason: 'pushed' } }],
    ];
    for (const [name, patch, want] of cases) {
      it(name, () => {
        const step = planTemplate({ ...base, ...patch });
        const got: Record<string, unknown> = { kind: step.kind };
        if ('plan' in step) got.reason = step.plan.reason;
        if (step.kind === 'error') got.reason = step.reason;
        for (const key of Object.keys(want)) if (key !== 'kind' && key !== 'reason') got[key] = (step as unknown as Record<string, unknown>)[key];
        expect(got).to.deep.equal(want);
      });
    }
  });

  describe('planApplied: after the batch', () => {
    const plan = { action: 'write' as const, reason: 'changed' as const };
    it('live: good, with the plan\'s reason', () => expect(planApplied('ok', plan, UP)).to.deep.equal({ live: true, reason: 'changed' }));
    it('not live: this output is known bad', () => expect(planApplied('validation-failed', plan, UP)).to.deep.equal({ live: false, reason: 'validation-failed', knownBad: UP }));
  });
});

describe('renderer plan: which dependency failures are the template\'s error', () => {
  const coded = (code: string) => Object.assign(new Error(`${code} happened`), { code });
  it('a malformed answer is; Consul away, a timeout or an HTTP error are not (the last data is still good)', () => {
    const failures = [
      { key: 'a', err: coded('ERR_CONSUL_PAYLOAD') },
      { key: 'b', err: coded('ERR_CONSUL_UNREACHABLE') },
      { key: 'c', err: coded('ERR_CONSUL_TIMEOUT') },
      { key: 'd', err: coded('ERR_CONSUL_HTTP') },
      { key: 'e', err: new Error('no code') },
    ];
    expect(dataFailures(failures)).to.deep.equal([{ key: 'a', code: 'ERR_CONSUL_PAYLOAD', message: 'ERR_CONSUL_PAYLOAD happened' }]);
  });
});

describe('renderer plan: the no-reload push round', () => {
  const cases: [string, boolean, boolean, boolean][] = [
    ['not writing: push first', false, false, true],
    ['writing, endpoint reached before: members before the reload', true, true, true],
    ['writing, endpoint never reached (the write may create it): after the reload', true, false, false],
  ];
  for (const [name, writing, reached, want] of cases) it(`before the write: ${name}`, () => expect(pushBeforeWrite(writing, reached)).to.equal(want));

  const after: [string | undefined, { prune: boolean; retryForMs: number }][] = [
    [undefined, { prune: true, retryForMs: 0 }],
    ['ok', { prune: true, retryForMs: 2000 }],
    ['validation-failed', { prune: false, retryForMs: 0 }],
    ['known-bad', { prune: false, retryForMs: 0 }],
  ];
  for (const [fileResult, want] of after) it(`after the write (file ${fileResult ?? 'not written'}): prune ${want.prune}, retry ${want.retryForMs} ms`, () => expect(pushAfterWrite(fileResult)).to.deep.equal(want));

  const base: PushResultInput = { ok: true, held: [], pushReason: 'pushed' };
  const reports: [string, Partial<PushResultInput>, unknown][] = [
    ['pushed alone: good', {}, { kind: 'good', reason: 'pushed' }],
    ['with the file live: the write\'s reason', { fileResult: 'ok', currentReason: 'changed' }, { kind: 'good', reason: 'changed' }],
    ['the file failed: its failure stays the report', { fileResult: 'validation-failed', ok: false }, { kind: 'none' }],
    ['nginx refused: push-failed', { ok: false, error: '409' }, { kind: 'failed', reason: 'push-failed', detail: '409' }],
    ['an upstream held: held', { held: [{ detail: 'a empty' }, { detail: 'b empty' }] }, { kind: 'held', reason: 'empty-upstream', detail: 'a empty; b empty' }],
  ];
  for (const [name, patch, want] of reports) it(`report: ${name}`, () => expect(planPushReport({ ...base, ...patch })).to.deep.equal(want));

  it('a push that gets through clears a push failure, and only that', () => {
    expect(recoversOnPush('failed', 'push-failed')).to.equal(true);
    expect(recoversOnPush('failed', 'validation-failed')).to.equal(false);
    expect(recoversOnPush('ok', 'pushed')).to.equal(false);
  });
});

describe('renderer plan: when a group renders', () => {
  const cases: [string, { once: boolean; everyTemplateDone: boolean }, string][] = [
    ['before the first render: now (consul-template #703)', { once: false, everyTemplateDone: false }, 'render-now'],
    ['--once: now', { once: true, everyTemplateDone: true }, 'render-now'],
    ['after the first render: quiescence', { once: false, everyTemplateDone: true }, 'quiesce'],
  ];
  for (const [name, input, want] of cases) it(name, () => expect(onDependencyChange(input)).to.equal(want));
  it('--once settles when nothing is pending or queued', () => {
    expect(onceSettled(['ok', 'failed'], [false])).to.equal(true);
    expect(onceSettled(['ok', 'pending'], [false])).to.equal(false);
    expect(onceSettled(['ok'], [true])).to.equal(false);
  });
});

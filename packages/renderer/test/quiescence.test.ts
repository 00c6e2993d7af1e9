import { expect } from 'chai';
import { waitFor } from '@consul-sidecars/core';
import { IDLE, Quiescence, quiescenceOnChange, type QuiescenceState } from '../src/quiescence';

describe('renderer quiescence', () => {
  describe('quiescenceOnChange (consul-template runner semantics)', () => {
    const wait = { minMs: 100, maxMs: 500 };
    // Each case: change times -> when the batch fires.
    const cases: [string, number[], number][] = [
      ['one change fires after min', [0], 100],
      ['changes inside min push the timer back', [0, 50, 120], 220],
      ['but never past the deadline (max after the first change)', [0, 90, 180, 270, 360, 450], 500],
      ['a late first change starts its own window', [1000], 1100],
    ];
    for (const [name, changes, fireAt] of cases) {
      it(name, () => {
        let state: QuiescenceState = IDLE;
        for (const t of changes) state = quiescenceOnChange(state, t, wait);
        expect(state.fireAt).to.equal(fireAt);
        expect(state.deadline).to.equal(changes[0] + wait.maxMs);
      });
    }
    it('no wait fires at once', () => expect(quiescenceOnChange(IDLE, 7, { minMs: 0, maxMs: 0 })).to.deep.equal({ deadline: 7, fireAt: 7 }));
  });

  it('the timer fires once for a burst and resets afterwards', async () => {
    let fired = 0;
    const q = new Quiescence({ minMs: 40, maxMs: 400 }, () => fired++);
    for (let i = 0; i < 100; i++) q.tick();
    expect(q.pending).to.equal(true);
    await waitFor(() => fired === 1, { timeoutMs: 2000, message: 'the burst to fire' });
    expect(q.pending).to.equal(false);
    q.tick();
    await waitFor(() => fired === 2, { timeoutMs: 2000, message: 'a later change to fire again' });
    q.cancel();
  });

  it('cancel drops a pending fire', async () => {
    let fired = 0;
    const q = new Quiescence({ minMs: 20, maxMs: 20 }, () => fired++);
    q.tick();
    q.cancel();
    const probe = new Quiescence({ minMs: 60, maxMs: 60 }, () => fired += 10);
    probe.tick();
    await waitFor(() => fired >= 10, { timeoutMs: 2000, message: 'the probe timer' });
    expect(fired).to.equal(10);
  });
});

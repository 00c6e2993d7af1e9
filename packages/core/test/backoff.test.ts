import { expect } from 'chai';
import { backoffDelay, retry, sleep } from '../src';

describe('core: backoff and retry', () => {
  it('doubles from the base and caps at the maximum (no jitter)', () => {
    const delays = [1, 2, 3, 4, 10, 60].map((n) => backoffDelay(n, { baseMs: 100, maxMs: 1000, jitter: 0 }));
    expect(delays).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
  });
  it('draws the jittered part at random within [raw*(1-j), raw]', () => {
    expect(backoffDelay(3, { baseMs: 100, maxMs: 10_000, jitter: 0.5 }, () => 0)).to.equal(200);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 10_000, jitter: 0.5 }, () => 1)).to.equal(400);
  });
  it('retries a transient failure and returns the result', async () => {
    let calls = 0;
    const value = await retry(async () => {
      calls++;
      if (calls < 3) throw new Error('transient');
      return 'ok';
    }, { attempts: 5, baseMs: 1, maxMs: 2 });
    expect(value).to.equal('ok');
    expect(calls).to.equal(3);
  });
  it('does not retry an error marked as permanent', async () => {
    let calls = 0;
    const failing = retry(async () => {
      calls++;
      throw new Error('permanent');
    }, { attempts: 5, baseMs: 1, isRetryable: () => false });
    let caught: unknown;
    await failing.catch((e) => (caught = e));
    expect((caught as Error).message).to.equal('permanent');
    expect(calls).to.equal(1);
  });
  it('gives up after the attempts and throws the last error', async () => {
    let calls = 0;
    let caught: unknown;
    await retry(async () => {
      calls++;
      throw new Error(`fail ${calls}`);
    }, { attempts: 3, baseMs: 1, maxMs: 1 }).catch((e) => (caught = e));
    expect(calls).to.equal(3);
    expect((caught as Error).message).to.equal('fail 3');
  });
  it('sleep rejects at once when its signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = sleep(10_000, controller.signal);
    controller.abort(new Error('stop'));
    let caught: unknown;
    await pending.catch((e) => (caught = e));
    expect((caught as Error).message).to.equal('stop');
    expect(Date.now() - started).to.be.below(1000);
  });
});

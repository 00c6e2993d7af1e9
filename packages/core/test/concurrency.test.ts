// mapLimit, Semaphore, SerialQueue, CoalescingRunner and KeyedSingleFlight: limits held, order kept, bursts coalesced.

import { expect } from 'chai';
import { CoalescingRunner, ERR_STOPPED, KeyedSingleFlight, mapLimit, Semaphore, SerialQueue, waitFor } from '../src';

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('core/concurrency', () => {
  describe('mapLimit', () => {
    it('keeps order and never runs more than the limit at once', async () => {
      let active = 0;
      let peak = 0;
      const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n, i) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, n));
        active--;
        return `${i}:${n * 10}`;
      });
      expect(out).to.deep.equal(['0:50', '1:10', '2:40', '3:20', '4:30']);
      expect(peak).to.equal(2);
    });

    it('answers [] for no items and rejects a limit below 1', async () => {
      expect(await mapLimit([], 4, async () => 1)).to.deep.equal([]);
      let caught: unknown;
      await mapLimit([1], 0, async () => 1).catch((err) => (caught = err));
      expect(caught).to.be.instanceOf(RangeError);
    });

    it('rejects with the first failure', async () => {
      const err = await mapLimit([1, 2, 3], 3, async (n) => {
        if (n === 2) throw new Error('two');
        return n;
      }).catch((e: Error) => e);
      expect(err).to.have.property('message', 'two');
    });
  });

  describe('Semaphore', () => {
    it('admits `limit` tasks and queues the rest in order', async () => {
      const s = new Semaphore(2);
      const gates = [gate(), gate(), gate()];
      const order: number[] = [];
      const runs = gates.map((g, i) => s.run(async () => {
        order.push(i);
        await g.promise;
        return i;
      }));
      await tick();
      expect([s.active, s.queued, order]).to.deep.equal([2, 1, [0, 1]]);
      gates[1].open();
      await waitFor(() => order.length === 3, { timeoutMs: 1000 });
      gates[0].open();
      gates[2].open();
      expect(await Promise.all(runs)).to.deep.equal([0, 1, 2]);
      expect(s.active).to.equal(0);
    });

    it('hands a released slot to the first waiter: a caller arriving meanwhile waits its turn (never above the limit)', async () => {
      // Whatever the microtask at which a third caller arrives after the first task ends, at most one runs at once
      // and the waiter queued first goes first.
      for (let delay = 0; delay <= 12; delay++) {
        const s = new Semaphore(1);
        let running = 0;
        let most = 0;
        const order: string[] = [];
        const task = (name: string, g?: { promise: Promise<void> }) => async () => {
          running++;
          most = Math.max(most, running);
          order.push(name);
          if (g) await g.promise;
          else await tick();
          running--;
        };
        const first = gate();
        const a = s.run(task('a', first));
        const b = s.run(task('b'));
        await tick();
        first.open(); // a's task ends a microtask later, and its slot is released a few microtasks after that
        let pending = Promise.resolve();
        for (let i = 0; i < delay; i++) pending = pending.then(() => undefined);
        const c = pending.then(() => s.run(task('c')));
        await Promise.all([a, b, c]);
        expect(most, `tasks running at once (third caller ${delay} microtasks late)`).to.equal(1);
        expect(order, `order (third caller ${delay} microtasks late)`).to.deep.equal(['a', 'b', 'c']);
        expect(s.active).to.equal(0);
      }
    });

    it('frees the slot when a task fails', async () => {
      const s = new Semaphore(1);
      await s.run(async () => {
        throw new Error('x');
      }).catch(() => undefined);
      expect(await s.run(async () => 'next')).to.equal('next');
    });
  });

  describe('SerialQueue', () => {
    it('runs tasks one at a time in order, a failure rejecting only its caller', async () => {
      const q = new SerialQueue();
      const seen: string[] = [];
      const a = q.run(async () => {
        await new Promise((r) => setTimeout(r, 5));
        seen.push('a');
      });
      const b = q.run(async () => {
        seen.push('b');
        throw new Error('b failed');
      });
      const c = q.run(async () => {
        seen.push('c');
        return 'c';
      });
      await a;
      expect(await b.catch((e: Error) => e.message)).to.equal('b failed');
      expect(await c).to.equal('c');
      expect(seen).to.deep.equal(['a', 'b', 'c']);
      await q.idle();
      expect(q.size).to.equal(0);
    });
  });

  describe('CoalescingRunner', () => {
    it('joins requests that arrive before a pass starts', async () => {
      const passes: string[][] = [];
      const runner = new CoalescingRunner(async (reasons) => {
        passes.push(reasons);
        return passes.length;
      }, 10);
      const results = await Promise.all([runner.request('a'), runner.request('b'), runner.request('c')]);
      expect(results).to.deep.equal([1, 1, 1]);
      expect(passes).to.deep.equal([['a', 'b', 'c']]);
      expect([runner.requested, runner.started]).to.deep.equal([3, 1]);
    });

    it('makes exactly one more pass for a burst during a pass, never overlapping', async () => {
      const running = gate();
      let active = 0;
      let peak = 0;
      const passes: string[][] = [];
      const runner = new CoalescingRunner(async (reasons) => {
        active++;
        peak = Math.max(peak, active);
        passes.push(reasons);
        if (passes.length === 1) await running.promise;
        active--;
        return passes.length;
      }, 0);
      const first = runner.request('first');
      await waitFor(() => passes.length === 1, { timeoutMs: 1000 });
      const burst = [runner.request('x'), runner.request('y'), runner.request('z')];
      running.open();
      expect(await first).to.equal(1);
      expect(await Promise.all(burst)).to.deep.equal([2, 2, 2]);
      expect(passes).to.deep.equal([['first'], ['x', 'y', 'z']]);
      expect(peak).to.equal(1);
    });

    it('rejects requests after stop with ERR_STOPPED, and waits for the pass in flight', async () => {
      let done = false;
      const runner = new CoalescingRunner(async () => {
        await new Promise((r) => setTimeout(r, 10));
        done = true;
      }, 0);
      void runner.request('a');
      await tick();
      await runner.stop();
      expect(done).to.equal(true);
      const err = await runner.request('late').catch((e: unknown) => e);
      expect(err).to.have.property('code', ERR_STOPPED);
    });

    it('keeps running after a failed pass', async () => {
      let n = 0;
      const runner = new CoalescingRunner(async () => {
        n++;
        if (n === 1) throw new Error('first fails');
        return n;
      }, 0);
      expect(await runner.request('a').catch((e: Error) => e.message)).to.equal('first fails');
      expect(await runner.request('b')).to.equal(2);
    });
  });

  describe('KeyedSingleFlight', () => {
    it('runs one task per key and reruns once after any number of asks meanwhile', async () => {
      const flight = new KeyedSingleFlight<string>();
      const g = gate();
      let runs = 0;
      const pass = (): Promise<number> | undefined => flight.run('pool-a', async () => {
        runs++;
        if (runs === 1) await g.promise;
        return runs;
      }, () => void pass());
      const first = pass();
      expect(first).to.be.instanceOf(Promise);
      expect([pass(), pass(), pass()]).to.deep.equal([undefined, undefined, undefined]);
      expect(flight.isRunning('pool-a')).to.equal(true);
      // Another key is independent.
      expect(await flight.run('pool-b', async () => 'b', () => undefined)).to.equal('b');
      g.open();
      expect(await first).to.equal(1);
      await waitFor(() => runs === 2 && !flight.isRunning('pool-a'), { timeoutMs: 1000, message: 'exactly one rerun' });
      await flight.settled();
      expect(runs).to.equal(2);
    });

    it('reruns after a failed task too, and cancelReruns drops pending ones', async () => {
      const flight = new KeyedSingleFlight<string>();
      let reruns = 0;
      const failing = flight.run('k', async () => {
        await tick();
        throw new Error('boom');
      }, () => undefined);
      flight.run('k', async () => undefined, () => reruns++);
      expect(await failing!.catch((e: Error) => e.message)).to.equal('boom');
      expect(reruns).to.equal(1);
      const g = gate();
      const held = flight.run('k', () => g.promise, () => undefined);
      flight.run('k', async () => undefined, () => reruns++);
      flight.cancelReruns();
      g.open();
      await held;
      expect(reruns).to.equal(1);
    });
  });
});

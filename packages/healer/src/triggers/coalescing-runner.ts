// The single-flight, coalescing pass runner every trigger funnels into.

import { sleep } from '@consul-sidecars/core';
import { healerError } from '../errors';

function stoppedError(): Error {
  return healerError('ERR_STOPPED', 'pass runner stopped');
}

/**
 * Runs passes one at a time. Requests that arrive while a pass waits to start join it; requests that arrive
 * while a pass runs make exactly one more pass after it. So a burst of hints (agent reload firing every
 * watch, cron and watch together) costs at most two passes, and two passes never overlap.
 */
export class CoalescingRunner<R> {
  private chain: Promise<unknown> = Promise.resolve();
  private next?: { reasons: string[]; promise: Promise<R> };
  private stopped = false;
  /** Requests received and passes started (tests and metrics). */
  requested = 0;
  started = 0;

  constructor(
    private readonly run: (reasons: string[]) => Promise<R>,
    private readonly debounceMs = 200,
  ) {}

  request(reason: string): Promise<R> {
    if (this.stopped) return Promise.reject(stoppedError());
    this.requested++;
    if (this.next) {
      this.next.reasons.push(reason);
      return this.next.promise;
    }
    const reasons = [reason];
    const promise = this.chain
      .catch(() => undefined)
      .then(() => (this.debounceMs > 0 ? sleep(this.debounceMs) : undefined))
      .then(() => {
        if (this.next?.reasons === reasons) this.next = undefined;
        if (this.stopped) throw stoppedError();
        this.started++;
        return this.run(reasons);
      });
    this.next = { reasons, promise };
    this.chain = promise;
    return promise;
  }

  /** Stops accepting requests and waits for the pass in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain.catch(() => undefined);
  }
}

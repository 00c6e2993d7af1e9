// Runs passes one at a time. Requests that arrive while a pass waits to start join it; requests that arrive while
// a pass runs make exactly one more pass after it. So a burst of hints costs at most two passes, never overlapping.

import { sleep } from '../backoff';
import { CodedError } from '../errors';
import { ERR_STOPPED } from '../error-codes';

interface Pending<R> {
  reasons: string[];
  promise: Promise<R>;
}

function stoppedError(): CodedError {
  return new CodedError(ERR_STOPPED, 'pass runner stopped');
}

export class CoalescingRunner<R> {
  private chain: Promise<unknown> = Promise.resolve();
  private next?: Pending<R>;
  private stopped = false;
  /** Requests received and passes started (tests and metrics). */
  requested = 0;
  started = 0;

  /** `debounceMs`: how long a pass waits to start, gathering requests (default 200). */
  constructor(
    private readonly pass: (reasons: string[]) => Promise<R>,
    private readonly debounceMs = 200,
  ) {}

  /** Resolves with the result of the pass that serves this request. */
  request(reason: string): Promise<R> {
    if (this.stopped) return Promise.reject(stoppedError());
    this.requested++;
    if (this.next) {
      this.next.reasons.push(reason);
      return this.next.promise;
    }
    const reasons = [reason];
    const promise: Promise<R> = this.chain
      .catch(() => undefined)
      .then(() => (this.debounceMs > 0 ? sleep(this.debounceMs) : undefined))
      .then(() => {
        if (this.next?.reasons === reasons) this.next = undefined;
        if (this.stopped) throw stoppedError();
        this.started++;
        return this.pass(reasons);
      });
    this.next = { reasons, promise };
    this.chain = promise;
    return promise;
  }

  /** True while a pass is waiting to start (requests now join it). */
  get waiting(): boolean {
    return this.next !== undefined;
  }

  /** Stops accepting requests and waits for the pass in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain.catch(() => undefined);
  }
}

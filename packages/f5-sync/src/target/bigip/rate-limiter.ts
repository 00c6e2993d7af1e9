// A token bucket capping iControl calls per second, so a big resync cannot overload restjavad (k8s-bigip-ctlr#2850, #3500).

import { sleep } from '@consul-sidecars/core';

export class RateLimiter {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  /** `perSecond` 0 (or Infinity) means no cap; the burst equals one second's worth. */
  constructor(private readonly perSecond: number, private readonly now: () => number = Date.now) {
    this.tokens = perSecond;
    this.last = now();
  }

  get limited(): boolean {
    return this.perSecond > 0 && Number.isFinite(this.perSecond);
  }

  /** Resolves when one call may go out; callers are served in order. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (!this.limited) return Promise.resolve();
    const turn = this.queue.then(() => this.take(signal));
    // A rejected turn (aborted) must not block the callers after it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / this.perSecond) * 1000), signal);
    }
  }
}

// Quiescence as consul-template's runner does it: the first change arms a `min` timer and a `max` deadline, each
// later change pushes the timer back by `min` but never past the deadline. A pure step, and a timer that follows it.

import type { WaitConfig } from './config';

export interface QuiescenceState {
  /** When the pending batch must fire at the latest. */
  deadline?: number;
  /** When it fires if nothing else changes. */
  fireAt?: number;
}

export const IDLE: QuiescenceState = {};

/** The state after a change at `now`. */
export function quiescenceOnChange(state: QuiescenceState, now: number, wait: WaitConfig): QuiescenceState {
  const deadline = state.deadline ?? now + wait.maxMs;
  return { deadline, fireAt: Math.min(now + wait.minMs, deadline) };
}

/** Calls `fire` once the changes have been quiet for `min` (or `max` has passed since the first of them). */
export class Quiescence {
  private state: QuiescenceState = IDLE;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly wait: WaitConfig,
    private readonly fire: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  get pending(): boolean {
    return this.state.fireAt !== undefined;
  }

  /** Records a change; with no wait configured it fires on the next turn of the event loop (bursts still coalesce). */
  tick(): void {
    this.state = quiescenceOnChange(this.state, this.now(), this.wait);
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(0, (this.state.fireAt ?? this.now()) - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.state = IDLE;
      this.fire();
    }, delay);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.state = IDLE;
  }
}

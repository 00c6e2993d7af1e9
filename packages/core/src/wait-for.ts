// Waits on a condition with a deadline: what tests, demos and deploy steps use instead of fixed sleeps.

import { sleep } from './backoff';

export interface WaitForOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Said in the error when the deadline passes, with the last value seen. */
  message?: string;
}

/** What a truthy check leaves of T: `x ? value : false` probes resolve to the value's type. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Polls `probe` until it returns a truthy value (which is returned); a throwing probe counts as not yet. */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitForOptions): Promise<Truthy<T>> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 25;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as Truthy<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.message ?? 'condition'} (last: ${seen})`);
    }
    await sleep(Math.min(interval, Math.max(deadline - Date.now(), 1)));
  }
}

// Exponential backoff with full jitter, and a retry loop built on it, shared by every daemon's I/O.

export interface BackoffOptions {
  /** First delay, before jitter. */
  baseMs: number;
  /** Ceiling of the un-jittered delay. */
  maxMs: number;
  /** Fraction of the delay that is randomised (0 = none, 1 = full jitter). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 30_000, jitter: 0.5 };

/** Delay before retry number `attempt` (1-based): base * 2^(attempt-1), capped, with the jittered part drawn at random. */
export function backoffDelay(attempt: number, options: Partial<BackoffOptions> = {}, random: () => number = Math.random): number {
  const { baseMs, maxMs, jitter } = { ...DEFAULT_BACKOFF, ...options };
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const raw = Math.min(maxMs, baseMs * 2 ** exponent);
  const fixed = raw * (1 - jitter);
  return Math.round(fixed + raw * jitter * random());
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions extends Partial<BackoffOptions> {
  /** Total attempts including the first; Infinity retries until the signal aborts. */
  attempts: number;
  signal?: AbortSignal;
  /** Return false for errors that would fail again the same way (they are thrown at once). */
  isRetryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (err) {
      const retryable = options.isRetryable ? options.isRetryable(err) : true;
      if (!retryable || attempt >= options.attempts || options.signal?.aborted) throw err;
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(err, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}

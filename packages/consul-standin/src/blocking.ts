// Blocking queries: requests parked on topics (a key, a service name, a table) until a write
// touches one of them or their wait elapses. One timer per parked request; a write wakes only
// the requests parked on the topics it touched.

import { badRequest } from './errors';
import { parseGoDuration } from './duration';

export const DEFAULT_WAIT_MS = 5 * 60_000;
export const MAX_WAIT_MS = 10 * 60_000;
/** Consul adds up to wait/16 of random jitter to a blocking query's wait. */
const JITTER_FRACTION = 16;

interface Waiter {
  readonly topics: readonly string[];
  readonly isReady: () => boolean;
  finish(): void;
}

export class BlockingHub {
  private readonly byTopic = new Map<string, Set<Waiter>>();
  private readonly waiters = new Set<Waiter>();

  get parked(): number {
    return this.waiters.size;
  }

  /**
   * Resolves when isReady() holds after a write to one of the topics, when timeoutMs elapses,
   * when `cancel` fires (the client went away), or when the hub closes.
   */
  wait(topics: readonly string[], timeoutMs: number, isReady: () => boolean, onCancel: (cancel: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false;
      const waiter: Waiter = {
        topics,
        isReady,
        finish: () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          this.waiters.delete(waiter);
          for (const topic of topics) {
            const set = this.byTopic.get(topic);
            if (!set) continue;
            set.delete(waiter);
            if (set.size === 0) this.byTopic.delete(topic);
          }
          resolve();
        },
      };
      const timer = setTimeout(waiter.finish, Math.max(0, timeoutMs));
      this.waiters.add(waiter);
      for (const topic of topics) {
        let set = this.byTopic.get(topic);
        if (!set) this.byTopic.set(topic, (set = new Set()));
        set.add(waiter);
      }
      onCancel(waiter.finish);
    });
  }

  /** Wakes the waiters parked on any of the topics whose condition now holds. */
  fire(topics: Iterable<string>): void {
    const touched = new Set<Waiter>();
    for (const topic of topics) {
      const set = this.byTopic.get(topic);
      if (set) for (const waiter of set) touched.add(waiter);
    }
    for (const waiter of touched) if (waiter.isReady()) waiter.finish();
  }

  /** Releases every parked request (used on stop). */
  closeAll(): void {
    for (const waiter of [...this.waiters]) waiter.finish();
  }
}

export interface BlockingParams {
  /** 0 when the request does not block. */
  minIndex: number;
  waitMs: number;
}

/** Reads ?index= and ?wait= with Consul's texts for bad values, wait capped and jittered. */
export function parseBlockingParams(query: URLSearchParams): BlockingParams {
  let waitMs = DEFAULT_WAIT_MS;
  const wait = query.get('wait');
  if (wait) {
    try {
      waitMs = parseGoDuration(wait);
    } catch {
      throw badRequest('Invalid wait time');
    }
  }
  let minIndex = 0;
  const index = query.get('index');
  if (index) {
    if (!/^\d+$/.test(index)) throw badRequest('Invalid index');
    minIndex = Number(index);
  }
  if (waitMs <= 0 || waitMs > MAX_WAIT_MS) waitMs = MAX_WAIT_MS;
  waitMs += Math.random() * (waitMs / JITTER_FRACTION);
  return { minIndex, waitMs };
}

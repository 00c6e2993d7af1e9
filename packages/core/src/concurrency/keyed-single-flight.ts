// One task per key at a time: asking for a key while its task runs does not start a second one, it asks for
// exactly one more run after the current one ends (however many asks came meanwhile).

export class KeyedSingleFlight<K> {
  private readonly running = new Map<K, Promise<unknown>>();
  private readonly again = new Map<K, () => void>();

  /**
   * Starts `task` for `key` and returns its promise, or, when a task for `key` is already running, returns
   * undefined and calls `rerun` once that task has settled (the latest `rerun` asked for wins).
   */
  run<R>(key: K, task: () => Promise<R>, rerun: () => void): Promise<R> | undefined {
    if (this.running.has(key)) {
      this.again.set(key, rerun);
      return undefined;
    }
    const promise = task().finally(() => {
      this.running.delete(key);
      const next = this.again.get(key);
      this.again.delete(key);
      next?.();
    });
    this.running.set(key, promise.catch(() => undefined));
    return promise;
  }

  isRunning(key: K): boolean {
    return this.running.has(key);
  }

  get size(): number {
    return this.running.size;
  }

  /** Resolves when every task running now has settled (reruns they trigger are not awaited). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }

  /** Drops pending reruns (on shutdown). */
  cancelReruns(): void {
    this.again.clear();
  }
}

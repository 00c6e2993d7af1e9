// Runs tasks one after another in the order they were queued (a promise-chain mutex): a failure does not stop
// the queue, it only rejects its own caller.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const next = this.tail.then(task, task).finally(() => {
      this.pending--;
    });
    this.tail = next.catch(() => undefined);
    return next;
  }

  /** Tasks queued or running. */
  get size(): number {
    return this.pending;
  }

  /** Resolves when everything queued so far has settled. */
  async idle(): Promise<void> {
    await this.tail;
  }
}

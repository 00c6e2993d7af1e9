// Counts consecutive failures so one dropped connection is not an outage: a daemon calls Consul unavailable only
// after `threshold` failures in a row, and the first success resets the count.

export interface ConsecutiveFailuresOptions {
  /** Failures in a row that make the system "unavailable" (default 3). */
  threshold?: number;
}

export class ConsecutiveFailures {
  readonly threshold: number;
  private failures = 0;
  private lastFailure?: unknown;
  /** Totals since creation (metrics, tests). */
  totalFailures = 0;
  totalSuccesses = 0;

  constructor(options: ConsecutiveFailuresOptions = {}) {
    const threshold = options.threshold ?? 3;
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`threshold must be an integer >= 1 (got ${threshold})`);
    this.threshold = threshold;
  }

  success(): void {
    this.failures = 0;
    this.lastFailure = undefined;
    this.totalSuccesses++;
  }

  failure(err?: unknown): void {
    this.failures++;
    this.lastFailure = err;
    this.totalFailures++;
  }

  /** Failures since the last success. */
  get consecutive(): number {
    return this.failures;
  }

  get lastError(): unknown {
    return this.lastFailure;
  }

  /** True once `threshold` failures came in a row (and until the next success). */
  get unavailable(): boolean {
    return this.failures >= this.threshold;
  }

  reset(): void {
    this.failures = 0;
    this.lastFailure = undefined;
  }
}

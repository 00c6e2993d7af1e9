// Follows one Consul read endpoint with blocking queries and emits its data only when it really changed.
// The client rules (reference/consul-http-api.md, consul-template's view.go) are all here: index resets,
// never blocking on 0, wait plus Consul's jitter inside the HTTP timeout, jittered backoff, a minimum gap.

import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { backoffDelay, sleep, type BackoffOptions } from './backoff';
import { errorMessage } from './errors';
import { sameJsonValue } from './same-json';

export interface BlockingQueryParams {
  /** Undefined on the first read and after a reset: a plain, non-blocking read. */
  index?: number;
  /** Go duration for `wait=` (only with index). */
  wait?: string;
  /** HTTP timeout to use for this request. */
  timeoutMs: number;
  signal: AbortSignal;
}

export interface BlockingQueryResult<T> {
  data: T;
  index: number;
  /** X-Consul-KnownLeader and X-Consul-LastContact (ms) when the query reads them (core's ConsulHttpClient does). */
  knownLeader?: boolean;
  lastContact?: number;
}

export type BlockingQuery<T> = (params: BlockingQueryParams) => Promise<BlockingQueryResult<T>>;

export interface BlockingWatcherOptions<T> {
  /** Name for logs and metrics, e.g. "health:web". */
  name: string;
  logger?: Logger;
  /** `wait=` in seconds (Consul's default is 300; consul-template uses 60). */
  waitSeconds?: number;
  /** Minimum time between two queries, plus up to `gapJitterMs` of random delay (consul-template: 100 + 0..20 ms). */
  minGapMs?: number;
  gapJitterMs?: number;
  backoff?: Partial<BackoffOptions>;
  /** Equality used to decide whether new data is a change. */
  isEqual?: (a: T, b: T) => boolean;
}

export interface BlockingWatcherEvents<T> {
  change: [data: T, index: number];
  error: [err: unknown, consecutiveErrors: number];
  recovered: [];
}

/** Time Consul may add to `wait` (wait/16) plus a margin for the network. */
export function blockingTimeoutMs(waitSeconds: number): number {
  return Math.ceil(waitSeconds * 1000 * (1 + 1 / 16)) + 5000;
}

/**
 * The next index to send, given the one we sent and the one that came back:
 * backwards -> reset (undefined: a fresh non-blocking read); 0 -> 1, never block on 0.
 */
export function nextBlockingIndex(sent: number | undefined, returned: number): number | undefined {
  if (returned <= 0) return 1;
  if (sent !== undefined && returned < sent) return undefined;
  return returned;
}

export class BlockingWatcher<T> extends EventEmitter<BlockingWatcherEvents<T>> {
  private readonly query: BlockingQuery<T>;
  private readonly options: Required<Omit<BlockingWatcherOptions<T>, 'logger' | 'backoff'>> & Pick<BlockingWatcherOptions<T>, 'logger' | 'backoff'>;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private hasData = false;
  private lastData?: T;
  private lastIndex?: number;
  private lastKnownLeader?: boolean;
  private lastContact?: number;
  /** Requests sent so far (tests use it to prove there is no busy loop). */
  requests = 0;
  consecutiveErrors = 0;

  constructor(query: BlockingQuery<T>, options: BlockingWatcherOptions<T>) {
    super();
    this.query = query;
    this.options = {
      waitSeconds: 60,
      minGapMs: 100,
      gapJitterMs: 20,
      isEqual: sameJsonValue,
      ...options,
    };
  }

  get data(): T | undefined {
    return this.lastData;
  }

  /** True once the first answer arrived (it may be empty data: that is still an answer). */
  get ready(): boolean {
    return this.hasData;
  }

  get index(): number | undefined {
    return this.lastIndex;
  }

  /** X-Consul-KnownLeader of the last answer, when the query reports it (ConsulHttpClient queries do). */
  get knownLeader(): boolean | undefined {
    return this.lastKnownLeader;
  }

  /** X-Consul-LastContact (ms) of the last answer, when the query reports it. */
  get lastContactMs(): number | undefined {
    return this.lastContact;
  }

  get healthy(): boolean {
    return this.consecutiveErrors === 0;
  }

  start(): this {
    if (this.loop) return this;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
    return this;
  }

  async stop(): Promise<void> {
    this.abort?.abort(new Error('watcher stopped'));
    await this.loop;
    this.loop = undefined;
  }

  /** Resolves with the first answer (or the current data when there is one). */
  async firstData(signal?: AbortSignal): Promise<T> {
    if (this.hasData) return this.lastData as T;
    return new Promise<T>((resolve, reject) => {
      const onChange = (data: T) => resolve(data);
      this.once('change', onChange);
      signal?.addEventListener('abort', () => {
        this.off('change', onChange);
        reject(signal.reason);
      }, { once: true });
    });
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { waitSeconds, minGapMs, gapJitterMs, logger, name } = this.options;
    let lastRequestAt = 0;
    while (!signal.aborted) {
      const sinceLast = Date.now() - lastRequestAt;
      const gap = minGapMs + Math.random() * gapJitterMs;
      try {
        if (lastRequestAt > 0 && sinceLast < gap) await sleep(gap - sinceLast, signal);
        lastRequestAt = Date.now();
        this.requests++;
        const sent = this.lastIndex;
        const params: BlockingQueryParams = sent === undefined
          ? { timeoutMs: 30_000, signal }
          : { index: sent, wait: `${waitSeconds}s`, timeoutMs: blockingTimeoutMs(waitSeconds), signal };
        const result = await this.query(params);
        if (signal.aborted) break;
        this.lastIndex = nextBlockingIndex(sent, result.index);
        this.lastKnownLeader = result.knownLeader;
        this.lastContact = result.lastContact;
        if (this.lastIndex === undefined) logger?.debug({ watch: name, sent, returned: result.index }, 'index went backwards; resetting');
        if (this.consecutiveErrors > 0) {
          logger?.info({ watch: name, after: this.consecutiveErrors }, 'consul reachable again');
          this.consecutiveErrors = 0;
          this.emit('recovered');
        }
        if (!this.hasData || !this.options.isEqual(this.lastData as T, result.data)) {
          this.hasData = true;
          this.lastData = result.data;
          this.emit('change', result.data, result.index);
        }
      } catch (err) {
        if (signal.aborted) break;
        this.consecutiveErrors++;
        // After an error the agent may have restarted with a fresh index: read afresh.
        this.lastIndex = undefined;
        const delay = backoffDelay(this.consecutiveErrors, { baseMs: 250, maxMs: 30_000, jitter: 0.5, ...this.options.backoff });
        logger?.warn({ watch: name, err: errorMessage(err), attempt: this.consecutiveErrors, retryInMs: delay }, 'consul query failed; keeping last data');
        if (this.listenerCount('error') > 0) this.emit('error', err, this.consecutiveErrors);
        try {
          await sleep(delay, signal);
        } catch {
          break;
        }
      }
    }
  }
}

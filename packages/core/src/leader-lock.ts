// One actor cluster-wide: a Consul session with a TTL holds a KV lock; whoever holds it leads.
// The holder renews at TTL/2 and stands down at once when a renew fails or its session is gone,
// so two copies of a daemon never both act. The others block on the key and campaign when it frees.

import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { backoffDelay, sleep } from './backoff';
import type { ConsulClient } from './consul-client';
import type { ConsulHttpClient } from './consul/client';
import { lockBackendFor, type LockBackend } from './leader-lock-backend';
import { parseDuration } from './duration';
import { errorMessage } from './errors';

export interface LeaderLockOptions {
  /** core's ConsulHttpClient; a `consul` package ConsulClient is still accepted (deprecated). */
  consul: ConsulHttpClient | ConsulClient;
  /** KV key of the lock, e.g. "consul-sidecars/healer/leader". */
  key: string;
  /** Who we are, written as the lock's value and the session name. */
  holder?: string;
  /** Session TTL (Consul accepts 10s..86400s). */
  ttl?: string;
  /** Consul's lock-delay after the holder's session is invalidated. */
  lockDelay?: string;
  logger?: Logger;
  /** `wait=` for the blocking read of the lock key while following another leader. */
  waitSeconds?: number;
}

interface LockEvents {
  elected: [];
  lost: [reason: string];
}

export class LeaderLock extends EventEmitter<LockEvents> {
  private readonly options: Required<Omit<LeaderLockOptions, 'logger'>> & { logger?: Logger };
  private readonly backend: LockBackend;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private session?: string;
  private leading = false;
  private standDown?: (reason: string) => void;

  constructor(options: LeaderLockOptions) {
    super();
    this.options = {
      holder: `${hostname()}:${process.pid}`,
      ttl: '15s',
      lockDelay: '15s',
      waitSeconds: 30,
      ...options,
    };
    this.backend = lockBackendFor(options.consul);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): this {
    if (this.loop) return this;
    this.abort = new AbortController();
    this.loop = this.campaign(this.abort.signal);
    return this;
  }

  /** Stops campaigning; a leader releases the lock and destroys its session so another can take over at once. */
  async stop(): Promise<void> {
    this.abort?.abort(new Error('leader lock stopped'));
    this.standDown?.('stopped');
    await this.loop;
    this.loop = undefined;
    const session = this.session;
    this.session = undefined;
    if (session) {
      await this.backend.release(this.options.key, session).catch(() => undefined);
      await this.backend.destroy(session).catch(() => undefined);
    }
  }

  private log(): Logger | undefined {
    return this.options.logger;
  }

  private async campaign(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!this.session) this.session = await this.createSession();
        const acquired = await this.tryAcquire(this.session);
        failures = 0;
        if (acquired) {
          await this.lead(this.session, signal);
        } else {
          await this.followUntilFree(signal);
        }
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        const delay = backoffDelay(failures, { baseMs: 500, maxMs: 15_000 });
        this.log()?.warn({ key: this.options.key, err: errorMessage(err), retryInMs: delay }, 'leader election step failed');
        // A session that can no longer be used (e.g. Consul restarted empty) is replaced.
        this.session = undefined;
        await sleep(delay, signal).catch(() => undefined);
      }
    }
  }

  private async createSession(): Promise<string> {
    const { ttl, lockDelay, holder, key } = this.options;
    return this.backend.createSession({ name: `${holder} ${key}`, ttl, lockDelay });
  }

  private async tryAcquire(session: string): Promise<boolean> {
    const { key, holder } = this.options;
    const value = JSON.stringify({ holder, pid: process.pid, since: new Date().toISOString() });
    return this.backend.acquire(key, value, session);
  }

  /** Holds the lock until a renew fails, the session vanishes, the key is taken from us, or we are stopped. */
  private async lead(session: string, signal: AbortSignal): Promise<void> {
    const { key, ttl } = this.options;
    this.leading = true;
    this.log()?.info({ key, session }, 'elected leader');
    this.emit('elected');
    const renewEveryMs = Math.max(parseDuration(ttl) / 2, 1000);
    const reason = await new Promise<string>((resolve) => {
      let done = false;
      const finish = (why: string) => {
        if (done) return;
        done = true;
        clearInterval(timer);
        watchAbort.abort();
        resolve(why);
      };
      this.standDown = finish;
      const timer = setInterval(() => {
        this.backend
          .renew(session)
          .then((renewed) => {
            if (!renewed) finish('session renew returned no session');
          })
          .catch((err: Error) => finish(`session renew failed: ${errorMessage(err)}`));
      }, renewEveryMs);
      // Watch the key too: if our session is invalidated or the lock released, stand down without waiting for a renew.
      const watchAbort = new AbortController();
      signal.addEventListener('abort', () => finish('stopped'), { once: true });
      void this.watchOwnership(session, watchAbort.signal).then((why) => why && finish(why));
    });
    this.leading = false;
    this.standDown = undefined;
    if (reason !== 'stopped') {
      this.session = undefined;
      this.log()?.warn({ key, reason }, 'lost leadership; standing down');
      this.backend.destroy(session).catch(() => undefined);
    }
    this.emit('lost', reason);
  }

  private async watchOwnership(session: string, signal: AbortSignal): Promise<string | undefined> {
    const { key, waitSeconds } = this.options;
    let index: number | undefined;
    while (!signal.aborted) {
      try {
        const wait = index === undefined ? undefined : `${waitSeconds}s`;
        const { session: holder, index: next } = await this.backend.read(key, { index, wait, timeoutMs: (waitSeconds + 10) * 1000, signal });
        if (signal.aborted) return undefined;
        if (holder !== session) return 'lock no longer held by our session';
        index = next > 0 && (index === undefined || next >= index) ? next : undefined;
      } catch {
        if (signal.aborted) return undefined;
        // Errors here are left to the renew timer, which decides; just avoid a busy loop.
        await sleep(1000, signal).catch(() => undefined);
        index = undefined;
      }
    }
    return undefined;
  }

  /** Blocks on the lock key until no session holds it (or the wait ends), so we campaign again. */
  private async followUntilFree(signal: AbortSignal): Promise<void> {
    const { key, waitSeconds } = this.options;
    const first = await this.backend.read(key, { signal });
    if (!first.session) {
      // Free but not acquired: lock-delay holds us off. Retry after a short pause.
      await sleep(1000 + Math.random() * 500, signal);
      return;
    }
    await this.backend.read(key, { index: Math.max(first.index, 1), wait: `${waitSeconds}s`, timeoutMs: (waitSeconds + 10) * 1000, signal });
  }
}

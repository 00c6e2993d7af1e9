// The one adapter to the BIG-IP's iControl REST API: TLS, token auth, retries, a rate cap, transactions, coded errors.
// Credentials and tokens live only in request headers here; nothing logs headers.

import https from 'node:https';
import http from 'node:http';
import { backoffDelay, crashPoint, errorMessage, Semaphore, sleep, type Logger } from '@consul-sidecars/core';
import { CRASH_POINTS } from '../../crash-points';
import { icontrolErrorFrom, IcontrolError, isRetryable, isStaleSocketReset, outcomeOf, printablePath, TLS_ERROR, type CallRecord } from './icontrol-errors';
import { parseTransactionState, parseVersion, type TransactionState } from './icontrol-payloads';
import { exchangeHttp, type HttpAnswer, type HttpExchangeOptions } from './https-exchange';
import { RateLimiter } from './rate-limiter';

/** Requests in flight by default: F5's guidance, see README "Concurrency". */
export const DEFAULT_MAX_CONCURRENT = 4;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One iControl request, as planned (and printed by --dry-run). */
export interface IcontrolCall {
  method: HttpMethod;
  path: string;
  body?: unknown;
}

export interface IcontrolClientOptions {
  url: string;
  username: string;
  password: string;
  auth?: 'token' | 'basic';
  loginProvider?: string;
  /** PEM of the CA that signs the management certificate. */
  ca?: string | Buffer;
  verifyTls?: boolean;
  timeoutMs?: number;
  /** Calls per second; 0 = no cap. */
  callsPerSecond?: number;
  /** Requests in flight at once, over as many kept-alive connections (default 4: see README "Concurrency"). */
  maxConcurrent?: number;
  retry?: { attempts: number; baseMs: number; maxMs: number };
  logger?: Logger;
  /** Every HTTP exchange, for metrics and tests. */
  onCall?: (record: CallRecord) => void;
  signal?: AbortSignal;
}

interface SendOptions {
  transactionId?: number;
  /** Retry 5xx/network errors (off for transaction enlist/commit: the pool pass is redone instead). */
  retry?: boolean;
}

export class IcontrolClient {
  private readonly http: HttpExchangeOptions;
  private readonly agent: https.Agent | http.Agent;
  private readonly options: Required<Pick<IcontrolClientOptions, 'auth' | 'loginProvider' | 'timeoutMs'>> & IcontrolClientOptions;
  private readonly limiter: RateLimiter;
  private readonly inFlight: Semaphore;
  private token?: string;
  private login?: Promise<string | undefined>;
  private basicOnly: boolean;
  /** Logins performed (tests check "one re-login"). */
  logins = 0;
  /** Requests resent because the reused kept-alive connection had been closed under them. */
  staleSocketRetries = 0;

  constructor(options: IcontrolClientOptions) {
    this.options = { auth: 'token', loginProvider: 'tmos', timeoutMs: 30_000, ...options };
    this.basicOnly = this.options.auth === 'basic';
    this.limiter = new RateLimiter(options.callsPerSecond ?? 0);
    const maxConcurrent = Math.max(1, options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT);
    this.inFlight = new Semaphore(maxConcurrent);
    const secure = options.url.startsWith('https:');
    // One kept-alive connection per request slot: no TLS handshake after the first few calls, no idle extras.
    this.agent = secure
      ? new https.Agent({ ca: options.ca, rejectUnauthorized: options.verifyTls ?? true, keepAlive: true, maxSockets: maxConcurrent })
      : new http.Agent({ keepAlive: true, maxSockets: maxConcurrent });
    // No proxy, no redirects: the management address is addressed directly.
    this.http = { baseUrl: options.url.replace(/\/+$/, ''), agent: this.agent, timeoutMs: this.options.timeoutMs };
  }

  /** GET /mgmt/tm/sys/version: what clients ask first; proves address, TLS and credentials. */
  async version(): Promise<string | undefined> {
    return parseVersion(await this.request({ method: 'GET', path: '/mgmt/tm/sys/version' }));
  }

  /** One call with auth, the rate cap, re-login once on 401 and jittered retries on 503/5xx/network errors. */
  async request<T = unknown>(call: IcontrolCall, options: SendOptions = {}): Promise<T> {
    const retry = this.options.retry ?? { attempts: 4, baseMs: 250, maxMs: 5000 };
    const attempts = options.retry === false ? 1 : retry.attempts;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.authenticated<T>(call, options);
      } catch (err) {
        if (!isRetryable(err) || attempt >= attempts || this.options.signal?.aborted) throw err;
        const delay = backoffDelay(attempt, { baseMs: retry.baseMs, maxMs: retry.maxMs, jitter: 0.5 });
        this.options.logger?.warn({ method: call.method, path: call.path, err: errorMessage(err), attempt, retryInMs: delay }, 'iControl call failed; retrying');
        await sleep(delay, this.options.signal);
      }
    }
  }

  private async authenticated<T>(call: IcontrolCall, options: SendOptions): Promise<T> {
    const token = await this.currentToken();
    try {
      return await this.send<T>(call, token, options.transactionId);
    } catch (err) {
      // An expired or revoked token: log in again once, then give up with the 401.
      if (!(err instanceof IcontrolError) || err.status !== 401 || this.basicOnly) throw err;
      this.options.logger?.info({ path: call.path }, 'iControl token rejected; logging in again');
      if (this.token === token) this.token = undefined;
      return this.send<T>(call, await this.currentToken(), options.transactionId);
    }
  }

  private async currentToken(): Promise<string | undefined> {
    if (this.basicOnly) return undefined;
    if (this.token) return this.token;
    this.login ??= this.doLogin().finally(() => {
      this.login = undefined;
    });
    return this.login;
  }

  private async doLogin(): Promise<string | undefined> {
    const body = { username: this.options.username, password: this.options.password, loginProviderName: this.options.loginProvider };
    const response = await this.exchange({ method: 'POST', path: '/mgmt/shared/authn/login', body }, {}, undefined);
    if (response.status === 200) {
      const token = (response.data as { token?: { token?: unknown } })?.token?.token;
      if (typeof token !== 'string' || token === '') throw icontrolErrorFrom({ method: 'POST', path: '/mgmt/shared/authn/login' }, 200, 'login answered without a token');
      this.token = token;
      this.logins++;
      this.options.logger?.info({ user: this.options.username }, 'logged in to the BIG-IP');
      return token;
    }
    if ([400, 404, 405, 501].includes(response.status)) {
      // No token service (or this login provider is unknown): basic auth is the documented fallback.
      this.options.logger?.warn({ status: response.status }, 'token login not available; using basic auth');
      this.basicOnly = true;
      return undefined;
    }
    throw icontrolErrorFrom({ method: 'POST', path: '/mgmt/shared/authn/login' }, response.status, response.data);
  }

  private async send<T>(call: IcontrolCall, token: string | undefined, transactionId?: number): Promise<T> {
    const headers: Record<string, string> = {};
    if (token) headers['X-F5-Auth-Token'] = token;
    const response = await this.exchange(call, headers, transactionId);
    if (response.status >= 200 && response.status < 300) {
      if (typeof response.data === 'string' && /Configuration Utility restarting/i.test(response.data)) {
        throw new IcontrolError('ERR_ICONTROL_BUSY', `${call.method} ${call.path}: BIG-IP says "Configuration Utility restarting"`, { status: 503, method: call.method, path: call.path });
      }
      return response.data as T;
    }
    throw icontrolErrorFrom(call, response.status, response.data);
  }

  /** The HTTP exchange itself (rate-capped, bounded in flight, timed, recorded). Auth headers are built here and never leave. */
  private async exchange(call: IcontrolCall, extraHeaders: Record<string, string>, transactionId: number | undefined, cancellable = true): Promise<HttpAnswer> {
    const signal = cancellable ? this.options.signal : undefined;
    await this.limiter.acquire(signal);
    const headers = { ...extraHeaders };
    const isLogin = call.path === '/mgmt/shared/authn/login';
    if (!isLogin && !extraHeaders['X-F5-Auth-Token']) {
      headers.Authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
    }
    if (transactionId !== undefined) headers['X-F5-REST-Coordination-Id'] = String(transactionId);
    let started = Date.now();
    let response: HttpAnswer;
    try {
      const send = () => exchangeHttp(this.http, { method: call.method, path: call.path, body: call.body, headers, signal });
      response = await this.inFlight.run(async () => {
        // Timed from when the request leaves, not from when it joined the queue for a slot.
        started = Date.now();
        try {
          return await send();
        } catch (err) {
          if (!isStaleSocketReset(err)) throw err;
          // A kept-alive socket the BIG-IP closed just as we reused it: the request never reached it, so it goes once
          // more on a fresh connection (enlists and commits too, which are otherwise never resent).
          this.staleSocketRetries++;
          this.options.logger?.debug({ method: call.method, path: printablePath(call.path) }, 'kept-alive connection was closed by the BIG-IP; resending on a new one');
          started = Date.now();
          return await send();
        }
      });
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      const message = errorMessage(err);
      this.record(call, 0, started, transactionId);
      const tls = TLS_ERROR.test(code) || TLS_ERROR.test(message);
      throw new IcontrolError(tls ? 'ERR_ICONTROL_TLS' : 'ERR_ICONTROL_UNREACHABLE', `${call.method} ${call.path}: ${tls ? 'TLS verification failed' : 'BIG-IP unreachable'}: ${message}`, {
        status: 0,
        method: call.method,
        path: call.path,
      });
    }
    this.record(call, response.status, started, transactionId);
    this.options.logger?.debug({ method: call.method, path: printablePath(call.path), status: response.status, ms: Date.now() - started, transaction: transactionId }, 'iControl call');
    return response;
  }

  private record(call: IcontrolCall, status: number, started: number, transactionId: number | undefined): void {
    this.options.onCall?.({ method: call.method, path: printablePath(call.path), outcome: outcomeOf(status), status, ms: Date.now() - started, transactional: transactionId !== undefined });
  }

  // ---- transactions ----

  /** POST /mgmt/tm/transaction {} -> transId. Commands sent with its id are queued, not executed. */
  async createTransaction(): Promise<number> {
    return parseTransactionState(await this.request({ method: 'POST', path: '/mgmt/tm/transaction', body: {} })).transId;
  }

  /** Queues one command; the BIG-IP answers with the transaction's state, not the object. */
  async enlist(transId: number, call: IcontrolCall): Promise<void> {
    await this.request(call, { transactionId: transId, retry: false });
  }

  /** PATCH state VALIDATING, without the coordination header; waits for COMPLETED (all-or-nothing). */
  async commit(transId: number): Promise<TransactionState> {
    const path = `/mgmt/tm/transaction/${transId}`;
    let state = parseTransactionState(await this.request({ method: 'PATCH', path, body: { state: 'VALIDATING' } }, { retry: false }));
    const deadline = Date.now() + this.options.timeoutMs;
    while (state.state !== 'COMPLETED') {
      if (state.state === 'FAILED' || Date.now() > deadline) {
        throw new IcontrolError('ERR_ICONTROL_TRANSACTION', `transaction ${transId} ${state.state}${state.failureReason ? `: ${state.failureReason}` : ''}`, {
          status: 400,
          method: 'PATCH',
          path,
          bigipMessage: state.failureReason,
        });
      }
      await sleep(200, this.options.signal);
      state = parseTransactionState(await this.request({ method: 'GET', path }));
    }
    return state;
  }

  /** Runs `calls` atomically: one transaction, each call enlisted in order, one commit. */
  async transaction(calls: IcontrolCall[]): Promise<TransactionState> {
    const transId = await this.createTransaction();
    for (const [i, call] of calls.entries()) {
      await this.enlist(transId, call);
      if (i === 0) crashPoint(CRASH_POINTS.inTransaction);
    }
    crashPoint(CRASH_POINTS.beforeCommit);
    const state = await this.commit(transId);
    crashPoint(CRASH_POINTS.afterCommit);
    return state;
  }

  /** Deletes our token (as Ansible's session destructor does; best effort, even after the signal aborted) and frees sockets. */
  async close(): Promise<void> {
    const token = this.token;
    this.token = undefined;
    if (token) {
      await this.exchange({ method: 'DELETE', path: `/mgmt/shared/authz/tokens/${token}` }, { 'X-F5-Auth-Token': token }, undefined, false).catch(() => undefined);
    }
    this.agent.destroy();
  }
}

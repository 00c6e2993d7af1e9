// Pushes upstream membership into nginx (lua/consul_sidecars/upstreams.lua) and keeps it there: each push sends
// only what nginx does not hold yet; a status poll notices an nginx restart (a fresh shared dict has a new boot id)
// and pushes everything again, notices a push it did not make (the dict's generation moved) and repairs what
// differs from what it should hold, and retries a push that failed. One pusher per template, serialised.
// With a secret, every request carries `Authorization: Bearer <secret>` (the Lua endpoint's secret_file).

import { EventEmitter } from 'node:events';
import http from 'node:http';
import { crashPoint, errorMessage, SerialQueue, silentLogger, sleep, type Logger } from '@consul-sidecars/core';
import { CRASH_POINTS } from '../crash-points';
import { peersDigest, type UpstreamPeer } from '../plan/upstream-peers';
import { planPush, pushBody, type PushHold } from '../plan/upstream-push-plan';

export interface UpstreamPusherOptions {
  /** Base URL of the admin location, e.g. http://127.0.0.1:9480/consul-sidecars */
  url: string;
  /** How often nginx's boot id is checked (restart detection, retries). */
  intervalMs: number;
  timeoutMs: number;
  rejectEmpty: boolean;
  /** The shared push secret (never logged); undefined: the endpoint is not authenticated. */
  secret?: string;
  logger?: Logger;
}

export interface PushOutcome {
  ok: boolean;
  set: string[];
  removed: string[];
  held: PushHold[];
  /** Why nginx did not take it (unreachable, 400, 409 from its guard...). */
  error?: string;
  status?: number;
}

export interface UpstreamPusherEvents {
  /** nginx came back with an empty shared dict (restart) and got every upstream again. */
  restored: [upstreams: number];
  /** A push that had failed went through from the poll loop. */
  recovered: [outcome: PushOutcome];
  /** nginx held peers someone else pushed; the poll pushed what it should hold again. */
  repaired: [outcome: PushOutcome];
  push: [outcome: PushOutcome];
}

interface ListingBody {
  boot?: unknown;
  generation?: unknown;
  upstreams?: Record<string, { peers?: UpstreamPeer[] }>;
}

/** nginx closed a kept-alive connection just as a request went out on it. */
class ReusedSocketReset extends Error {
  constructor(override readonly cause: NodeJS.ErrnoException) {
    super(cause.message);
  }
}

export class UpstreamPusher extends EventEmitter<UpstreamPusherEvents> {
  /** Counts for tests and benchmarks. */
  readonly stats = { pushes: 0, failedPushes: 0, restores: 0, polls: 0, repairs: 0 };
  private desired = new Map<string, UpstreamPeer[]>();
  /** What nginx holds (by digest), as of `boot`. */
  private confirmed = new Map<string, string>();
  private owned = new Set<string>();
  private boot?: string;
  /** The dict's generation after our last push or read: another value means someone else pushed. */
  private generation?: number;
  private pending = false;
  /** Pushes and polls, one at a time. */
  private readonly queue = new SerialQueue();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly logger: Logger;
  private readonly base: string;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(private readonly options: UpstreamPusherOptions) {
    super();
    this.logger = options.logger ?? silentLogger();
    this.base = options.url.replace(/\/+$/, '');
  }

  /** nginx's endpoint has answered at least once. */
  get reached(): boolean {
    return this.boot !== undefined;
  }

  /** Names nginx is known to hold (for health and tests). */
  held(): string[] {
    return [...this.confirmed.keys()].sort();
  }

  /**
   * Sets what the template wants now and pushes the difference; `prune` also removes upstreams no longer wanted.
   * `retryForMs`: right after a reload that creates the endpoint, nginx may not listen yet: retry unreachable.
   */
  apply(desired: ReadonlyMap<string, readonly UpstreamPeer[]>, options: { prune: boolean; retryForMs?: number }): Promise<PushOutcome> {
    this.desired = new Map([...desired].map(([name, peers]) => [name, [...peers]]));
    const deadline = Date.now() + (options.retryForMs ?? 0);
    return this.serialised(async () => {
      for (;;) {
        const outcome = await this.sync(options.prune, Date.now() < deadline);
        if (outcome.ok || outcome.status !== undefined || Date.now() >= deadline) return outcome;
        await sleep(Math.min(25, Math.max(1, deadline - Date.now())));
      }
    });
  }

  /**
   * Changes the members of upstreams already wanted (a push ahead of the render: plan/push-ahead.ts) and pushes
   * what differs; the rest of what the template wants stays as the last apply() set it, and nothing is removed.
   */
  update(changes: ReadonlyMap<string, readonly UpstreamPeer[]>): Promise<PushOutcome> {
    const names = [...changes.keys()].filter((name) => this.desired.has(name));
    for (const name of names) this.desired.set(name, [...(changes.get(name) ?? [])]);
    // Nothing left over from an earlier push: only these can differ from what nginx holds (1 of 1,000 planned).
    return this.serialised(() => this.sync(false, false, this.pending ? undefined : names));
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.serialised(() => this.poll()).finally(() => {
          if (!this.stopped) tick();
        });
      }, this.options.intervalMs);
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.queue.idle();
    this.agent.destroy();
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn);
  }

  /**
   * One request to nginx's endpoint over a kept-alive loopback connection (fetch adds milliseconds per call), sent
   * once more on a fresh connection when nginx reset the kept-alive one as it was reused (its keepalive_timeout, or
   * an old worker closing its idle connections after a reload): the request never reached nginx's handler. Both
   * requests are safe to repeat (a push sets members, it does not add them).
   */
  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    try {
      return await this.requestOnce(method, path, body);
    } catch (err) {
      if (!(err instanceof ReusedSocketReset)) throw err;
      this.logger.debug({ url: this.base, method, path, err: errorMessage(err.cause) }, 'nginx reset a kept-alive connection as it was reused; sending again');
      return this.requestOnce(method, path, body);
    }
  }

  private requestOnce(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const url = new URL(`${this.base}${path}`);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request(url, {
        method,
        agent: this.agent,
        timeout: this.options.timeoutMs,
        headers: {
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}),
          ...(this.options.secret !== undefined ? { Authorization: `Bearer ${this.options.secret}` } : {}),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown>;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = { error: `not JSON (is ${this.base} the consul_sidecars admin location?): ${text.slice(0, 200)}` };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE') ? new ReusedSocketReset(err) : err));
      req.end(payload);
    });
  }

  /**
   * Learns what nginx holds now: after a boot id change (restart, or first contact: every upstream listed is taken
   * as ours, so a restarted renderer can prune what it pushed before), or after a push it did not make (`claim`
   * false: only the upstreams it owns or wants are compared, another template's are left alone).
   */
  private async adopt(boot: string, claim = true): Promise<void> {
    const { status, json } = await this.request('GET', '/upstreams');
    if (status !== 200) throw new Error(`GET ${this.base}/upstreams answered ${status}: ${String(json.error ?? '')}`);
    const listing = json as ListingBody;
    this.confirmed.clear();
    for (const [name, entry] of Object.entries(listing.upstreams ?? {})) {
      if (!claim && !this.owned.has(name) && !this.desired.has(name)) continue;
      this.confirmed.set(name, peersDigest(entry.peers ?? []));
      this.owned.add(name);
    }
    this.boot = typeof listing.boot === 'string' ? listing.boot : boot;
    this.generation = typeof listing.generation === 'number' ? listing.generation : undefined;
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    this.stats.polls++;
    let boot: string;
    let generation: number | undefined;
    try {
      const { status, json } = await this.request('GET', '/status');
      if (status !== 200 || typeof json.boot !== 'string') {
        if (status === 401) this.logger.warn({ url: this.base, error: json.error }, 'nginx refused the push secret');
        return;
      }
      boot = json.boot;
      generation = typeof json.generation === 'number' ? json.generation : undefined;
    } catch {
      return; // nginx down or restarting: the next poll tries again
    }
    if (boot !== this.boot) {
      const restarted = this.boot !== undefined;
      try {
        await this.adopt(boot);
      } catch (err) {
        this.logger.warn({ url: this.base, err: errorMessage(err) }, 'cannot read the upstreams nginx holds');
        return;
      }
      if (restarted) {
        this.stats.restores++;
        this.logger.warn({ url: this.base, held: this.confirmed.size, wanted: this.desired.size }, 'nginx restarted (fresh shared dict): pushing every upstream again');
      }
      const wasPending = this.pending;
      const outcome = await this.sync(false);
      if (restarted && outcome.ok) this.emit('restored', outcome.set.length);
      // First contact after failed pushes (nginx had not answered yet): those went through now.
      else if (wasPending && outcome.ok) this.emit('recovered', outcome);
      return;
    }
    if (generation !== undefined && generation !== this.generation && !this.pending) {
      // Someone else pushed (an operator, another process with the secret, a push whose answer we lost).
      const before = new Map(this.confirmed);
      try {
        await this.adopt(boot, false);
      } catch (err) {
        this.logger.warn({ url: this.base, err: errorMessage(err) }, 'cannot read the upstreams nginx holds');
        return;
      }
      const drifted = [...this.confirmed].filter(([name, digest]) => this.desired.has(name) && before.get(name) !== digest).map(([name]) => name);
      const outcome = await this.sync(false);
      if (outcome.set.length > 0) {
        this.stats.repairs++;
        this.logger.warn({ url: this.base, upstreams: outcome.set, drifted, ok: outcome.ok }, 'nginx held peers the renderer did not push: pushed what it should hold again');
        if (outcome.ok) this.emit('repaired', outcome);
      }
      return;
    }
    if (this.pending) {
      const outcome = await this.sync(false);
      if (outcome.ok) this.emit('recovered', outcome);
    }
  }

  /**
   * `quiet`: an unreachable nginx is expected (a retry follows): not counted or reported as a failed push.
   * `only`: the upstreams that may differ (the rest is known to be as nginx holds it); all when absent.
   */
  private async sync(prune: boolean, quiet = false, only?: readonly string[]): Promise<PushOutcome> {
    const desired = only ? new Map(only.map((name) => [name, this.desired.get(name) ?? []])) : this.desired;
    const plan = planPush({ desired, confirmed: this.confirmed, owned: this.owned, rejectEmpty: this.options.rejectEmpty, prune: prune && !only });
    const base = { set: [...plan.set.keys()], removed: plan.remove, held: plan.held };
    if (plan.set.size === 0 && plan.remove.length === 0) {
      this.pending = false;
      return { ok: true, ...base };
    }
    let outcome: PushOutcome;
    try {
      const { status, json } = await this.request('POST', '/upstreams', pushBody(plan));
      if (status === 200) {
        crashPoint(CRASH_POINTS.duringPush);
        const boot = typeof json.boot === 'string' ? json.boot : undefined;
        const restarted = this.boot !== undefined && boot !== this.boot;
        if (restarted) {
          // nginx restarted between our last push and this one: what it held before is gone.
          this.confirmed.clear();
          this.stats.restores++;
        }
        this.boot = boot;
        if (typeof json.generation === 'number') this.generation = json.generation;
        for (const [name, peers] of plan.set) {
          this.confirmed.set(name, peersDigest(peers));
          this.owned.add(name);
        }
        for (const name of plan.remove) {
          this.confirmed.delete(name);
          this.owned.delete(name);
        }
        // Anything else the restart lost goes on the next round.
        const rest = planPush({ desired: only && !restarted ? desired : this.desired, confirmed: this.confirmed, owned: this.owned, rejectEmpty: this.options.rejectEmpty, prune: false });
        this.pending = rest.set.size > 0;
        outcome = { ok: true, ...base };
      } else {
        outcome = { ok: false, ...base, status, error: `nginx answered ${status}: ${String(json.error ?? '')}` };
      }
    } catch (err) {
      const cause: unknown = err instanceof Error ? err.cause : undefined;
      outcome = { ok: false, ...base, error: `push to ${this.base}/upstreams failed: ${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ''}` };
    }
    if (!outcome.ok) this.pending = true;
    if (quiet && !outcome.ok && outcome.status === undefined) return outcome;
    if (!outcome.ok) {
      this.stats.failedPushes++;
      this.logger.debug({ error: outcome.error, status: outcome.status, set: outcome.set }, 'push not taken');
    }
    this.stats.pushes++;
    this.emit('push', outcome);
    return outcome;
  }
}

// Consul's per-client connection limit (limits.http_max_conns_per_client, hashicorp/go-connlimit): each client IP
// may hold this many open HTTP connections; one more is answered with connlimit's fixed 429 reply (Connection:
// close) and closed. A kept-alive or blocking connection counts while open. Consul refuses at accept, before
// reading; the stand-in decides at accept too but answers once the first request's headers are in, because its
// client agents forward to their server over HTTP where Consul's use RPC (not limited by this): a connection
// whose first request carries FORWARDED_HEADER is not counted.

import type { Socket } from 'node:net';

/** go-connlimit's reply body and headers, byte for byte (tooManyRequestsResponse). */
export const TOO_MANY_CONNS_TEXT = 'Your IP is issuing too many concurrent connections, please rate limit your calls\n';
const TOO_MANY_CONNS_REPLY = 'HTTP/1.1 429 Too Many Requests\r\n'
  + 'Content-Type: text/plain\r\n'
  + `Content-Length: ${Buffer.byteLength(TOO_MANY_CONNS_TEXT)}\r\n`
  + 'Connection: close\r\n\r\n'
  + TOO_MANY_CONNS_TEXT;

/** Sent by the stand-in's forwarder (agent -> server, server -> other datacenter): Consul's RPC path. */
export const FORWARDED_HEADER = 'x-consul-standin-forwarded';

/** Consul's default for limits.http_max_conns_per_client. */
export const DEFAULT_HTTP_MAX_CONNS_PER_CLIENT = 200;
/** Consul gives a refused connection 10 ms to take the reply (HTTPConnStateFuncWithDefault429Handler(10ms)). */
const REFUSED_DEADLINE_MS = 10;

/** connlimit keys by IP only (every port of one address is one client); IPv4-mapped IPv6 reads as the IPv4. */
export function clientKey(socket: Socket): string {
  const address = socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class ConnectionLimiter {
  private readonly open = new Map<string, Set<Socket>>();
  private readonly peaks = new Map<string, number>();
  /** Connections refused with a 429 since start. */
  refused = 0;

  private limit = 0;

  /** `max` 0 turns the limit off (as in Consul); connections are still counted. */
  constructor(max: number) {
    this.max = max;
  }

  get max(): number {
    return this.limit;
  }

  /** As Consul's config reload (connlimit's SetConfig): open connections beyond a lowered limit stay open. */
  set max(value: number) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`httpMaxConnsPerClient: must be an integer >= 0, got ${value}`);
    this.limit = value;
  }

  /** Connections over the limit at accept: refused at their first request unless it is a forwarded one. */
  private readonly over = new WeakSet<Socket>();
  /** Connections whose first request has been seen. */
  private readonly seen = new WeakSet<Socket>();

  /** Called for each new connection: counts it, or marks it over the limit. */
  accept(socket: Socket): void {
    const key = clientKey(socket);
    let set = this.open.get(key);
    if (this.max > 0 && (set?.size ?? 0) >= this.max) {
      this.over.add(socket);
      return;
    }
    if (!set) this.open.set(key, (set = new Set()));
    set.add(socket);
    this.peaks.set(key, Math.max(this.peaks.get(key) ?? 0, set.size));
    socket.once('close', () => this.forget(key, socket));
  }

  /**
   * Called for each request: false when the connection is over the limit (it has been answered 429 and closed,
   * and the request must not be served). A forwarded connection is never counted.
   */
  admit(socket: Socket, forwarded: boolean): boolean {
    if (this.seen.has(socket)) return true;
    this.seen.add(socket);
    if (forwarded) {
      this.forget(clientKey(socket), socket);
      this.over.delete(socket);
      return true;
    }
    if (!this.over.has(socket)) return true;
    this.refused++;
    refuse(socket);
    return false;
  }

  private forget(key: string, socket: Socket): void {
    const current = this.open.get(key);
    if (!current) return;
    current.delete(socket);
    if (current.size === 0) this.open.delete(key);
  }

  /** Open connections by client address. */
  openByClient(): Record<string, number> {
    return Object.fromEntries([...this.open].map(([key, set]) => [key, set.size]));
  }

  /** The most connections each client held at once since start (or since resetPeaks). */
  peakByClient(): Record<string, number> {
    return Object.fromEntries(this.peaks);
  }

  resetPeaks(): void {
    this.peaks.clear();
    for (const [key, set] of this.open) this.peaks.set(key, set.size);
  }
}

function refuse(socket: Socket): void {
  // Raw bytes, as connlimit writes them (not through the HTTP response); then the close. Reading what else the
  // client sent before the close keeps the kernel from answering a reset in place of the 429.
  socket.on('error', () => undefined);
  socket.end(TOO_MANY_CONNS_REPLY);
  setTimeout(() => socket.destroy(), REFUSED_DEADLINE_MS + 90).unref();
}

// Forwards a request, as read, to a server (a client agent to its server, a server to another
// datacenter's) and hands back the server's answer unchanged: status, headers, body. A blocking
// query stays blocked upstream; the client going away cancels the upstream request.

import http from 'node:http';
import https from 'node:https';
import { FORWARDED_HEADER } from './connection-limit';
import { HttpError, internal } from './errors';
import { parseGoDuration } from './duration';
import { DEFAULT_WAIT_MS, MAX_WAIT_MS } from './blocking';
import { Reply, RequestContext } from './router';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade', 'proxy-connection', 'te', 'trailer']);
/** Time allowed beyond a blocking query's wait before the upstream request counts as lost. */
const SLACK_MS = 15_000;
const NON_BLOCKING_TIMEOUT_MS = 30_000;

export interface ForwardOptions {
  /** Replaces the request body (a client agent fills in a session's Node). */
  body?: Buffer;
}

function upstreamTimeout(query: URLSearchParams): number {
  if (!query.get('index') && !query.get('hash')) return NON_BLOCKING_TIMEOUT_MS;
  let waitMs = DEFAULT_WAIT_MS;
  try {
    const wait = query.get('wait');
    if (wait) waitMs = parseGoDuration(wait);
  } catch {
    // the server answers the bad ?wait= itself
  }
  if (waitMs <= 0 || waitMs > MAX_WAIT_MS) waitMs = MAX_WAIT_MS;
  return waitMs + waitMs / 16 + SLACK_MS;
}

/** Consul's words when a server cannot be reached over RPC. */
function unreachable(target: URL, err: NodeJS.ErrnoException): HttpError {
  const reason = err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.code === 'ETIMEDOUT' ? 'i/o timeout' : err.message;
  return internal(`rpc error getting client: failed to get conn: dial tcp ${target.host}: ${reason}`);
}

class StaleSocket extends Error {
  constructor(readonly reply: HttpError) {
    super(reply.message);
  }
}

export class Forwarder {
  private readonly agents = { http: new http.Agent({ keepAlive: true, maxSockets: Infinity }), https: new https.Agent({ keepAlive: true, maxSockets: Infinity }) };

  /**
   * A kept-alive socket the server closed as the request went out fails with ECONNRESET; a read is
   * sent again once on a fresh socket (Node's documented remedy, request.reusedSocket).
   */
  async forward(baseUrl: string, ctx: RequestContext, options: ForwardOptions = {}): Promise<Reply> {
    let clientGone = false;
    ctx.onClose(() => (clientGone = true));
    try {
      return await this.once(baseUrl, ctx, options);
    } catch (err) {
      if (!(err instanceof StaleSocket)) throw err;
      if (clientGone) throw err.reply;
      return this.once(baseUrl, ctx, options).catch((again: unknown) => {
        throw again instanceof StaleSocket ? again.reply : again;
      });
    }
  }

  private once(baseUrl: string, ctx: RequestContext, options: ForwardOptions): Promise<Reply> {
    const target = new URL(ctx.url, `${baseUrl}/`);
    const body = options.body ?? ctx.body;
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(ctx.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    if (body.length > 0 || ctx.method === 'PUT' || ctx.method === 'POST') headers['content-length'] = String(body.length);
    // Consul's agents reach their servers over RPC, which limits.http_max_conns_per_client does not count.
    headers[FORWARDED_HEADER] = 'rpc';
    const secure = target.protocol === 'https:';
    return new Promise<Reply>((resolve, reject) => {
      const request = (secure ? https : http).request(target, {
        method: ctx.method,
        headers,
        agent: secure ? this.agents.https : this.agents.http,
        timeout: upstreamTimeout(ctx.query),
      });
      ctx.onClose(() => request.destroy());
      request.on('timeout', () => request.destroy(Object.assign(new Error('i/o timeout'), { code: 'ETIMEDOUT' })));
      request.on('error', (err: NodeJS.ErrnoException) => {
        const retriable = request.reusedSocket && err.code === 'ECONNRESET' && (ctx.method === 'GET' || ctx.method === 'HEAD');
        reject(retriable ? new StaleSocket(unreachable(target, err)) : unreachable(target, err));
      });
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (err: NodeJS.ErrnoException) => reject(unreachable(target, err)));
        response.on('end', () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'date') out[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: response.statusCode ?? 502, raw: Buffer.concat(chunks), headers: out });
        });
      });
      request.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

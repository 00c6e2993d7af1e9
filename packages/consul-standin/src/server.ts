// The HTTP side: reads each request, routes it, checks method and ACL, runs the endpoint and writes
// the reply the way Consul's agent/http.go does. No input can crash the process: every fault
// becomes an HTTP answer.

import http, { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import { aclView, authorize, requestToken } from './acl';
import { Agent } from './agent';
import { Forwarder } from './forwarder';
import { agentRoutes } from './agent-endpoints';
import { catalogRoutes } from './catalog-endpoints';
import { catalogWriteRoutes } from './catalog-write-endpoints';
import { ConnectionLimiter, FORWARDED_HEADER } from './connection-limit';
import { HttpError, methodNotAllowed, tooLarge, unknownPath } from './errors';
import { goJson, goJsonOf } from './go-json';
import { healthRoutes } from './health-endpoints';
import { kvRoutes } from './kv-endpoints';
import { ReadCache } from './read-cache';
import { queryMeta, Reply, RequestContext, Route, Router } from './router';
import { sessionRoutes } from './session-endpoints';
import { statusRoutes } from './status-endpoints';
import { txnRoutes } from './txn-endpoint';

/** Bodies beyond this are refused outright; KV values have their own, smaller limit. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Query parameters a read's answer does not depend on once it is built: blocking ones, and the token (keyed by its view). */
const UNKEYED_PARAMS = new Set(['index', 'wait', 'token']);

export class RequestCounter {
  total = 0;
  readonly byPath = new Map<string, number>();

  count(path: string): void {
    this.total++;
    this.byPath.set(path, (this.byPath.get(path) ?? 0) + 1);
  }

  reset(): void {
    this.total = 0;
    this.byPath.clear();
  }
}

function readBody(req: IncomingMessage): Promise<{ body: Buffer; overflow: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) overflow = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), overflow }));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('request aborted')));
  });
}

export interface ServerShape {
  /** Routes beyond the agent endpoints (a client agent's leave) or a server's (cluster routes). */
  routes?: Route[];
  /** A client agent answers only its agent routes and hands everything else to this. */
  fallback?: (ctx: RequestContext) => Promise<Reply>;
}

/** The endpoints a server answers itself; a client agent answers the agent ones only. */
function serverRoutes(agent: Agent): Route[] {
  return [
    ...catalogRoutes(agent),
    ...catalogWriteRoutes(agent),
    ...healthRoutes(agent),
    ...kvRoutes(agent),
    ...sessionRoutes(agent),
    ...txnRoutes(agent),
    ...statusRoutes(agent),
  ];
}

/** Catalog writes name their datacenter in the body (RegisterRequest.Datacenter), as python-consul sends it. */
function bodyDatacenter(ctx: RequestContext): string | undefined {
  if (ctx.path !== '/v1/catalog/register' && ctx.path !== '/v1/catalog/deregister') return undefined;
  try {
    const parsed: unknown = JSON.parse(ctx.body.toString('utf8'));
    if (!parsed || typeof parsed !== 'object') return undefined;
    const entry = Object.entries(parsed).find(([key]) => key.toLowerCase() === 'datacenter');
    return typeof entry?.[1] === 'string' ? entry[1] : undefined;
  } catch {
    return undefined;
  }
}

export class StandinServer {
  readonly counter = new RequestCounter();
  readonly forwarder = new Forwarder();
  /** limits.http_max_conns_per_client, and the count of every client's open connections. */
  readonly connections: ConnectionLimiter;
  /** Serialised answers of catalog and health reads at the current state. */
  readonly reads: ReadCache;
  private readonly router: Router;
  private readonly server: http.Server;
  private readonly fallback?: (ctx: RequestContext) => Promise<Reply>;

  constructor(private readonly agent: Agent, shape: ServerShape = {}) {
    this.fallback = shape.fallback;
    this.router = new Router([
      ...agentRoutes(agent),
      ...(shape.fallback ? [] : serverRoutes(agent)),
      ...(shape.routes ?? []),
    ]);
    this.connections = new ConnectionLimiter(agent.options.httpMaxConnsPerClient);
    this.reads = new ReadCache({ maxEntries: agent.options.readCacheEntries, maxBytes: agent.options.readCacheBytes });
    this.server = http.createServer((req, res) => {
      if (!this.connections.admit(req.socket, req.headers[FORWARDED_HEADER] !== undefined)) return;
      this.serve(req, res).catch((err: unknown) => this.fail(res, err));
    });
    this.server.prependListener('connection', (socket: Socket) => this.connections.accept(socket));
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.server.keepAliveTimeout = 5000;
    this.server.requestTimeout = 0;
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops listening and drops every connection at once, held blocking queries included. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.agent.store.hub.closeAll();
      this.server.closeAllConnections();
      this.forwarder.close();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      path = url.pathname;
    }
    this.counter.count(path);
    const { body, overflow } = await readBody(req);
    if (path === '/') {
      this.write(res, 200, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Consul Agent: UI disabled. To enable, set ui_config.enabled=true in the agent configuration and restart.');
      return;
    }
    const method = req.method ?? 'GET';
    const declared = Number(req.headers['content-length'] ?? body.length);
    const closers: (() => void)[] = [];
    res.on('close', () => closers.forEach((close) => close()));
    const answerRead = method === 'GET'
      ? (index: number, build: () => unknown) => this.answerRead(path, url.searchParams, requestToken(req.headers, url.searchParams), index, build)
      : undefined;
    const context = (rest: string): RequestContext => ({
      method,
      url: req.url ?? '/',
      path,
      rest,
      query: url.searchParams,
      headers: req.headers,
      body,
      contentLength: Number.isFinite(declared) ? declared : body.length,
      onClose: (callback) => closers.push(callback),
      answerRead,
    });
    const match = this.router.match(path);
    if (!match && this.fallback) {
      this.reply(res, await this.fallback(context('')), false);
      return;
    }
    if (!match) throw unknownPath(path);
    const { route, rest } = match;
    if (method === 'OPTIONS') {
      this.write(res, 200, { Allow: ['OPTIONS', ...route.methods].join(',') }, '');
      return;
    }
    if (!route.methods.includes(method)) throw methodNotAllowed(method, route.methods);
    if (overflow) throw tooLarge(`Request body too large, max size: ${MAX_BODY_BYTES} bytes`);
    const ctx = context(rest);
    const dc = url.searchParams.get('dc') || bodyDatacenter(ctx);
    if (dc && dc !== this.agent.options.datacenter && !path.startsWith('/v1/agent/')) {
      // Consul forwards the RPC to a server of that datacenter, which checks the token itself.
      this.reply(res, await this.forwarder.forward(this.agent.federation.urlOf(dc), ctx), false);
      return;
    }
    if (route.acl) authorize(this.agent.options.managementToken, requestToken(req.headers, url.searchParams), route.acl(ctx));
    const reply = await route.handle(ctx);
    this.reply(res, reply, url.searchParams.has('pretty'), url.searchParams.has('stale'));
  }

  /**
   * What the answering server knows of its leader. Consul serves a default or ?consistent read on the leader
   * (X-Consul-LastContact 0); a ?stale read on whichever server the agent asked, a follower reporting how long
   * since it heard from the leader (ms) and whether it knows one. Tests set it to stand for a lagging follower.
   */
  readonly follower = { lastContactMs: 0, knownLeader: true };

  /**
   * A read's body from the cache when the same read (path, query but for index/wait/token, names in any order,
   * the token's view) was answered at this state and index; else built, serialised as reply() does, and kept.
   * The headers are built per request: reply() still sets the ?stale ones.
   */
  private answerRead(path: string, query: URLSearchParams, token: string, index: number, build: () => unknown): Reply {
    const kept = new URLSearchParams([...query].filter(([name]) => !UNKEYED_PARAMS.has(name)));
    // By name, stably: endpoints read parameters by name (get, getAll, has), so only a name's own order counts.
    kept.sort();
    const key = JSON.stringify([aclView(this.agent.options.managementToken, token), path, kept.toString()]);
    const { store } = this.agent;
    const body = this.reads.answer(key, () => store.generation, index, () => Buffer.from(goJsonOf(build(), query.has('pretty'))));
    return { raw: body, headers: { ...queryMeta(index), 'Content-Type': 'application/json' } };
  }

  private reply(res: ServerResponse, reply: Reply, pretty: boolean, stale = false): void {
    const headers = { ...(reply.headers ?? {}) };
    if (headers['X-Consul-LastContact'] !== undefined && stale) {
      headers['X-Consul-LastContact'] = String(Math.max(0, Math.floor(this.follower.lastContactMs)));
      headers['X-Consul-KnownLeader'] = String(this.follower.knownLeader);
    }
    let body: string | Buffer = '';
    if (reply.raw !== undefined) body = reply.raw;
    else if (reply.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = goJson(reply.json, pretty);
    }
    this.write(res, reply.status ?? 200, headers, body);
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (err instanceof HttpError) {
      this.write(res, err.status, { ...err.headers, 'Content-Type': 'text/plain; charset=utf-8' }, err.message);
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    this.agent.options.log({ level: 'error', msg: 'request failed', error: message });
    this.write(res, 500, { 'Content-Type': 'text/plain; charset=utf-8' }, message);
  }

  private write(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
    if (res.headersSent || res.destroyed || res.writableEnded) return;
    try {
      res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
      res.end(body);
    } catch (err) {
      this.agent.options.log({ level: 'error', msg: 'could not write response', error: String(err) });
      res.destroy();
    }
  }
}

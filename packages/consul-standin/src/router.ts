// Routes in the manner of Go's ServeMux as Consul registers them: a pattern without a trailing
// slash matches that path only, one with a trailing slash matches the subtree; the longest wins.
// Also the request/reply types the endpoint files share.

import type { IncomingHttpHeaders } from 'node:http';
import { AclRule } from './acl';
import { Agent } from './agent';
import { parseBlockingParams } from './blocking';
import { badRequest } from './errors';
import { GoJsonText } from './go-json';

export interface RequestContext {
  readonly method: string;
  /** The request target as sent (path and query, still encoded), for forwarding. */
  readonly url: string;
  readonly path: string;
  /** The part of the path after a subtree pattern ("/v1/kv/" -> the key). */
  readonly rest: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Content-Length as the client declared it, or the body size. */
  readonly contentLength: number;
  /** Registers a callback for when the client goes away (ends blocking waits). */
  onClose(callback: () => void): void;
  /** The server's answer to a GET built from the state as it is now, at `index` (see stateReply). */
  readonly answerRead?: (index: number, build: () => unknown) => Reply;
}

export interface Reply {
  status?: number;
  /** A JSON body (application/json). */
  json?: unknown;
  /** A raw body with its own headers (e.g. ?raw KV reads). */
  raw?: Buffer | string;
  headers?: Record<string, string>;
}

export interface Route {
  pattern: string;
  methods: readonly string[];
  /** The ACL permission the request needs; none for open endpoints. */
  acl?: (ctx: RequestContext) => AclRule;
  handle: (ctx: RequestContext) => Promise<Reply> | Reply;
}

export type RouteFactory = (agent: Agent) => Route[];

export class Router {
  private readonly exact = new Map<string, Route>();
  private readonly subtrees: Route[] = [];

  constructor(routes: Route[]) {
    for (const route of routes) {
      if (route.pattern.endsWith('/')) this.subtrees.push(route);
      else this.exact.set(route.pattern, route);
    }
    this.subtrees.sort((a, b) => b.pattern.length - a.pattern.length);
  }

  match(path: string): { route: Route; rest: string } | undefined {
    const exact = this.exact.get(path);
    if (exact) return { route: exact, rest: '' };
    for (const route of this.subtrees) {
      if (path.startsWith(route.pattern)) return { route, rest: path.slice(route.pattern.length) };
    }
    return undefined;
  }
}

/** Headers Consul sets on every read that has query metadata. */
export function queryMeta(index: number): Record<string, string> {
  return {
    'X-Consul-Index': String(Math.max(1, index)),
    'X-Consul-KnownLeader': 'true',
    'X-Consul-LastContact': '0',
  };
}

/**
 * The answer of a read that is a pure function of the request and the state (catalog and health reads): `build`
 * makes its JSON from the state as it is now, and identical reads at one state share one build and one serialisation
 * (the server's read cache). Nothing that changes with time alone may go into `build`.
 */
export function stateReply(ctx: RequestContext, index: number, build: () => unknown): Reply {
  if (ctx.answerRead) return ctx.answerRead(index, build);
  const built = build();
  return { json: built instanceof GoJsonText ? built.value() : built, headers: queryMeta(index) };
}

/**
 * Consul's blocking read: when ?index= is given and the data's index has not moved past it, park
 * until a write touches one of the topics and moves it, or until ?wait= (plus jitter) elapses.
 */
export async function blockingRead(agent: Agent, ctx: RequestContext, topics: string[], currentIndex: () => number): Promise<number> {
  const { query } = ctx;
  if (query.has('stale') && query.has('consistent')) {
    throw badRequest('Cannot specify ?stale with ?consistent, conflicting semantics.');
  }
  const { minIndex, waitMs } = parseBlockingParams(query);
  if (minIndex > 0 && currentIndex() <= minIndex) {
    await agent.store.hub.wait(topics, waitMs, () => currentIndex() > minIndex, (cancel) => ctx.onClose(cancel));
  }
  return currentIndex();
}

/** Go's strconv.ParseBool, for ?enable= and friends. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

// /v1/session/*: create, renew, destroy, info, list, node.

import { Agent } from './agent';
import { DecodeError } from './decode';
import { parseGoDuration } from './duration';
import { badRequest, internal, notFound } from './errors';
import { decodeBody } from './registration';
import { blockingRead, queryMeta, RequestContext, Route } from './router';
import { SessionRecord, SessionRequest } from './sessions';
import { Topics } from './state-store';
import { sessionView } from './views';

const DEFAULT_LOCK_DELAY_MS = 15_000;
/** Consul reads a lock delay below 1000 (ns) as seconds: users send 15 meaning 15s. */
const LOCK_DELAY_MIN_THRESHOLD_NS = 1000;

function lockDelayMs(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  let ns: number;
  if (typeof raw === 'number') ns = raw;
  else if (typeof raw !== 'string') throw new DecodeError(`json: cannot unmarshal ${typeof raw} into Go struct field Session.LockDelay of type time.Duration`);
  else {
    try {
      ns = parseGoDuration(raw) * 1e6;
    } catch (err) {
      throw new DecodeError((err as Error).message);
    }
  }
  if (ns < LOCK_DELAY_MIN_THRESHOLD_NS) ns *= 1e9;
  return ns / 1e6;
}

function parseCreate(agent: Agent, ctx: RequestContext): SessionRequest {
  const request: SessionRequest = {
    name: '',
    node: agent.options.node,
    lockDelayMs: DEFAULT_LOCK_DELAY_MS,
    behavior: 'release',
    ttl: '',
    ttlMs: 0,
    nodeChecks: ['serfHealth'],
    serviceChecks: null,
  };
  if (ctx.body.length === 0) return request;
  decodeBody(ctx.body, 'Session', (fields) => {
    request.name = fields.string('Name') ?? '';
    request.node = fields.string('Node') || request.node;
    request.behavior = fields.string('Behavior') ?? 'release';
    request.ttl = fields.string('TTL') ?? '';
    request.lockDelayMs = lockDelayMs(fields.raw('LockDelay')) ?? DEFAULT_LOCK_DELAY_MS;
    if (fields.has('Checks', 'NodeChecks', 'ServiceChecks')) {
      request.nodeChecks = [...(fields.stringList('Checks') ?? []), ...(fields.stringList('NodeChecks') ?? [])];
      const serviceChecks = fields.objectList('ServiceChecks', 'ServiceCheck');
      request.serviceChecks = serviceChecks
        ? serviceChecks.map((c) => ({ ID: c.string('ID') ?? '', Namespace: c.string('Namespace') ?? '' }))
        : null;
    }
  });
  if (request.ttl !== '') {
    try {
      request.ttlMs = parseGoDuration(request.ttl);
    } catch (err) {
      throw internal(`Session TTL '${request.ttl}' invalid: ${(err as Error).message}`);
    }
  }
  return request;
}

export function sessionRoutes(agent: Agent): Route[] {
  const { sessions } = agent;
  const sessionId = (ctx: RequestContext) => {
    if (ctx.rest === '') throw badRequest('Missing session');
    return ctx.rest;
  };
  const listing = async (ctx: RequestContext, select: () => SessionRecord[]) => {
    const index = await blockingRead(agent, ctx, [Topics.sessions], () => sessions.index());
    return { json: select().map(sessionView), headers: queryMeta(index) };
  };
  const write = { resource: 'session' as const, level: 'write' as const, name: agent.options.node };
  const read = { resource: 'session' as const, level: 'read' as const, name: agent.options.node };

  return [
    {
      pattern: '/v1/session/create',
      methods: ['PUT'],
      acl: () => write,
      handle: (ctx) => {
        const record = sessions.create(parseCreate(agent, ctx));
        agent.options.log({ level: 'info', msg: 'created session', session: record.id, ttl: record.ttl });
        return { json: { ID: record.id } };
      },
    },
    {
      pattern: '/v1/session/destroy/',
      methods: ['PUT'],
      acl: () => write,
      handle: (ctx) => {
        sessions.destroy(sessionId(ctx));
        return { json: true };
      },
    },
    {
      pattern: '/v1/session/renew/',
      methods: ['PUT'],
      acl: () => write,
      handle: (ctx) => {
        const id = sessionId(ctx);
        const record = sessions.renew(id);
        if (!record) throw notFound(`Session id '${id}' not found`);
        return { json: [sessionView(record)], headers: queryMeta(sessions.index()) };
      },
    },
    {
      pattern: '/v1/session/info/',
      methods: ['GET'],
      acl: () => read,
      handle: (ctx) => {
        const id = sessionId(ctx);
        return listing(ctx, () => {
          const record = sessions.get(id);
          return record ? [record] : [];
        });
      },
    },
    {
      pattern: '/v1/session/list',
      methods: ['GET'],
      acl: () => read,
      handle: (ctx) => listing(ctx, () => sessions.list()),
    },
    {
      pattern: '/v1/session/node/',
      methods: ['GET'],
      acl: () => read,
      handle: (ctx) => {
        if (ctx.rest === '') throw badRequest('Missing node name');
        return listing(ctx, () => sessions.forNode(ctx.rest));
      },
    },
  ];
}

// /v1/agent/*: the agent's own services and checks, maintenance, self and members.

import { Agent } from './agent';
import { HEALTH_STATUSES, HealthStatus } from './catalog';
import { badRequest, notFound } from './errors';
import { filterList } from './filter-expression';
import { agentServiceSchema, checkSchema } from './filter-schemas';
import { parseBlockingParams } from './blocking';
import { decodeBody, parseCheckRegistration, parseServiceRegistration } from './registration';
import { parseGoBool, RequestContext, Route } from './router';
import { Topics } from './state-store';
import { agentServiceView, checkView, contentHash } from './views';

function unknownService(id: string): Error {
  return notFound(`Unknown service ID "${id}". Ensure that the service ID is passed, not the service name.`);
}

function unknownCheck(id: string): Error {
  return notFound(`Unknown check ID "${id}". Ensure that the check ID is passed, not the check name.`);
}

function nameInBody(ctx: RequestContext): string | undefined {
  try {
    const parsed = JSON.parse(ctx.body.toString('utf8')) as { Name?: unknown };
    return typeof parsed?.Name === 'string' ? parsed.Name : undefined;
  } catch {
    return undefined;
  }
}

function parseEnable(ctx: RequestContext): boolean {
  if (!ctx.query.has('enable')) throw badRequest('Missing value for enable');
  const raw = ctx.query.get('enable') ?? '';
  const enable = parseGoBool(raw);
  if (enable === undefined) throw badRequest(`Invalid value for enable: "${raw}"`);
  return enable;
}

export function agentRoutes(agent: Agent): Route[] {
  const { catalog, options } = agent;
  const dc = options.datacenter;

  const serviceAcl = (level: 'read' | 'write') => (ctx: RequestContext) => ({
    resource: 'service' as const,
    level,
    name: catalog.services.get(ctx.rest)?.name ?? ctx.rest,
  });
  const checkAcl = (ctx: RequestContext) => {
    const check = catalog.checks.get(ctx.rest);
    return check?.serviceName
      ? { resource: 'service' as const, level: 'write' as const, name: check.serviceName }
      : { resource: 'node' as const, level: 'write' as const, name: options.node };
  };

  const feedTtl = (ctx: RequestContext, status: HealthStatus, output: string) => {
    if (!catalog.checks.get(ctx.rest)?.agentLocal) throw unknownCheck(ctx.rest);
    agent.runner.updateTtl(ctx.rest, status, output);
    return {};
  };

  return [
    {
      pattern: '/v1/agent/self',
      methods: ['GET'],
      acl: () => ({ resource: 'agent', level: 'read', name: options.node }),
      handle: () => ({
        json: {
          Config: {
            Datacenter: dc,
            PrimaryDatacenter: dc,
            NodeName: options.node,
            NodeID: options.nodeId,
            Partition: '',
            Revision: 'standin',
            Server: agent.role === 'server',
            Version: options.version,
            BuildDate: '2024-01-01T00:00:00Z',
          },
          DebugConfig: {},
          Coord: { Vec: [0, 0, 0, 0, 0, 0, 0, 0], Error: 1.5, Adjustment: 0, Height: 1e-5 },
          Member: agent.selfMember(),
          Stats: {},
          Meta: catalog.node.meta,
        },
      }),
    },
    {
      pattern: '/v1/agent/members',
      methods: ['GET'],
      acl: () => ({ resource: 'node', level: 'read' }),
      handle: () => ({ json: agent.members() }),
    },
    {
      pattern: '/v1/agent/maintenance',
      methods: ['PUT'],
      acl: () => ({ resource: 'node', level: 'write', name: options.node }),
      handle: (ctx) => {
        if (parseEnable(ctx)) catalog.enableNodeMaintenance(ctx.query.get('reason') ?? '');
        else catalog.disableNodeMaintenance();
        return {};
      },
    },
    {
      pattern: '/v1/agent/services',
      methods: ['GET'],
      acl: () => ({ resource: 'service', level: 'read' }),
      handle: (ctx) => {
        const views = [...catalog.services.values()].filter((s) => s.agentLocal).map((s) => agentServiceView(s, dc));
        const out: Record<string, unknown> = {};
        for (const view of filterList(ctx.query, agentServiceSchema, views)) out[view.ID as string] = view;
        return { json: out };
      },
    },
    {
      pattern: '/v1/agent/service/',
      methods: ['GET'],
      acl: serviceAcl('read'),
      handle: async (ctx) => {
        const id = ctx.rest;
        const current = () => {
          const service = catalog.services.get(id);
          if (!service?.agentLocal) return undefined;
          const view = agentServiceView(service, dc);
          return { view, hash: contentHash(view) };
        };
        const hash = ctx.query.get('hash');
        if (hash && current()?.hash === hash) {
          const { waitMs } = parseBlockingParams(ctx.query);
          await agent.store.hub.wait([Topics.agentService(id)], waitMs, () => current()?.hash !== hash, (cancel) => ctx.onClose(cancel));
        }
        const found = current();
        if (!found) throw notFound(`unknown service ID: ${id}`);
        return { json: { ...found.view, ContentHash: found.hash }, headers: { 'X-Consul-ContentHash': found.hash } };
      },
    },
    {
      pattern: '/v1/agent/service/register',
      methods: ['PUT'],
      acl: (ctx) => ({ resource: 'service', level: 'write', name: nameInBody(ctx) }),
      handle: (ctx) => {
        const { definition, checks } = parseServiceRegistration(agent, ctx.body);
        const replace = ctx.query.has('replace-existing-checks')
          && ['', 'true'].includes(ctx.query.get('replace-existing-checks') ?? '');
        catalog.registerService(definition, checks, replace);
        options.log({ level: 'info', msg: 'registered service', service: definition.id, checks: checks.length });
        return {};
      },
    },
    {
      pattern: '/v1/agent/service/deregister/',
      methods: ['PUT'],
      acl: serviceAcl('write'),
      handle: (ctx) => {
        if (!catalog.deregisterService(ctx.rest)) throw unknownService(ctx.rest);
        options.log({ level: 'info', msg: 'deregistered service', service: ctx.rest });
        return {};
      },
    },
    {
      pattern: '/v1/agent/service/maintenance/',
      methods: ['PUT'],
      acl: serviceAcl('write'),
      handle: (ctx) => {
        if (ctx.rest === '') throw badRequest('Missing service ID');
        const enable = parseEnable(ctx);
        if (!catalog.services.get(ctx.rest)?.agentLocal) throw unknownService(ctx.rest);
        if (enable) catalog.enableServiceMaintenance(ctx.rest, ctx.query.get('reason') ?? '');
        else catalog.disableServiceMaintenance(ctx.rest);
        return {};
      },
    },
    {
      pattern: '/v1/agent/checks',
      methods: ['GET'],
      acl: () => ({ resource: 'node', level: 'read', name: options.node }),
      handle: (ctx) => {
        const views = [...catalog.checks.values()].filter((c) => c.agentLocal).map((c) => checkView(c, options.node));
        const out: Record<string, unknown> = {};
        for (const view of filterList(ctx.query, checkSchema, views)) out[view.CheckID as string] = view;
        return { json: out };
      },
    },
    {
      pattern: '/v1/agent/check/register',
      methods: ['PUT'],
      acl: () => ({ resource: 'node', level: 'write', name: options.node }),
      handle: (ctx) => {
        catalog.registerCheck(parseCheckRegistration(agent, ctx.body));
        return {};
      },
    },
    {
      pattern: '/v1/agent/check/deregister/',
      methods: ['PUT'],
      acl: checkAcl,
      handle: (ctx) => {
        if (!catalog.deregisterCheck(ctx.rest)) throw unknownCheck(ctx.rest);
        return {};
      },
    },
    { pattern: '/v1/agent/check/pass/', methods: ['PUT'], acl: checkAcl, handle: (ctx) => feedTtl(ctx, 'passing', ctx.query.get('note') ?? '') },
    { pattern: '/v1/agent/check/warn/', methods: ['PUT'], acl: checkAcl, handle: (ctx) => feedTtl(ctx, 'warning', ctx.query.get('note') ?? '') },
    { pattern: '/v1/agent/check/fail/', methods: ['PUT'], acl: checkAcl, handle: (ctx) => feedTtl(ctx, 'critical', ctx.query.get('note') ?? '') },
    {
      pattern: '/v1/agent/check/update/',
      methods: ['PUT'],
      acl: checkAcl,
      handle: (ctx) => {
        const update = decodeBody(ctx.body, 'checkUpdate', (fields) => ({
          status: fields.string('Status') ?? '',
          output: fields.string('Output') ?? '',
        }));
        if (!HEALTH_STATUSES.includes(update.status as HealthStatus)) throw badRequest(`Invalid check status: '${update.status}'`);
        return feedTtl(ctx, update.status as HealthStatus, update.output);
      },
    },
  ];
}

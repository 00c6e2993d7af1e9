// /v1/health/*: service instances with their checks (node checks included), and checks by state.

import { Agent } from './agent';
import { CheckRecord } from './catalog';
import { badRequest } from './errors';
import { filterList } from './filter-expression';
import { checkSchema, healthServiceSchema } from './filter-schemas';
import { blockingRead, parseGoBool, queryMeta, RequestContext, Route } from './router';
import { Topics } from './state-store';
import { hasTags, serviceIndex } from './catalog-endpoints';
import { checkView, nodeServiceView, nodeView } from './views';

const STATES = ['any', 'passing', 'warning', 'critical'];

function passingOnly(ctx: RequestContext): boolean {
  if (!ctx.query.has('passing')) return false;
  const raw = ctx.query.get('passing') ?? '';
  if (raw === '') return true;
  const value = parseGoBool(raw);
  if (value === undefined) throw badRequest('Invalid value for ?passing');
  return value;
}

export function healthRoutes(agent: Agent): Route[] {
  const { catalog, store, options } = agent;
  const view = (check: CheckRecord) => checkView(check, options.node);
  const sorted = (checks: CheckRecord[]) =>
    checks.sort((a, b) => (a.serviceId === b.serviceId ? (a.checkId < b.checkId ? -1 : 1) : a.serviceId < b.serviceId ? -1 : 1));

  return [
    {
      pattern: '/v1/health/service/',
      methods: ['GET'],
      acl: (ctx) => ({ resource: 'service', level: 'read', name: ctx.rest }),
      handle: async (ctx) => {
        const name = ctx.rest;
        const passing = passingOnly(ctx);
        const index = await blockingRead(agent, ctx, [Topics.service(name)], () => serviceIndex(agent, name));
        const entries = catalog.servicesNamed(name).filter((s) => hasTags(s, ctx)).map((service) => {
          const checks = [...sorted(catalog.nodeChecks()), ...catalog.checksOfService(service.id)];
          return { Node: nodeView(catalog.node), Service: nodeServiceView(service), Checks: checks.map(view) };
        });
        const kept = passing ? entries.filter((e) => e.Checks.every((c) => c.Status === 'passing')) : entries;
        return { json: filterList(ctx.query, healthServiceSchema, kept), headers: queryMeta(index) };
      },
    },
    {
      pattern: '/v1/health/checks/',
      methods: ['GET'],
      acl: (ctx) => ({ resource: 'service', level: 'read', name: ctx.rest }),
      handle: async (ctx) => {
        const name = ctx.rest;
        const index = await blockingRead(agent, ctx, [Topics.service(name)], () => serviceIndex(agent, name));
        const checks = catalog.servicesNamed(name).flatMap((s) => catalog.checksOfService(s.id)).map(view);
        return { json: filterList(ctx.query, checkSchema, checks), headers: queryMeta(index) };
      },
    },
    {
      pattern: '/v1/health/node/',
      methods: ['GET'],
      acl: (ctx) => ({ resource: 'node', level: 'read', name: ctx.rest }),
      handle: async (ctx) => {
        const index = await blockingRead(agent, ctx, [Topics.checks], () => store.indexOf(Topics.checks));
        const checks = ctx.rest === catalog.node.node ? sorted([...catalog.checks.values()]).map(view) : [];
        return { json: filterList(ctx.query, checkSchema, checks), headers: queryMeta(index) };
      },
    },
    {
      pattern: '/v1/health/state/',
      methods: ['GET'],
      acl: () => ({ resource: 'node', level: 'read' }),
      handle: async (ctx) => {
        const state = ctx.rest;
        if (!STATES.includes(state)) throw badRequest('Bad state');
        const index = await blockingRead(agent, ctx, [Topics.checks], () => store.indexOf(Topics.checks));
        const checks = sorted([...catalog.checks.values()]).filter((c) => state === 'any' || c.status === state).map(view);
        return { json: filterList(ctx.query, checkSchema, checks), headers: queryMeta(index) };
      },
    },
  ];
}

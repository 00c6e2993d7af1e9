// /v1/health/*: service instances with their checks (node checks included), and checks by state.

import { Agent } from './agent';
import { CheckRecord, NodeState } from './catalog';
import { badRequest } from './errors';
import { filterList } from './filter-expression';
import { checkSchema, healthServiceSchema } from './filter-schemas';
import { blockingRead, parseGoBool, RequestContext, Route, stateReply } from './router';
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
  const { catalog, store } = agent;
  const sorted = (checks: CheckRecord[]) =>
    checks.sort((a, b) => (a.serviceId === b.serviceId ? (a.checkId < b.checkId ? -1 : 1) : a.serviceId < b.serviceId ? -1 : 1));
  /** A node's checks as views, in the order of Consul's check index within that node. */
  const nodeCheckViews = (state: NodeState) => sorted([...state.checks.values()]).map((check) => checkView(check, state.node.node));

  return [
    {
      pattern: '/v1/health/service/',
      methods: ['GET'],
      acl: (ctx) => ({ resource: 'service', level: 'read', name: ctx.rest }),
      handle: async (ctx) => {
        const name = ctx.rest;
        const passing = passingOnly(ctx);
        const index = await blockingRead(agent, ctx, [Topics.service(name)], () => serviceIndex(agent, name));
        return stateReply(ctx, index, () => {
          const read = catalog.readIndex();
          const entries = read.instancesNamed(name).filter(({ service }) => hasTags(service, ctx)).map(({ state, service }) => {
            const checks = [...read.checksOfServiceOn(state, ''), ...read.checksOfServiceOn(state, service.id)];
            return { Node: nodeView(state.node), Service: nodeServiceView(service), Checks: checks.map((c) => checkView(c, state.node.node)) };
          });
          const kept = passing ? entries.filter((e) => e.Checks.every((c) => c.Status === 'passing')) : entries;
          return filterList(ctx.query, healthServiceSchema, kept);
        });
      },
    },
    {
      pattern: '/v1/health/checks/',
      methods: ['GET'],
      acl: (ctx) => ({ resource: 'service', level: 'read', name: ctx.rest }),
      handle: async (ctx) => {
        const name = ctx.rest;
        const index = await blockingRead(agent, ctx, [Topics.service(name)], () => serviceIndex(agent, name));
        return stateReply(ctx, index, () => {
          const read = catalog.readIndex();
          const checks = read.instancesNamed(name)
            .flatMap(({ state, service }) => read.checksOfServiceOn(state, service.id).map((c) => checkView(c, state.node.node)));
          return filterList(ctx.query, checkSchema, checks);
        });
      },
    },
    {
      pattern: '/v1/health/node/',
      methods: ['GET'],
      acl: (ctx) => ({ resource: 'node', level: 'read', name: ctx.rest }),
      handle: async (ctx) => {
        const index = await blockingRead(agent, ctx, [Topics.checks], () => store.indexOf(Topics.checks));
        return stateReply(ctx, index, () => {
          const state = catalog.findNode(ctx.rest);
          return filterList(ctx.query, checkSchema, state ? nodeCheckViews(state) : []);
        });
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
        return stateReply(ctx, index, () => {
          const checks = catalog.nodeStates().flatMap(nodeCheckViews).filter((c) => state === 'any' || c.Status === state);
          return filterList(ctx.query, checkSchema, checks);
        });
      },
    },
  ];
}

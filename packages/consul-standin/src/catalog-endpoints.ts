// /v1/catalog/*: the cluster view of nodes and services.

import { Agent } from './agent';
import { ServiceRecord } from './catalog';
import { filterList } from './filter-expression';
import { catalogServiceSchema, nodeSchema } from './filter-schemas';
import { blockingRead, RequestContext, Route, stateReply } from './router';
import { Topics } from './state-store';
import { nodeWithServices } from './node-services-json';
import { catalogServiceView, nodeView } from './views';

/** ?tag= may repeat; an instance must carry every one. */
export function hasTags(service: ServiceRecord, ctx: RequestContext): boolean {
  return ctx.query.getAll('tag').every((tag) => service.tags.includes(tag));
}

/** Index of a per-service read: the last write touching that service name, else the services table. */
export function serviceIndex(agent: Agent, name: string): number {
  return agent.store.topicIndex(Topics.service(name)) || agent.store.indexOf(Topics.services, Topics.nodes);
}

export function catalogRoutes(agent: Agent): Route[] {
  const { catalog, store, options } = agent;
  const readService = { resource: 'service' as const, level: 'read' as const };

  return [
    {
      pattern: '/v1/catalog/datacenters',
      methods: ['GET'],
      handle: () => ({ json: agent.federation.datacenters() }),
    },
    {
      pattern: '/v1/catalog/services',
      methods: ['GET'],
      acl: () => readService,
      handle: async (ctx) => {
        const index = await blockingRead(agent, ctx, [Topics.services], () => store.indexOf(Topics.services));
        return stateReply(ctx, index, () => {
          // A view of each instance only when a ?filter= needs one: names and tags come from the records themselves.
          const services = catalog.nodeStates().flatMap((state) => [...state.services.values()].map((service) => ({ state, service })));
          const named = ctx.query.get('filter')
            ? filterList(ctx.query, catalogServiceSchema, services.map(({ state, service }) => catalogServiceView(state.node, service)))
              .map((view) => ({ name: view.ServiceName as string, tags: view.ServiceTags as string[] }))
            : services.map(({ service }) => ({ name: service.name, tags: service.tags }));
          const out: Record<string, string[]> = {};
          for (const { name, tags: own } of named) {
            const tags = (out[name] ??= []);
            for (const tag of own) if (!tags.includes(tag)) tags.push(tag);
          }
          return out;
        });
      },
    },
    {
      pattern: '/v1/catalog/service/',
      methods: ['GET'],
      acl: (ctx) => ({ ...readService, name: ctx.rest }),
      handle: async (ctx) => {
        const name = ctx.rest;
        const index = await blockingRead(agent, ctx, [Topics.service(name)], () => serviceIndex(agent, name));
        return stateReply(ctx, index, () => {
          const views = catalog.readIndex().instancesNamed(name).filter(({ service }) => hasTags(service, ctx))
            .map(({ state, service }) => catalogServiceView(state.node, service));
          return filterList(ctx.query, catalogServiceSchema, views);
        });
      },
    },
    {
      pattern: '/v1/catalog/nodes',
      methods: ['GET'],
      acl: () => ({ resource: 'node', level: 'read' }),
      handle: async (ctx) => {
        const index = await blockingRead(agent, ctx, [Topics.nodes], () => store.indexOf(Topics.nodes));
        return stateReply(ctx, index, () => filterList(ctx.query, nodeSchema, catalog.nodeStates().map((state) => nodeView(state.node))));
      },
    },
    {
      pattern: '/v1/catalog/node/',
      methods: ['GET'],
      acl: (ctx) => ({ resource: 'node', level: 'read', name: ctx.rest }),
      handle: async (ctx) => {
        const topics = [Topics.nodes, Topics.services];
        const index = await blockingRead(agent, ctx, topics, () => store.indexOf(...topics));
        return stateReply(ctx, index, () => {
          const state = catalog.findNode(ctx.rest);
          return state ? nodeWithServices(state) : null;
        });
      },
    },
  ];
}
